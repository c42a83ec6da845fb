"""Published meetings that an attendee's own calendar shows them busy for: found, kept as ``CalendarClash`` rows,
told once to the person and to staff, and resolved when they no longer hold. No meeting is ever moved for one.

Checked whenever either side changes: a person's busy times (``busy_times_changed``, after a calendar is read or
removed) and meetings (wherever their notifications are synced: a plan applied, a refresh, a move, a cancel).

A clash is of one person, one meeting and that meeting's version: a moved meeting that is still busy is a new
clash, told afresh with its new time. Its notices are keyed the same way, so a clash that resolves and comes back
(a calendar read once while its server answered an empty file) is not told twice, and told again only if its first
notice was skipped as resolved. Like change notices, they go out for meetings within NOTICE_HORIZON: a weekly busy
hour over a weekly series is told week by week (``clash_notices_write``, on the periodic tick), not all at once.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from mentors.models import Mentor
from scheduling.models import CalendarClash, Meeting, Notification
from scheduling.notifications.rows import (
    LIVE_MEETING_STATUSES,
    NOTICE_HORIZON,
    Channel,
    Kind,
    Status,
    Wanted,
    person_channels,
    person_key,
    recipient_fields,
    staff_alert_emails,
    with_attendees,
    write_rows,
)
from scholars.models import BusyBlock, Scholar

# (meeting pk, meeting version, mentor pk, scholar pk): one of the two people is None.
ClashKey = tuple[int, int, int | None, int | None]


@dataclass(frozen=True)
class ClashReport:
    opened: int = 0
    resolved: int = 0


def person_clashes_refresh(*, person: Mentor | Scholar, now: dt.datetime | None = None) -> ClashReport:
    """After a person's busy times changed: their upcoming meetings, checked again (and their open clashes)."""
    now = now or timezone.now()
    attends = Q(series__mentor=person) if isinstance(person, Mentor) else Q(series__scholars=person)
    open_clashes = CalendarClash.objects.filter(_of(person), resolved_at__isnull=True).values("meeting")
    meetings = Meeting.objects.filter((attends & Q(ends_at__gt=now)) | Q(pk__in=open_clashes)).distinct()
    return meeting_clashes_sync(meetings=list(with_attendees(meetings)), now=now)


def meeting_clashes_sync(*, meetings: Sequence[Meeting], now: dt.datetime) -> ClashReport:
    """Open a clash (and its notices) for each attendee busy during a live upcoming meeting among ``meetings``;
    resolve the open clashes of those meetings that no longer hold. ``meetings`` come loaded by
    ``rows.with_attendees``, as ``sync_meeting_notifications`` loads them."""
    found = _busy_during(list(meetings), now=now)
    open_clashes: dict[ClashKey, CalendarClash] = {
        (clash.meeting_id, clash.meeting_version, clash.mentor_id, clash.scholar_id): clash
        for clash in CalendarClash.objects.filter(meeting__in=meetings, resolved_at__isnull=True)
    }
    gone = [clash.pk for key, clash in open_clashes.items() if key not in found]
    resolved = (
        CalendarClash.objects.filter(pk__in=gone).update(resolved_at=now, updated_at=now) if gone else 0
    )
    opened = []
    for key, (meeting, person, block) in found.items():
        if key in open_clashes:
            continue
        clash = CalendarClash(
            meeting=meeting,
            meeting_version=meeting.version,
            **{_role(person): person},
            busy_starts_at=block.starts_at,
            busy_ends_at=block.ends_at,
        )
        try:
            with transaction.atomic():
                clash.save()
        except IntegrityError:
            continue  # a concurrent check opened it, and wrote its notices
        opened.append(clash)
    _notices_write([clash for clash in opened if clash.meeting.starts_at <= now + NOTICE_HORIZON], now=now)
    return ClashReport(opened=len(opened), resolved=resolved)


def clash_notices_write(*, as_of: dt.datetime) -> int:
    """The notices of open clashes whose meeting has come within NOTICE_HORIZON (idempotent); how many rows."""
    due = CalendarClash.objects.filter(
        resolved_at__isnull=True,
        meeting__version=F("meeting_version"),
        meeting__starts_at__gt=as_of,
        meeting__starts_at__lte=as_of + NOTICE_HORIZON,
    ).select_related("meeting", "mentor", "scholar")
    return _notices_write(list(due), now=as_of)


def open_clashes_told_by(notice: Notification) -> QuerySet[CalendarClash]:
    """The open clash a CLASH notice tells of, while it holds: same meeting, version and person."""
    role, _, pk = notice.payload["person"].partition("=")
    return open_clashes_matching(
        role=role, person=pk, meeting=notice.meeting_id, meeting_version=notice.meeting_version
    )


