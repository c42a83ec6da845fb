"""The one write path for every change that shapes meetings, and the audit trail it leaves.

Admin pages, API views and services save and delete ``MeetingInput`` rows (blackouts, availability, mentorships,
scholars, teams, phases, breaks, cohorts, mentors' cadences) inside ``meeting_inputs_change``, which in one
transaction

1. notes each row's stored state, and the cohorts it shapes, before the write (``before_write``);
2. lets the caller save or delete one row or many (an admin page saves a form and its inlines);
3. reads each row's state and cohorts after it (``after_write`` counts a new row; a deleted row has none);
4. writes one audit entry per row that changed: who, when, created / changed / deleted, each changed field's
   value before and after, the cohorts touched;
5. sends ``meeting_inputs_changed`` once, for the cohorts before and after of every row whose change reaches the
   meetings, and ``person_settings_changed`` for each mentor or scholar whose own row changed.

Scheduling, the app above every other, receives both and brings meetings and reminders in line in the same
transaction. Its own writes (a plan applied, a meeting moved or cancelled) leave their entries with ``audit_write``.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model, prefetch_related_objects

from cohort.models import AuditEntry, Cohort, MeetingInput, MeetingLimits, Person
from cohort.signals import meeting_inputs_changed, person_settings_changed

# A row's audited fields as text; None where the database holds NULL.
Snapshot = dict[str, str | None]
# What the audit trail shows for a field in a model's ``audit_hidden_fields`` (a credential) that has a value.
HIDDEN = "(hidden)"


def row_snapshot(row: Model) -> Snapshot:
    """The row as the audit trail shows it: each field as text, a related row by its name and id, a many-to-many
    field as the names of its rows. The key, and timestamps Django sets itself, are left out."""
    values: Snapshot = {}
    # Large documents derived from other rows (a plan run's result) would be serialised twice per write to record
    # nothing a reader needs: a model names them in ``audit_skipped_fields``.
    skipped = getattr(type(row), "audit_skipped_fields", frozenset())
    for field in row._meta.concrete_fields:
        if field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.name in skipped:
            continue
        if field.is_relation:
            related = getattr(row, field.name)
            values[field.name] = None if related is None else f"{related} (#{related.pk})"
        elif field.value_from_object(row) is None:
            values[field.name] = None
        else:
            text = field.value_to_string(row)
            # JSONField gives back the value itself.
            values[field.name] = text if isinstance(text, str) else _json_text(text)
    if row.pk is not None:
        for field in row._meta.many_to_many:
            related_rows = sorted(getattr(row, field.name).all(), key=lambda related: related.pk)
            values[field.name] = ", ".join(f"{related} (#{related.pk})" for related in related_rows)
    return values


def _json_text(value: object) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class RowChange:
    """One row's change as the audit trail records it: ``before`` None for a new row, ``after`` None for one
    deleted."""

    model: type[Model]
    pk: int
    label: str
    before: Snapshot | None
    after: Snapshot | None
    cohort_ids: frozenset[int]
    # The row itself, for whoever hears of the write; a deleted one keeps every field but its key.
    row: Model | None = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, row: Model, *, before: Snapshot | None, cohort_ids: Iterable[int]) -> RowChange:
        """A row just saved, against its snapshot from before the write."""
        return cls(
            model=type(row),
            pk=row.pk,
            label=str(row),
            before=before,
            after=row_snapshot(row),
            cohort_ids=frozenset(cohort_ids),
            row=row,
        )

    @property
    def action(self) -> AuditEntry.Action:
        if self.before is None:
            return AuditEntry.Action.CREATED
        return AuditEntry.Action.DELETED if self.after is None else AuditEntry.Action.CHANGED

    @property
    def changed_fields(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        return [
            name
            for name in {**before, **after}
            # A new row's empty fields, or a deleted one's, are no news; a value going to empty is.
            if before.get(name) != after.get(name) and {before.get(name), after.get(name)} != {None, ""}
        ]

    def changes(self) -> dict[str, list[str | None]]:
        hidden = getattr(self.model, "audit_hidden_fields", frozenset())
        before, after = self.before or {}, self.after or {}

        def shown(name: str, value: str | None) -> str | None:
            return HIDDEN if name in hidden and value else value

        return {
            name: [shown(name, before.get(name)), shown(name, after.get(name))]
            for name in self.changed_fields
        }


def acting_user(by: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The user a write is recorded as made by: None for the system and for an anonymous request."""
    return by if by is not None and by.is_authenticated else None


