"""Writes of the mentors app: mentor logins for the admin, the group that says what a mentor may do there, a
mentor's weekly hours set as a whole, and staff's decisions on what a stream document suggests about a mentor."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from cohort.selectors import MENTORS_GROUP
from cohort.services import meeting_inputs_change
from cohort.sign_in import PersonLogin, person_logins_create
from cohort.stream_document import StreamDocumentError
from mentors.models import Availability, ImportWarning, Mentor, StreamImportJob, Suggestion
from mentors.stream_import import ImportReport, import_stream_upload

logger = logging.getLogger(__name__)

# (weekday 0 = Monday, start, end), wall-clock in the mentor's zone.
HoursWindow = tuple[int, dt.time, dt.time]

# What a mentor may do in the admin; the admin then narrows every list to the mentor's own rows.
MENTOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "mentors.mentor": ("view", "change"),
    "mentors.availability": ("view", "add", "change", "delete"),
    "scholars.scholar": ("view",),
    "scholars.blackout": ("view", "add", "change", "delete"),
    "scholars.extrahours": ("view", "add", "change", "delete"),
    "scholars.calendarsource": ("view", "add", "change", "delete"),
    "scholars.mentorship": ("view",),
    "scholars.team": ("view",),
    "scholars.checkin": ("view",),
    "scheduling.meetingseries": ("view", "change"),  # where their meetings happen, nothing else
    "scheduling.meeting": ("view", "change"),
    "scheduling.calendarclash": ("view",),
    "scheduling.meetingfeedback": ("view",),  # given about their meetings, as their scholars' check-ins are
}


def mentors_group_ensure() -> Group:
    """The "Mentors" group with exactly MENTOR_PERMISSIONS (anything granted by hand beyond them is removed)."""
    group, _ = Group.objects.get_or_create(name=MENTORS_GROUP)
    wanted = Q(pk__in=[])
    for label, actions in MENTOR_PERMISSIONS.items():
        app_label, model = label.split(".")
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def mentor_logins_create(*, mentors: Iterable[Mentor], invite: bool = True) -> list[PersonLogin]:
    """Give each mentor an admin login in the "Mentors" group (``is_staff``: the admin lets only staff in, and
    then narrows every list to the mentor's own rows), username their slug, and unless ``invite`` is False mail a
    login never used its first sign-in link (``cohort.sign_in``)."""
    return person_logins_create(
        mentors,
        username_of=lambda mentor: mentor.slug,
        role="mentor",
        invite=invite,
        is_staff=True,
        groups=[mentors_group_ensure()],
    )


def mentor_hours_replace(
    *, mentor: Mentor, windows: Iterable[HoursWindow], by: AbstractBaseUser | None = None
) -> None:
    """Make the mentor's weekly hours exactly ``windows``, in one write by ``by``: a window already there keeps
    its row, one no longer wanted is deleted, a new one created (each checked by the model, so overlapping windows
    are refused). The cohorts' published meetings are refreshed once; nothing moves until the next plan.

    Raises ValidationError, having written nothing.
    """
    wanted = set(windows)
    with meeting_inputs_change(by=by) as writes:
        for row in Availability.objects.select_for_update().filter(mentor=mentor):
            key = (row.weekday, row.start_time, row.end_time)
            if key in wanted:
                wanted.discard(key)
            else:
                writes.delete(row)
        for weekday, start, end in sorted(wanted):
            row = Availability(mentor=mentor, weekday=weekday, start_time=start, end_time=end)
            row.full_clean(exclude=["mentor"])
            row.save()
            writes.after_write(row)


# What a person settles by editing the cadence themselves: the reader found none, doubted what it read (a rhythm
# read from text copied from another mentor's section is one such doubt), or kept an earlier edit over a new
# reading. Copied text itself is not settled here: its one warning is shared by every mentor who has the passage.
CADENCE_WARNINGS = (
    ImportWarning.Code.CADENCE_UNSPECIFIED,
    ImportWarning.Code.CADENCE_NEEDS_REVIEW,
    ImportWarning.Code.CADENCE_KEPT,
)


def cadence_warnings_resolve(*, mentor: Mentor, by: AbstractBaseUser | None) -> int:
    """Staff edited the mentor's cadence: the open import warnings about it are resolved, by them. Returns how
    many."""
    now = timezone.now()
    return ImportWarning.objects.filter(
        mentor=mentor, code__in=CADENCE_WARNINGS, resolved_at__isnull=True
    ).update(resolved_at=now, resolved_by=by, updated_at=now)


def suggestion_accept(*, suggestion: Suggestion, by: AbstractBaseUser | None) -> None:
    """Do what the suggestion says to its mentor's row (their time zone, preferred days or preferred hours), audited,
    in one write by ``by``; the mentor's other open suggestions for the same setting are dismissed, as moot.

    Raises ValidationError, having written nothing, when the suggestion was decided meanwhile (by another person,
    or by accepting another of the same setting) or the value is no longer one the row accepts.
    """
    with meeting_inputs_change(by=by) as writes:
        still_open = Suggestion.objects.select_for_update().filter(
            pk=suggestion.pk, status=Suggestion.Status.OPEN
        )
        if not still_open.exists():
            raise ValidationError("it was already decided.", code="decided")
        mentor = Mentor.objects.select_for_update().get(pk=suggestion.mentor_id)
        writes.before_write(mentor)
        read = suggestion.as_read()
        if suggestion.setting == Suggestion.Setting.TIME_ZONE:
            mentor.time_zone, fields = suggestion.value, ["time_zone"]
        elif suggestion.setting == Suggestion.Setting.PREFERRED_HOURS:
            mentor.preferred_meeting_start, mentor.preferred_meeting_end = read.hours
            fields = list(Mentor.PREFERENCE_FIELDS)
        else:
            mentor.preferred_weekdays, fields = list(read.weekdays), ["preferred_weekdays"]
        mentor.full_clean(validate_unique=False, validate_constraints=False)
        mentor.save(update_fields=[*fields, "updated_at"])
        writes.after_write(mentor)
        now = timezone.now()
        decided = {"decided_at": now, "decided_by": by, "updated_at": now}
        Suggestion.objects.filter(pk=suggestion.pk).update(status=Suggestion.Status.ACCEPTED, **decided)
        Suggestion.objects.filter(
            mentor=mentor, setting=suggestion.setting, status=Suggestion.Status.OPEN
        ).exclude(pk=suggestion.pk).update(status=Suggestion.Status.DISMISSED, **decided)


def suggestions_dismiss(*, suggestions: Iterable[Suggestion], by: AbstractBaseUser | None) -> int:
    """Set the suggestions aside, by ``by``: nothing about the mentor changes, and re-imports do not offer them
    again. Returns how many were open."""
    now = timezone.now()
    return Suggestion.objects.filter(
        pk__in=[suggestion.pk for suggestion in suggestions], status=Suggestion.Status.OPEN
    ).update(status=Suggestion.Status.DISMISSED, decided_at=now, decided_by=by, updated_at=now)


def import_report_document(report: ImportReport) -> dict:
    """What an import did, as the API gives it."""
    return {
        "stream": report.stream_slug,
        "changed": report.changed,
        "mentors": [{"slug": m.slug, "outcome": m.outcome, "cadence": m.cadence} for m in report.mentors],
        "warnings": [{"code": w.code, "line": w.line, "message": w.message} for w in report.warnings],
    }


def stream_import_job_run(*, job_id: int) -> StreamImportJob:
    """Import a queued job's document (the Celery task's body). The report, or the error refusing the document,
    is kept on the job and never raised; the uploaded bytes are dropped once it has run."""
    job = StreamImportJob.objects.select_related("requested_by").get(pk=job_id)
    # Claimed, so a job enqueued twice (or redelivered) runs once: a second import beside the first could only fail
    # on the rows the first is writing. A job whose worker died stays running until beat marks it failed
    # (``stream_import_jobs_recover``).
    claimed = StreamImportJob.objects.filter(pk=job.pk, status=StreamImportJob.Status.QUEUED).update(
        status=StreamImportJob.Status.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        job.refresh_from_db()
        return job
    try:
        report = import_stream_upload(name=job.file_name, data=bytes(job.document), by=job.requested_by)
    except StreamDocumentError as error:
        job.status, job.error_line, job.error_reason = StreamImportJob.Status.FAILED, error.line, error.reason
    except Exception:
        # A fault in the reader must refuse the document (nothing was written), not leave the job running.
        logger.exception("importing %s (stream import job %s) failed", job.file_name, job.pk)
        job.status = StreamImportJob.Status.FAILED
        job.error_reason = (
            f"the document could not be read; staff can find the error in the log (job {job.pk})"
        )
    else:
        job.status, job.report = StreamImportJob.Status.DONE, import_report_document(report)
    job.document, job.finished_at = b"", timezone.now()
    job.save(
        update_fields=[
            "status",
            "report",
            "error_line",
            "error_reason",
            "document",
            "finished_at",
            "updated_at",
        ]
    )
    return job


# A queued job older than this lost its enqueue (the broker was down as the upload committed).
IMPORT_JOB_ENQUEUE_GRACE = dt.timedelta(minutes=5)


def stream_import_jobs_recover(*, now: dt.datetime) -> list[int]:
    """The import jobs a lost enqueue or a dead worker left waiting for ever. Returns the queued ones to enqueue
    again; a running one whose worker has been gone longer than any task may run is marked failed, so the uploader
    sees to upload it again (nothing of it was written: the import is all or nothing)."""
    StreamImportJob.objects.filter(
        status=StreamImportJob.Status.RUNNING,
        updated_at__lt=now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - IMPORT_JOB_ENQUEUE_GRACE,
    ).update(
        status=StreamImportJob.Status.FAILED,
        error_reason="the worker stopped before the document was imported; nothing was written, upload it again",
        document=b"",
        finished_at=now,
        updated_at=now,
    )
    return list(
        StreamImportJob.objects.filter(
            status=StreamImportJob.Status.QUEUED, created_at__lt=now - IMPORT_JOB_ENQUEUE_GRACE
        )
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