def open_clashes_matching(
    *, role: str, person: object, meeting: object, meeting_version: object
) -> QuerySet[CalendarClash]:
    """The open clashes of one person (``role``: "mentor" or "scholar") with one version of a meeting; the values
    may be expressions (a prepared statement's slots)."""
    return CalendarClash.objects.filter(
        **{f"{role}_id": person},
        meeting_id=meeting,
        meeting_version=meeting_version,
        resolved_at__isnull=True,
    )


def open_clash_of(notice: Notification) -> CalendarClash | None:
    return open_clashes_told_by(notice).select_related("mentor", "scholar").first()


def _role(person: Mentor | Scholar) -> str:
    return "mentor" if isinstance(person, Mentor) else "scholar"


def _of(person: Mentor | Scholar) -> Q:
    return Q(**{_role(person): person})


def _busy_during(
    meetings: list[Meeting], *, now: dt.datetime
) -> dict[ClashKey, tuple[Meeting, Mentor | Scholar, BusyBlock]]:
    """Each live upcoming meeting's attendees who are busy then, with the first busy time it touches."""
    live = [m for m in meetings if m.status in LIVE_MEETING_STATUSES and m.ends_at > now]
    if not live:
        return {}
    attendees = {m.pk: [m.series.mentor, *m.series.scholars.all()] for m in live}
    people = [person for group in attendees.values() for person in group]
    window = Q(starts_at__lt=max(m.ends_at for m in live), ends_at__gt=min(m.starts_at for m in live))
    whose = Q(source__mentor_id__in={p.pk for p in people if isinstance(p, Mentor)}) | Q(
        source__scholar_id__in={p.pk for p in people if isinstance(p, Scholar)}
    )
    # Per person, sorted by end, so the busy times that end too early are skipped by bisection.
    blocks: dict[tuple[str, int], list[BusyBlock]] = defaultdict(list)
    for block in BusyBlock.objects.filter(window, whose).select_related("source").order_by("ends_at"):
        owner = (
            ("mentor", block.source.mentor_id)
            if block.source.mentor_id
            else ("scholar", block.source.scholar_id)
        )
        blocks[owner].append(block)
    ends = {owner: [block.ends_at for block in owned] for owner, owned in blocks.items()}
    found = {}
    for meeting in live:
        for person in attendees[meeting.pk]:
            owner = (_role(person), person.pk)
            if owner not in blocks:
                continue
            # Busy times ending after the meeting starts (one ending as it starts does not touch it) ...
            after = bisect_right(ends[owner], meeting.starts_at)
            # ... and starting before it ends; several calendars' times may overlap, so not only the first.
            hit = next((b for b in blocks[owner][after:] if b.starts_at < meeting.ends_at), None)
            if hit is not None:
                mentor_id, scholar_id = (person.pk, None) if owner[0] == "mentor" else (None, person.pk)
                found[(meeting.pk, meeting.version, mentor_id, scholar_id)] = (meeting, person, hit)
    return found


def _notices_write(clashes: Sequence[CalendarClash], *, now: dt.datetime) -> int:
    """Write the clashes' notices; one skipped because its clash had resolved goes out again now it is back."""
    rows = _notices(clashes, now=now)
    if not rows:
        return 0
    written = write_rows(Wanted(row, creatable=True) for row in rows).created
    return written + Notification.objects.filter(
        dedupe_key__in=[row.dedupe_key for row in rows], status=Status.SKIPPED
    ).update(status=Status.PENDING, due_at=now, last_error="", updated_at=now)


def _notices(clashes: Sequence[CalendarClash], *, now: dt.datetime) -> list[Notification]:
    """One notice per clash to the busy person on each of their channels, and one to each staff address, keyed
    by meeting, version and person."""
    if not clashes:
        return []
    staff = staff_alert_emails()
    rows = []
    for clash in clashes:
        who = person_key(clash.person)
        key = f"{Kind.CLASH}:meeting={clash.meeting_id}:version={clash.meeting_version}:{who}"
        common = {
            "kind": Kind.CLASH,
            "due_at": now,
            "meeting": clash.meeting,
            "meeting_version": clash.meeting_version,
            "payload": {"person": who},
        }
        for channel in person_channels(clash.person):
            rows.append(
                Notification(
                    channel=channel, dedupe_key=f"{key}:{channel}", **common, **recipient_fields(clash.person)
                )
            )
        for email in staff:
            rows.append(
                Notification(
                    channel=Channel.EMAIL, dedupe_key=f"{key}:to={email}", recipient_email=email, **common
                )
            )
    return rows