def audit_write(*, changes: Sequence[RowChange], by: AbstractBaseUser | None, reason: str = "") -> None:
    """One audit entry per change that changed anything, by ``by`` (None: the system), in a fixed number of
    queries however many rows changed."""
    kept = [change for change in changes if change.changed_fields]
    if not kept:
        return
    actor = acting_user(by)
    types = ContentType.objects.get_for_models(*{change.model for change in kept})
    entries = AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor,
            actor_name=actor.get_username() if actor is not None else "",
            action=change.action,
            target_type=types[change.model],
            target_id=change.pk,
            target_repr=change.label[:200],
            changes=change.changes(),
            reason=reason,
        )
        for change in kept
    )
    AuditEntry.cohorts.through.objects.bulk_create(
        AuditEntry.cohorts.through(auditentry_id=entry.pk, cohort_id=cohort_id)
        for entry, change in zip(entries, kept, strict=True)
        for cohort_id in sorted(change.cohort_ids)
    )


@dataclass
class _Noted:
    row: MeetingInput
    pk: int | None
    label: str
    before: Snapshot | None
    cohorts_before: list[Cohort]


class MeetingInputsChange:
    """The rows of one write that shapes meetings (see the module's docstring); open it with
    ``meeting_inputs_change``, or, where a framework already holds the transaction (an admin page), call
    ``finish`` inside it."""

    def __init__(self, *, by: AbstractBaseUser | None = None) -> None:
        self.by = by
        # Keyed by the Python object: a deleted row has lost its pk by the time the write finishes.
        self._noted: dict[int, _Noted] = {}

    def before_write(self, row: MeetingInput) -> None:
        """Note the stored state of a row about to be saved or deleted, read from the database (a form has already
        put its new values on the object). A new row has none."""
        if id(row) in self._noted:
            return
        stored = _stored(row)
        self._noted[id(row)] = _Noted(
            row=row,
            pk=row.pk,
            label=str(stored) if stored is not None else "",
            before=row_snapshot(stored) if stored is not None else None,
            cohorts_before=stored.calendar_cohorts() if stored is not None else [],
        )

    def after_write(self, row: MeetingInput) -> None:
        """Count a row the caller has just saved: one noted before needs nothing more, a new one starts here."""
        self._noted.setdefault(id(row), _Noted(row=row, pk=None, label="", before=None, cohorts_before=[]))

    def delete(self, row: MeetingInput) -> None:
        self.before_write(row)
        row.delete()

    def finish(self) -> None:
        """Steps 3 to 5: audit every row that changed, then tell scheduling which cohorts and people to refresh."""
        changes: list[RowChange] = []
        refresh: set[int] = set()
        people: list[tuple[Person, list[str]]] = []
        cohorts_after = self._cohorts_after()
        for noted in self._noted.values():
            row = noted.row
            if row.pk is None and noted.before is None:
                continue  # noted, then never saved
            deleted = row.pk is None
            touched = {cohort.pk for cohort in [*noted.cohorts_before, *cohorts_after.get(id(row), [])]}
            if deleted:
                change = RowChange(
                    model=type(row),
                    pk=noted.pk,
                    label=noted.label,
                    before=noted.before,
                    after=None,
                    cohort_ids=frozenset(touched),
                    row=row,
                )
            else:
                change = RowChange.of(row, before=noted.before, cohort_ids=touched)
            changed = change.changed_fields
            if not changed:
                continue
            changes.append(change)
            shaping = type(row).calendar_fields
            if change.action != AuditEntry.Action.CHANGED or shaping is None or shaping.intersection(changed):
                refresh |= touched
            if isinstance(row, Person) and change.action == AuditEntry.Action.CHANGED:
                people.append((row, changed))
        for noted in self._noted.values():
            # The many-to-many rows read for the snapshots were this moment's: later reads go to the database.
            getattr(noted.row, "_prefetched_objects_cache", {}).clear()
        # Read again: a cohort deleted by this write is gone, one changed by it is sent as it is now.
        touched_ids = {cohort_id for change in changes for cohort_id in change.cohort_ids}
        cohorts = (
            list(Cohort.objects.filter(pk__in=touched_ids).order_by("start_date", "pk")) if changes else []
        )
        alive = frozenset(cohort.pk for cohort in cohorts)
        changes = [replace(change, cohort_ids=change.cohort_ids & alive) for change in changes]
        audit_write(changes=changes, by=self.by)
        if refresh:
            meeting_inputs_changed.send(
                sender=MeetingInputsChange,
                cohorts=[cohort for cohort in cohorts if cohort.pk in refresh],
                changes=changes,
            )
        for person, fields in people:
            person_settings_changed.send(sender=type(person), person=person, fields=fields)

    def _cohorts_after(self) -> dict[int, list[Cohort]]:
        """Each saved row's cohorts as they are now, and its many-to-many rows read for its audit snapshot: a few
        queries per model however many rows the write holds (a stream document's thousands of mentors)."""
        saved: dict[type, list[MeetingInput]] = defaultdict(list)
        for noted in self._noted.values():
            if noted.row.pk is not None:
                saved[type(noted.row)].append(noted.row)
        cohorts: dict[int, list[Cohort]] = {}
        for model, rows in saved.items():
            prefetch_related_objects(rows, *(field.name for field in model._meta.many_to_many))
            cohorts.update(zip(map(id, rows), model.calendar_cohorts_of(rows), strict=True))
        return cohorts


