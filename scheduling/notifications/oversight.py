"""The rows no meeting write causes: mentors' weekly check-in digests, pair health's notices
(``scheduling.services.health``), and escalations to staff (a Slack webhook refused for good)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q

from cohort.dates import monday_of
from cohort.models import Cohort, Person
from scheduling.notifications.clashes import clash_notices_write
from scheduling.notifications.reminders import feedback_requests_write
from scheduling.notifications.rows import (
    Kind,
    Wanted,
    WriteReport,
    local_instant,
    person_key,
    staff_rows,
    weekly_rows,
    write_rows,
)
from scheduling.notifications.webhooks import ended_mentorships_write
from scheduling.services.health import running_cohorts, running_cohorts_health_sync
from scholars.models import Mentorship, Scholar

# The digest of a week's check-ins reaches the mentor on the following Monday at this local time.
DIGEST_LOCAL_TIME = dt.time(8, 0)


def write_periodic_notifications(*, as_of: dt.datetime) -> WriteReport:
    """What no meeting write causes: mentors' weekly digests, the feedback requests a write left out, pair health's
    findings and their notices, the notices of calendar clashes whose meeting has come close, and the webhook
    messages of mentorships whose last day is over. Idempotent."""
    return (
        write_check_in_digests(as_of=as_of)
        + feedback_requests_write(as_of=as_of)
        + running_cohorts_health_sync(as_of=as_of).notices
        + WriteReport(created=clash_notices_write(as_of=as_of))
        + ended_mentorships_write(as_of=as_of)
    )


def write_check_in_digests(*, as_of: dt.datetime) -> WriteReport:
    """Each mentor with active scholars gets, for the current week (in the mentor's zone), one digest of their
    scholars' check-ins, due the following Monday at DIGEST_LOCAL_TIME, once the week is complete."""
    cohorts = Cohort.objects.filter(running_cohorts(as_of))
    mentorships = Mentorship.objects.filter(
        ~Q(scholar__status__in=Scholar.INACTIVE_STATUSES), scholar__cohort__in=cohorts
    ).select_related("mentor", "scholar__cohort")
    wanted: dict[str, Wanted] = {}
    for mentorship in mentorships:
        mentor = mentorship.mentor
        week = monday_of(as_of.astimezone(ZoneInfo(mentor.time_zone)).date())
        if not covers_week(mentorship, week):
            continue
        due_at = local_instant(week + dt.timedelta(days=7), DIGEST_LOCAL_TIME, mentor.time_zone)
        for key, row in weekly_rows(
            kind=Kind.CHECKIN_DIGEST, person=mentor, week=week, due_at=due_at
        ).items():
            wanted[key] = Wanted(row, creatable=True)
    return write_rows(wanted.values())


def covers_week(mentorship: Mentorship, week: dt.date) -> bool:
    """Whether the mentorship runs on any day of the week starting ``week``."""
    cohort = mentorship.scholar.cohort
    first = mentorship.start_date or cohort.start_date
    last = mentorship.end_date or cohort.end_date
    return first <= week + dt.timedelta(days=6) and last >= week


@dataclass(frozen=True)
class Concern:
    """Something staff should hear about once: ``key`` names it, ``week`` is when it arose."""

    reason: str
    key: str
    week: dt.date
    details: dict


def escalate_dead_webhook(
    *, person: Person, webhook_url: str, webhook: str, detail: str, as_of: dt.datetime
) -> WriteReport:
    """Tell staff, once per webhook, that Slack refused a person's webhook for good: their messages go by email
    only until they save a new one. ``webhook`` is the URL as logs may show it, without its secret."""
    fingerprint = hashlib.sha256(webhook_url.encode()).hexdigest()[:12]
    concern = Concern(
        "dead_webhook",
        f"{person_key(person)}:webhook={fingerprint}",
        monday_of(as_of.date()),
        {"person": person_key(person), "webhook": webhook, "detail": detail},
    )
    return _escalate([concern], as_of=as_of)


def _escalate(concerns: list[Concern], *, as_of: dt.datetime) -> WriteReport:
    rows = [
        row
        for c in concerns
        for row in staff_rows(
            kind=Kind.ESCALATION,
            key=f"{c.reason}:{c.key}:week={c.week.isoformat()}",
            due_at=as_of,
            payload={"reason": c.reason, "week_start": c.week.isoformat(), **c.details},
            about=f"a concern ({c.reason})",
        )
    ]
    return write_rows(Wanted(row, creatable=True) for row in rows)
