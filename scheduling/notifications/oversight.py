"""The rows no meeting write causes: mentors' weekly check-in digests and escalations to staff (missed check-ins,
a mentorship behind its cadence, a Slack webhook refused for good)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q

from cohort.dates import monday_of
from cohort.models import Cohort, Person
from scheduling.compliance import mentorships_behind_cadence
from scheduling.models import Notification
from scheduling.notifications.clashes import clash_notices_write
from scheduling.notifications.rows import (
    Channel,
    Kind,
    Status,
    Wanted,
    WriteReport,
    local_instant,
    person_key,
    staff_alert_emails,
    weekly_rows,
    write_rows,
)
from scholars.models import CheckIn, Mentorship, Scholar

logger = logging.getLogger(__name__)

# The digest of a week's check-ins reaches the mentor on the following Monday at this local time.
DIGEST_LOCAL_TIME = dt.time(8, 0)
# How far back the escalation writer looks for prompted weeks; two missed in a row needs only the last few.
ESCALATION_LOOKBACK = dt.timedelta(weeks=5)


def write_periodic_notifications(*, as_of: dt.datetime) -> WriteReport:
    """What no meeting write causes: mentors' weekly digests, escalations to staff, and the notices of calendar
    clashes whose meeting has come close. Idempotent."""
    return (
        write_check_in_digests(as_of=as_of)
        + escalate_missed_check_ins(as_of=as_of)
        + escalate_behind_cadence(as_of=as_of)
        + WriteReport(created=clash_notices_write(as_of=as_of))
    )


def _running_cohorts(as_of: dt.datetime) -> Q:
    # A day's margin for zones: a cohort still "runs" on its last local day wherever that is.
    day = as_of.date()
    return Q(start_date__lte=day + dt.timedelta(days=1), end_date__gte=day - dt.timedelta(days=1))


def write_check_in_digests(*, as_of: dt.datetime) -> WriteReport:
    """Each mentor with active scholars gets, for the current week (in the mentor's zone), one digest of their
    scholars' check-ins, due the following Monday at DIGEST_LOCAL_TIME, once the week is complete."""
    cohorts = Cohort.objects.filter(_running_cohorts(as_of))
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


def check_in_closes_at(week: dt.date, zone: str) -> dt.datetime:
    """The end of a check-in's week in the scholar's zone: from then on its prompt is too late to send, and a
    week prompted in time but left unanswered counts as missed."""
    return local_instant(week + dt.timedelta(days=7), dt.time(), zone)


def escalate_missed_check_ins(*, as_of: dt.datetime) -> WriteReport:
    """Tell staff when a scholar missed the check-ins of their last two prompted weeks.

    A check-in is missed when its prompt was sent and the week ended (in the scholar's zone) without one. A prompt
    is only sent while its week is open (``dispatch`` skips it after), so every week counted here gave the scholar
    time to answer, and a prompt sent at ``as_of`` (by the worker or by ``send_due_notifications --as-of``) is never
    missed at ``as_of``. One escalation per scholar per second missed week: a third missed week escalates again.
    """
    prompted = Notification.objects.filter(
        ~Q(recipient_scholar__status__in=Scholar.INACTIVE_STATUSES),
        kind=Kind.CHECKIN_PROMPT,
        status=Status.SENT,
        due_at__gte=as_of - ESCALATION_LOOKBACK,
    ).values_list("recipient_scholar_id", "recipient_scholar__time_zone", "payload")
    closed_weeks: dict[int, set[dt.date]] = defaultdict(set)
    for scholar_id, zone, payload in prompted:
        week = dt.date.fromisoformat(payload["week_start"])
        if check_in_closes_at(week, zone) <= as_of:
            closed_weeks[scholar_id].add(week)
    if not closed_weeks:
        return WriteReport()
    earliest = min(min(weeks) for weeks in closed_weeks.values())
    submitted = set(
        CheckIn.objects.filter(scholar_id__in=list(closed_weeks), week_start__gte=earliest).values_list(
            "scholar_id", "week_start"
        )
    )
    concerns = []
    for scholar_id, weeks in closed_weeks.items():
        last_two = sorted(weeks)[-2:]
        if len(last_two) == 2 and not any((scholar_id, week) in submitted for week in last_two):
            details = {"scholar_id": scholar_id, "weeks": [w.isoformat() for w in last_two]}
            concerns.append(Concern("missed_check_ins", f"scholar={scholar_id}", last_two[-1], details))
    return _escalate(concerns, as_of=as_of)


def escalate_behind_cadence(*, as_of: dt.datetime) -> WriteReport:
    """Tell staff, once a week per mentorship, when a running cohort's mentorship is behind its cadence."""
    concerns = []
    for cohort in Cohort.objects.filter(_running_cohorts(as_of)):
        week = monday_of(as_of.astimezone(ZoneInfo(cohort.time_zone)).date())
        for behind in mentorships_behind_cadence(cohort=cohort, as_of=as_of):
            details = {"mentorship_id": behind.mentorship_id, "detail": str(behind)}
            concerns.append(Concern("behind_cadence", f"mentorship={behind.mentorship_id}", week, details))
    return _escalate(concerns, as_of=as_of)


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
    if not concerns:
        return WriteReport()
    recipients = staff_alert_emails()
    if not recipients:
        logger.warning(
            "%d concerns but no staff address to escalate to: set STAFF_ALERT_EMAILS or give a staff user an "
            "email address.",
            len(concerns),
        )
        return WriteReport()
    rows = [
        Notification(
            kind=Kind.ESCALATION,
            channel=Channel.EMAIL,
            dedupe_key=f"{Kind.ESCALATION}:{c.reason}:{c.key}:week={c.week.isoformat()}:to={email}",
            due_at=as_of,
            recipient_email=email,
            payload={"reason": c.reason, "week_start": c.week.isoformat(), **c.details},
        )
        for c in concerns
        for email in recipients
    ]
    return write_rows(Wanted(row, creatable=True) for row in rows)
