"""Writes parsed stream documents to the database: keyed on slugs, idempotent, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from cohort.models import Stream
from cohort.services import MeetingInputsChange, meeting_inputs_change
from cohort.signals import rows_written_in_bulk
from cohort.stream_document import (
    DocumentWarning,
    MentorEntry,
    StreamDocument,
    StreamDocumentError,
    WarningCode,
    decode_stream_document,
    parse_stream_document,
    read_stream_document,
)
from cohort.suggestions import Suggestion as DocumentSuggestion
from cohort.suggestions import SuggestionField
from mentors.models import ImportWarning, Mentor, Suggestion

Row = TypeVar("Row", bound=models.Model)

SETTLED_BY_STAFF_CADENCE = (WarningCode.CADENCE_UNSPECIFIED, WarningCode.CADENCE_NEEDS_REVIEW)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class MentorReport:
    name: str
    slug: str
    outcome: Outcome
    cadence: str
    warnings: tuple[DocumentWarning, ...]


@dataclass(frozen=True)
class ImportReport:
    """What one document did. ``warnings`` are all the stream's open warnings from this import, mentors' too."""

    source_file: str
    stream_title: str
    stream_slug: str
    outcome: Outcome
    mentors: tuple[MentorReport, ...]
    warnings: tuple[DocumentWarning, ...]

    @property
    def changed(self) -> bool:
        return self.outcome != Outcome.UNCHANGED or any(m.outcome != Outcome.UNCHANGED for m in self.mentors)


def import_stream_documents(
    paths: Sequence[Path], *, by: AbstractBaseUser | None = None
) -> list[ImportReport]:
    """Import stream documents, or nothing at all (see ``import_parsed_documents``); errors name each file as
    given."""
    return import_parsed_documents([(path, read_stream_document(path)) for path in paths], by=by)


def import_stream_upload(*, name: str, data: bytes, by: AbstractBaseUser | None = None) -> ImportReport:
    """One uploaded document (the API's and the admin's), imported as ``import_stream_documents`` does; the
    upload's own file name (without any folder) is the one its errors name and its warnings record."""
    path = Path(Path(name).name or "upload.txt")
    document = parse_stream_document(decode_stream_document(data, filename=path.name), filename=path.name)
    [report] = import_parsed_documents([(path, document)], by=by)
    return report


def import_parsed_documents(
    documents: Sequence[tuple[Path, StreamDocument]], *, by: AbstractBaseUser | None = None
) -> list[ImportReport]:
    """Import parsed stream documents, or nothing at all.

    1. Check every document first: a stream defined twice, or a text longer than its column, raises
       StreamDocumentError before anything is written.
    2. In one write by ``by`` (None: a command), per document: upsert the Stream by slug, then each Mentor by slug,
       linking it to the stream and storing its cadence unless staff edited it; record the stream's open warnings.
       Mentors go through ``meeting_inputs_change``: a new cadence is audited and its cohorts' meetings follow.
    A mentor listed in several documents takes its fields from the first; later documents only link it.
    """
    _reject_repeated_streams(documents)
    for path, document in documents:
        _reject_what_cannot_be_stored(path, document)
    imported_mentors: set[str] = set()
    with meeting_inputs_change(by=by) as writes:
        return [_import_document(path, document, imported_mentors, writes) for path, document in documents]


def _reject_repeated_streams(documents: Sequence[tuple[Path, StreamDocument]]) -> None:
    first_path: dict[str, Path] = {}
    for path, document in documents:
        if document.slug in first_path:
            raise StreamDocumentError(
                str(path), 1, f"stream '{document.title}' is also defined by {first_path[document.slug]}"
            )
        first_path[document.slug] = path


def _reject_what_cannot_be_stored(path: Path, document: StreamDocument) -> None:
    """Raise StreamDocumentError at the first text longer than its column allows, so SQLite (which stores any
    length) and PostgreSQL (which refuses) read the same document the same way and nothing is half-written.
    Characters no column can hold were refused when the document was read."""
    texts = [
        (Stream, "source_file", path.name, 1),
        (ImportWarning, "source_file", path.name, 1),
        (Stream, "title", document.title, document.line),
        (Stream, "slug", document.slug, document.line),
    ]
    for entry in document.mentors:
        texts += [
            (Mentor, "name", entry.name, entry.line),
            (Mentor, "slug", entry.slug, entry.line),
            (Mentor, "title", entry.title, entry.title_line),
            (Mentor, "organisation", entry.organisation, entry.title_line),
        ]
    for model, name, value, line in texts:
        field = model._meta.get_field(name)
        if field.max_length is not None and len(value) > field.max_length:
            what = "the file name" if name == "source_file" else f"the {model._meta.verbose_name}'s {name}"
            raise StreamDocumentError(
                str(path),
                line,
                f"{what} is {len(value)} characters long; at most {field.max_length} are kept, shorten it",
            )