def _stored(row: Model) -> Model | None:
    if row.pk is None:
        return None
    related = [field.name for field in row._meta.concrete_fields if field.is_relation]
    return type(row)._base_manager.select_related(*related).filter(pk=row.pk).first()


@contextmanager
def meeting_inputs_change(*, by: AbstractBaseUser | None = None) -> Iterator[MeetingInputsChange]:
    """One write of rows that shape meetings, by ``by`` (None: the system): everything inside the block is one
    transaction, and leaving it audits the rows and refreshes the cohorts they touch (a raise writes nothing)."""
    with transaction.atomic():
        change = MeetingInputsChange(by=by)
        yield change
        change.finish()


def meeting_limits_update(
    *, person: MeetingLimits, by: AbstractBaseUser | None = None, **limits: object
) -> MeetingLimits:
    """Change a mentor's or a scholar's meeting limits and preferences (their model's ``EDITABLE_FIELDS``: a
    mentor's include preferred days; None or [] clears one), in one audited write by ``by``. Published meetings stay;
    the next plan keeps the new limits.

    Raises ValidationError by field (the model's validators and its check that hours end after they start);
    nothing is written then.
    """
    unknown = set(limits) - set(type(person).EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not a meeting limit: {', '.join(sorted(unknown))}")
    return person_fields_update(person=person, changes=limits, by=by)


def person_fields_update(
    *, person: Person, changes: Mapping[str, object], by: AbstractBaseUser | None, related: Sequence[str] = ()
) -> Person:
    """Write some fields of a mentor's or a scholar's row, in one audited write by ``by``: the row locked (with
    ``related`` rows its clean() reads), only what differs set and saved.

    Only what changes is checked field by field, so a value stored under older rules does not block an unrelated
    change; clean() still checks the row as a whole. Raises ValidationError by field, having written nothing.
    """
    model = type(person)
    with meeting_inputs_change(by=by) as writes:
        locked = model.objects.select_for_update().select_related(*related).get(pk=person.pk)
        writes.before_write(locked)
        changed = [field for field, value in changes.items() if getattr(locked, field) != value]
        for field in changed:
            setattr(locked, field, changes[field])
        unchanged = [f.name for f in model._meta.fields if f.name not in changed]
        locked.full_clean(exclude=unchanged, validate_unique=False, validate_constraints=False)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    return locked
