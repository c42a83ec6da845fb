"""Writing notification rows, set-based and idempotent: who is reached through which channel, under which key."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from cohort.models import Person
from mentors.models import Mentor
from scheduling.models import Meeting, Notification
from scholars.models import Scholar

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Channel = Notification.Channel
Status = Notification.Status

# Messages about a meeting ahead: worthless once it has started, and each for one version of it.
MEETING_KINDS = frozenset({Kind.REMINDER, Kind.CHANGE, Kind.CANCELLATION})
LIVE_MEETING_STATUSES = (Meeting.Status.SCHEDULED, Meeting.Status.MOVED)
# Change, cancellation and clash notices go out for meetings this close. Further out the calendar feeds (polled
# every few hours), the next reminder or a later notice carry it, so a re-plan or a newly read calendar that touches
# a whole series floods no inbox.
NOTICE_HORIZON = dt.timedelta(days=7)


def with_attendees(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Meetings with their series' mentor and the scholars still in the programme, as the notification writers
    read them (two queries)."""
    active = Scholar.objects.exclude(status__in=Scholar.INACTIVE_STATUSES)
    return meetings.select_related("series__mentor").prefetch_related(
        Prefetch("series__scholars", queryset=active)
    )


@dataclass(frozen=True)
class WriteReport:
    created: int = 0
    superseded: int = 0
    rescheduled: int = 0

    def __add__(self, other: WriteReport) -> WriteReport:
        return WriteReport(
            self.created + other.created,
            self.superseded + other.superseded,
            self.rescheduled + other.rescheduled,
        )


@dataclass(frozen=True)
class Wanted:
    """A row that should exist; ``creatable`` is False when it should not be written now (its time has passed)."""

    row: Notification
    creatable: bool


def person_channels(person: Person) -> list[str]:
    """Email for everyone with an address; Slack as well for people who gave a webhook."""
    channels = []
    if person.email:
        channels.append(Channel.EMAIL)
    if person.slack_webhook_url:
        channels.append(Channel.SLACK)
    return channels


def person_key(person: Person) -> str:
    return f"{'mentor' if isinstance(person, Mentor) else 'scholar'}={person.pk}"


def recipient_fields(person: Person) -> dict:
    if isinstance(person, Mentor):
        return {"recipient_mentor": person}
    return {"recipient_scholar": person}


def weekly_rows(*, kind: str, person: Person, week: dt.date, due_at: dt.datetime) -> dict[str, Notification]:
    """A notification about one week (a check-in prompt, a digest) for ``person``: a row per channel, by key."""
    rows = {}
    for channel in person_channels(person):
        key = f"{kind}:{person_key(person)}:week={week.isoformat()}:{channel}"
        rows[key] = Notification(
            kind=kind,
            channel=channel,
            dedupe_key=key,
            due_at=due_at,
            payload={"week_start": week.isoformat()},
            **recipient_fields(person),
        )
    return rows


def local_instant(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    """A wall-clock time on a day in a zone, as UTC. Times in a spring-forward gap resolve forward (fold=0)."""
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def check_in_closes_at(week: dt.date, zone: str) -> dt.datetime:
    """The end of a check-in's week in the scholar's zone: from then on its prompt is too late to send, and a
    week prompted in time but left unanswered counts as missed."""
    return local_instant(week + dt.timedelta(days=7), dt.time(), zone)


def write_rows(wanted: Iterable[Wanted], *, supersede: Iterable[int] = ()) -> WriteReport:
    """Create the creatable wanted rows that do not exist yet; mark the given pending rows superseded."""
    to_supersede = list(supersede)
    superseded = 0
    if to_supersede:
        superseded = Notification.objects.filter(pk__in=to_supersede, status=Status.PENDING).update(
            status=Status.SUPERSEDED, last_error="", updated_at=timezone.now()
        )
    rows = [w.row for w in wanted if w.creatable]
    if not rows:
        return WriteReport(superseded=superseded)
    before = Notification.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).count()
    # ignore_conflicts: a row with the same key exists already (written by an earlier call, perhaps sent).
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return WriteReport(created=len(rows) - before, superseded=superseded)


def staff_alert_emails() -> list[str]:
    """settings.STAFF_ALERT_EMAILS, or else every active staff user's address (not mentors': their admin logins
    are ``is_staff`` too, but escalations about other people's scholars are not theirs to read)."""
    configured = list(getattr(settings, "STAFF_ALERT_EMAILS", []))
    if configured:
        return configured
    users = (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .filter(Q(mentor__isnull=True) | Q(is_superuser=True))
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def staff_rows(*, kind: str, key: str, due_at: dt.datetime, payload: dict, about: str) -> list[Notification]:
    """One mail to each staff address (``staff_alert_emails``), keyed ``{kind}:{key}:to={address}``; none, and a
    warning naming ``about``, when no staff address is set."""
    recipients = staff_alert_emails()
    if not recipients:
        logger.warning(
            "No staff address to tell of %s: set STAFF_ALERT_EMAILS or give a staff user an email address.",
            about,
        )
    return [
        Notification(
            kind=kind,
            channel=Channel.EMAIL,
            dedupe_key=f"{kind}:{key}:to={email}",
            due_at=due_at,
            recipient_email=email,
            payload=payload,
        )
        for email in recipients
    ]