def _import_document(
    path: Path, document: StreamDocument, imported_mentors: set[str], writes: MeetingInputsChange
) -> ImportReport:
    stream, stream_outcome = _upsert(
        Stream,
        Stream.objects.filter(slug=document.slug).first(),
        slug=document.slug,
        values={"title": document.title, "description": document.description, "source_file": path.name},
    )
    # Read once, and the new mentors created at once, so a mentor costs little more than its own rows.
    stored = Mentor.objects.in_bulk([entry.slug for entry in document.mentors], field_name="slug")
    created = Mentor.objects.bulk_create(
        Mentor(slug=entry.slug, **_mentor_values(entry))
        for entry in document.mentors
        if entry.slug not in stored
    )
    new_slugs = {mentor.slug for mentor in created}
    for mentor in created:
        writes.after_write(mentor)
        stored[mentor.slug] = mentor
    linked = set(stream.mentors.values_list("pk", flat=True))
    joining: list[Mentor] = []
    mentor_reports = []
    suggesting: list[tuple[Mentor, MentorEntry]] = []
    mentor_ids: dict[str, int] = {}
    stream_warnings: list[DocumentWarning] = [w for w in document.warnings if w.mentor_slug is None]
    for entry in document.mentors:
        mentor, outcome, warnings = _import_mentor(
            entry, stored[entry.slug], fields_already_set=entry.slug in imported_mentors, writes=writes
        )
        if entry.slug in new_slugs:
            outcome = Outcome.CREATED
        if mentor.pk not in linked:
            writes.before_write(mentor)  # the stream joins the mentor's audited row
            joining.append(mentor)
            outcome = Outcome.UPDATED if outcome == Outcome.UNCHANGED else outcome
        if entry.slug not in imported_mentors:
            suggesting.append((mentor, entry))
        imported_mentors.add(entry.slug)
        mentor_ids[entry.slug] = mentor.pk
        # A warning shared by several mentors is recorded once, with the mentor it is filed under.
        stream_warnings.extend(w for w in warnings if w.mentor_slug == entry.slug)
        mentor_reports.append(
            MentorReport(entry.name, entry.slug, outcome, mentor.cadence_value.describe(), warnings)
        )
    Mentor.streams.through.objects.bulk_create(
        Mentor.streams.through(mentor_id=mentor.pk, stream_id=stream.pk) for mentor in joining
    )
    rows_written_in_bulk.send(sender=Mentor)
    rows_written_in_bulk.send(sender=Mentor.streams.through)
    for removed in stream.mentors.all():
        if removed.slug in mentor_ids:
            continue
        mentor_ids[removed.slug] = removed.pk
        stream_warnings.append(
            DocumentWarning(
                WarningCode.MENTOR_REMOVED,
                f"{removed.name} is linked to this stream but no longer in its document; the mentor was kept. "
                "Unlink or delete them in the admin if they have left.",
                None,
                removed.slug,
            )
        )
    _replace_open_warnings(stream, path.name, stream_warnings, mentor_ids)
    _replace_open_suggestions(path.name, suggesting)
    return ImportReport(
        source_file=path.name,
        stream_title=stream.title,
        stream_slug=stream.slug,
        outcome=stream_outcome,
        mentors=tuple(mentor_reports),
        warnings=tuple(stream_warnings),
    )


def _mentor_values(entry: MentorEntry) -> dict:
    return {
        "name": entry.name,
        "title": entry.title,
        "organisation": entry.organisation,
        "summary": entry.summary,
        "biography": entry.biography,
        "sections": [section.to_dict() for section in entry.sections],
        "cadence": entry.cadence.to_dict(),
    }


def _import_mentor(
    entry: MentorEntry, existing: Mentor, *, fields_already_set: bool, writes: MeetingInputsChange
) -> tuple[Mentor, Outcome, tuple[DocumentWarning, ...]]:
    values = _mentor_values(entry)
    warnings = entry.warnings
    if existing.cadence_edited_by_staff:
        # Staff's cadence wins; what the document's reading left unsettled is moot once staff have set one.
        del values["cadence"]
        warnings = tuple(w for w in warnings if w.code not in SETTLED_BY_STAFF_CADENCE)
        if existing.cadence_value != entry.cadence:
            warnings += (
                DocumentWarning(
                    WarningCode.CADENCE_KEPT,
                    f"Staff edited {entry.name}'s cadence, so it was kept; the document reads: "
                    f"{entry.cadence.describe()}.",
                    entry.line,
                    entry.slug,
                ),
            )
    mentor, outcome = _upsert(
        Mentor, existing, slug=entry.slug, values={} if fields_already_set else values, writes=writes
    )
    return mentor, outcome, warnings


