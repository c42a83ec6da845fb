"""Writes for scholars: submitting a weekly check-in, creating a roster from CSV, a scholar's own preferences.

Writes that shape meetings or reminders (a roster's scholars and mentorships, a scholar's zone and hours) go
through ``cohort.services.meeting_inputs_change``, which audits them and lets scheduling follow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from cohort.dates import monday_of
from cohort.models import Cohort, Stream
from cohort.services import meeting_inputs_change, person_fields_update
from cohort.sign_in import PersonLogin, person_logins_create
from cohort.signals import rows_written_in_bulk
from cohort.slugs import slugify_ascii
from mentors.models import Mentor
from mentors.services import mentor_logins_create
from scholars.models import Blackout, CheckIn, ExtraHours, Mentorship, Scholar
from scholars.roster_csv import RosterError, RosterRejected, RosterRow, check_references, parse_roster

MAX_FIELD_CHARS = 5000
# A prompt can come on the Sunday before a Monday meeting, so next week's check-in may be written a week early.
WEEKS_AHEAD_ALLOWED = 1


def check_in_submit(
    *, scholar: Scholar, week_start: dt.date, progress: str, blockers: str = "", next_steps: str = ""
) -> CheckIn:
    """Write the scholar's check-in for the week starting ``week_start``; submitting the same week again edits it.

    Raises ValidationError (by field) for a week that does not start on a Monday, lies outside the scholar's
    cohort or too far ahead, an empty progress, overlong text, or a scholar who has left.
    """
    texts = {"progress": progress.strip(), "blockers": blockers.strip(), "next_steps": next_steps.strip()}
    errors: dict[str, str] = {}
    if not scholar.is_active:
        errors["scholar"] = (
            f"{scholar.name} is {scholar.get_status_display().lower()} and writes no check-ins."
        )
    if week_start.weekday() != 0:
        errors["week_start"] = (
            f"{week_start.isoformat()} is a {week_start:%A}; a check-in's week starts on a Monday."
        )
    else:
        cohort = scholar.cohort
        this_monday = _this_monday(scholar)
        if not check_in_week_in_cohort(cohort, week_start):
            errors["week_start"] = (
                f"The week of {week_start.isoformat()} is outside {cohort.name} "
                f"({cohort.start_date.isoformat()} to {cohort.end_date.isoformat()})."
            )
        elif week_start > this_monday + dt.timedelta(weeks=WEEKS_AHEAD_ALLOWED):
            errors["week_start"] = (
                f"The week of {week_start.isoformat()} has not begun; write it nearer the time."
            )
    if not texts["progress"]:
        errors["progress"] = "Say what you did this week; progress cannot be empty."
    for name, text in texts.items():
        if len(text) > MAX_FIELD_CHARS:
            errors[name] = f"At most {MAX_FIELD_CHARS} characters (this has {len(text)})."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        check_in, _ = CheckIn.objects.update_or_create(scholar=scholar, week_start=week_start, defaults=texts)
    return check_in


def check_in_week_in_cohort(cohort: Cohort, week_start: dt.date) -> bool:
    """Whether a check-in may cover the week of ``week_start``: from the week the cohort starts in to its last."""
    return cohort.start_date - dt.timedelta(days=6) <= week_start <= cohort.end_date


def _this_monday(scholar: Scholar) -> dt.date:
    return monday_of(timezone.now().astimezone(ZoneInfo(scholar.time_zone)).date())


def scholars_bulk_create(*, data: bytes | str, by: AbstractBaseUser | None = None) -> list[Scholar]:
    """Create every scholar of a CSV roster (see ``scholars.roster_csv``), with their mentorships, or none.

    1. Parse the file; every malformed value is an error at its line.
    2. Look up the cohort, stream and mentor slugs it names and the addresses scholars already have (4 queries).
    3. Build each scholar (zone defaults to the cohort's), give it a slug unique in its cohort, and ``full_clean``
       it, so the model's own rules apply too.
    4. Any error at all: raise RosterRejected with all of them, in line order, having written nothing. Otherwise
       insert the scholars, then their primary and co-mentorships, in one write by ``by``: each row audited, and
       the cohorts' published meetings refreshed (a new scholar joins their mentor's group meeting at once).
    """
    roster = parse_roster(data, statuses=Scholar.Status.values)
    rows = roster.rows
    with meeting_inputs_change(by=by) as writes:
        cohorts = {c.slug: c for c in Cohort.objects.filter(slug__in={r.cohort for r in rows})}
        streams = {s.slug: s for s in Stream.objects.filter(slug__in={r.stream for r in rows})}
        mentor_slugs = {slug for r in rows for slug in (r.mentor, r.co_mentor) if slug}
        mentors = {m.slug: m for m in Mentor.objects.filter(slug__in=mentor_slugs)}
        taken = set(
            Scholar.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in={r.email.lower() for r in rows})
            .values_list("email_lower", flat=True)
            .order_by()
        )
        errors = roster.errors + check_references(
            rows, cohorts=cohorts, streams=streams, mentors=mentors, taken_emails=taken
        )
        lines_with_errors = {e.line for e in errors}
        slugs = _slug_picker(cohort_ids=[c.pk for c in cohorts.values()])
        built: list[tuple[RosterRow, Scholar]] = []
        for row in rows:
            if row.line in lines_with_errors:
                continue
            scholar = _scholar_from_row(row, cohort=cohorts[row.cohort], stream=streams[row.stream])
            scholar.slug = slugs(scholar.cohort_id, row.name)
            try:
                # Cohort and stream were just looked up, slugs are unique by construction and clean() checks the
                # hours: skipping those checks keeps this loop free of per-row queries.
                scholar.full_clean(
                    exclude=["cohort", "stream"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                errors.extend(_row_errors(row.line, error))
                continue
            built.append((row, scholar))
        if errors:
            raise RosterRejected(sorted(errors, key=lambda e: e.line or 0))
        created = Scholar.objects.bulk_create([scholar for _, scholar in built])
        mentorships = Mentorship.objects.bulk_create(
            Mentorship(mentor=mentors[slug], scholar=scholar, role=role)
            for (row, _), scholar in zip(built, created, strict=True)
            for slug, role in (
                (row.mentor, Mentorship.Role.PRIMARY),
                (row.co_mentor, Mentorship.Role.CO_MENTOR),
            )
            if slug
        )
        rows_written_in_bulk.send(sender=Scholar)
        rows_written_in_bulk.send(sender=Mentorship)
        for written in (*created, *mentorships):
            writes.after_write(written)
    return created


def _scholar_from_row(row: RosterRow, *, cohort: Cohort, stream: Stream) -> Scholar:
    given = {
        field: value
        for field, value in (
            ("status", row.status),
            ("work_start", row.work_start),
            ("work_end", row.work_end),
        )
        if value is not None
    }
    return Scholar(
        name=row.name,
        email=row.email,
        cohort=cohort,
        stream=stream,
        time_zone=row.time_zone or cohort.time_zone,
        **given,
    )


def _slug_picker(*, cohort_ids: Iterable[int]):
    """Slugs from names, unique in each cohort: 'ada-lovelace', then 'ada-lovelace-2' for a namesake."""
    used: dict[int, set[str]] = {}
    existing = (
        Scholar.objects.filter(cohort_id__in=list(cohort_ids)).values_list("cohort_id", "slug").order_by()
    )
    for cohort_id, slug in existing:
        used.setdefault(cohort_id, set()).add(slug)

    def pick(cohort_id: int, name: str) -> str:
        taken = used.setdefault(cohort_id, set())
        # The seeds' rule, so a scholar imported from a roster gets the slug a stream document would give.
        base = slugify_ascii(name)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        return slug

    return pick


def _row_errors(line: int, error: ValidationError) -> list[RosterError]:
    return [
        RosterError(line, None if field == "__all__" else field, message)
        for field, messages in error.message_dict.items()
        for message in messages
    ]


PREFERENCE_FIELDS = ("time_zone", "work_start", "work_end", "work_days", "reminder_offsets_minutes")


def scholar_preferences_update(
    *,
    scholar: Scholar,
    by: AbstractBaseUser | None = None,
    time_zone: str | None = None,
    work_start: dt.time | None = None,
    work_end: dt.time | None = None,
    work_days: list[int] | None = None,
    reminder_offsets_minutes: list[int] | None = None,
) -> Scholar:
    """Change the scholar's own zone, working hours, work days and reminder offsets (None: leave as is).

    1. Lock the scholar's row and apply the changes; the model's validators and clean() must accept them
       (reminder offsets: distinct whole minutes from 1 minute to 7 days, at most 5 of them).
    2. Save only what changed, in one write by ``by`` that audits it and, through ``person_settings_changed``,
       rewrites the notifications of their upcoming live meetings in the same transaction, so pending reminders
       (and check-in prompts, which follow zone and working hours) move.

    Raises ValidationError by field; nothing is written then.
    """
    given = {
        "time_zone": time_zone,
        "work_start": work_start,
        "work_end": work_end,
        "work_days": work_days,
        "reminder_offsets_minutes": reminder_offsets_minutes,
    }
    changes = {field: value for field, value in given.items() if value is not None}
    return person_fields_update(person=scholar, changes=changes, by=by, related=["cohort"])


def scholar_logins_create(*, scholars: Iterable[Scholar], invite: bool = True) -> list[PersonLogin]:
    """Give each scholar a login of their own (username "<cohort>-<scholar>", no admin access) and unless
    ``invite`` is False mail a login never used its first sign-in link (``cohort.sign_in``)."""
    return person_logins_create(
        scholars, username_of=lambda s: f"{s.cohort.slug}-{s.slug}"[:150], role="scholar", invite=invite
    )


def cohort_logins_invite(*, cohort: Cohort, invite: bool = True) -> list[PersonLogin]:
    """Logins, and first sign-in links, for everyone in a cohort: its mentors, then its scholars still in the
    programme."""
    mentors = (
        Mentor.objects.filter(mentorships__scholar__cohort=cohort)
        .distinct()
        .select_related("user")
        .order_by("name")
    )
    scholars = (
        cohort.scholars.exclude(status__in=Scholar.INACTIVE_STATUSES)
        .select_related("user", "cohort")
        .order_by("name")
    )
    return mentor_logins_create(mentors=mentors, invite=invite) + scholar_logins_create(
        scholars=scholars, invite=invite
    )


def blackout_add(
    *,
    mentor: Mentor | None = None,
    scholar: Scholar | None = None,
    start_date: dt.date,
    end_date: dt.date,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    reason: str = "",
    by: AbstractBaseUser | None = None,
) -> Blackout:
    """Days a mentor or a scholar is away, inclusive, in their zone, whole or only from ``start_time`` to
    ``end_time`` of each: their meetings then are cancelled at once (and the people in them told). Raises
    ValidationError by field, having written nothing."""
    blackout = Blackout(
        mentor=mentor,
        scholar=scholar,
        start_date=start_date,
        end_date=end_date,
        start_time=start_time,
        end_time=end_time,
        reason=reason.strip(),
    )
    return _person_row_added(blackout, by=by)


def extra_hours_add(
    *,
    mentor: Mentor | None = None,
    scholar: Scholar | None = None,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    note: str = "",
    by: AbstractBaseUser | None = None,
) -> ExtraHours:
    """Hours on one date a mentor or a scholar can meet beyond their weekly ones, in their zone: plans, moves and the
    checks of published meetings count them from now on. Raises ValidationError by field, having written nothing."""
    extra = ExtraHours(
        mentor=mentor, scholar=scholar, date=date, start_time=start_time, end_time=end_time, note=note.strip()
    )
    return _person_row_added(extra, by=by)


DateRow = TypeVar("DateRow", Blackout, ExtraHours)


def _person_row_added(row: DateRow, *, by: AbstractBaseUser | None) -> DateRow:
    """Save a new row of a mentor's or a scholar's dates, checked by field first, in one audited write whose
    meetings follow at once; nothing is written when a check fails."""
    with meeting_inputs_change(by=by) as writes:
        row.full_clean()
        row.save()
        writes.after_write(row)
    return row


def extra_hours_remove(*, extra: ExtraHours, by: AbstractBaseUser | None = None) -> None:
    with meeting_inputs_change(by=by) as writes:
        writes.delete(extra)


def blackout_remove(*, blackout: Blackout, by: AbstractBaseUser | None = None) -> None:
    """Lift a blackout: the meetings it cancelled come back (those a person cancelled stay cancelled)."""
    with meeting_inputs_change(by=by) as writes:
        writes.delete(blackout)