def _upsert(
    model: type[Row], row: Row | None, *, slug: str, values: dict, writes: MeetingInputsChange | None = None
) -> tuple[Row, Outcome]:
    """Create the row with this slug (``row`` None: there is none yet), or save only the fields of ``row`` that
    differ (so ``updated_at`` moves only then). A row that shapes meetings (a mentor) is written through
    ``writes``."""
    if row is None:
        row = model.objects.create(slug=slug, **values)
        if writes is not None:
            writes.after_write(row)
        return row, Outcome.CREATED
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, Outcome.UNCHANGED
    if writes is not None:
        writes.before_write(row)
    for name in changed:
        setattr(row, name, values[name])
    row.save(update_fields=[*changed, "updated_at"])
    return row, Outcome.UPDATED


def _replace_open_warnings(
    stream: Stream, source_file: str, warnings: list[DocumentWarning], mentor_ids: dict[str, int]
) -> None:
    """Make the stream's open warnings exactly ``warnings``.

    A warning is the same finding when mentor, code and message match: an open one keeps its row (its line and
    the mentors it is shared with are refreshed), a resolved one stays resolved, and open rows no longer found
    are deleted.
    """
    wanted = {(mentor_ids.get(w.mentor_slug), w.code.value, w.message): w for w in warnings}
    gone = []
    for row in stream.import_warnings.all():
        warning = wanted.pop((row.mentor_id, row.code, row.message), None)
        if row.resolved_at is not None:
            continue
        if warning is None:
            gone.append(row.pk)
            continue
        if (row.line, row.source_file) != (warning.line, source_file):
            row.line, row.source_file = warning.line, source_file
            row.save(update_fields=["line", "source_file", "updated_at"])
        if warning.shared_with:
            row.shared_with.set([mentor_ids[slug] for slug in warning.shared_with])
    ImportWarning.objects.filter(pk__in=gone).delete()
    created = ImportWarning.objects.bulk_create(
        ImportWarning(
            stream=stream,
            mentor_id=mentor_id,
            code=ImportWarning.Code(code),
            message=message,
            source_file=source_file,
            line=warning.line,
        )
        for (mentor_id, code, message), warning in wanted.items()
    )
    ImportWarning.shared_with.through.objects.bulk_create(
        ImportWarning.shared_with.through(importwarning_id=row.pk, mentor_id=mentor_ids[slug])
        for row, warning in zip(created, wanted.values(), strict=True)
        for slug in warning.shared_with
    )


def _replace_open_suggestions(source_file: str, suggesting: list[tuple[Mentor, MentorEntry]]) -> None:
    """Make each mentor's open suggestions exactly what their section suggests now, in a few queries for the
    whole document. A suggestion staff decided stays decided and is not offered again; one the mentor's row
    already follows (the zone it names is theirs) is not offered at all."""
    wanted: dict[tuple[int, str, str], DocumentSuggestion] = {
        (mentor.pk, suggestion.field.value, suggestion.value): suggestion
        for mentor, entry in suggesting
        for suggestion in entry.suggestions
        if not _already_followed(mentor, suggestion)
    }
    stale, changed = [], []
    for row in Suggestion.objects.filter(mentor__in=[mentor for mentor, _ in suggesting]):
        found = wanted.pop((row.mentor_id, row.setting, row.value), None)
        if row.status != Suggestion.Status.OPEN:
            continue
        if found is None:
            stale.append(row.pk)
        elif (row.phrase, row.source, row.source_file) != (found.phrase, found.source, source_file):
            row.phrase, row.source, row.source_file = found.phrase, found.source, source_file
            changed.append(row)
    Suggestion.objects.filter(pk__in=stale).delete()
    Suggestion.objects.bulk_update(changed, ["phrase", "source", "source_file"])
    Suggestion.objects.bulk_create(
        Suggestion(
            mentor_id=mentor_id,
            setting=setting,
            value=value,
            phrase=suggestion.phrase,
            source=suggestion.source,
            source_file=source_file,
        )
        for (mentor_id, setting, value), suggestion in wanted.items()
    )


def _already_followed(mentor: Mentor, suggestion: DocumentSuggestion) -> bool:
    if suggestion.field == SuggestionField.TIME_ZONE:
        return mentor.time_zone == suggestion.value
    if suggestion.field == SuggestionField.PREFERRED_HOURS:
        return (mentor.preferred_meeting_start, mentor.preferred_meeting_end) == suggestion.hours
    return sorted(mentor.preferred_weekdays) == list(suggestion.weekdays)
