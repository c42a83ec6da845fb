"""Published meetings that an attendee's own calendar shows them busy for: found, kept as ``CalendarClash`` rows,
told once to the person and to staff, and resolved when they no longer hold. No meeting is ever moved for one.

Checked whenever either side changes: a person's busy times (``busy_times_changed``, after a calendar is read or
removed) and meetings (wherever their notifications are synced: a plan applied, a refresh, a move, a cancel).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from cohort.models import Person
from mentors.models import Mentor
from scheduling.models import CalendarClash, Meeting, Notification
from scheduling.notifications.oversight import staff_alert_emails
from scheduling.notifications.rows import (
    LIVE_MEETING_STATUSES,
    Channel,
    Kind,
    Wanted,
    person_channels,
    person_key,
    recipient_fields,
    write_rows,
)
from scholars.models import BusyBlock, Scholar


@dataclass(frozen=True)
class ClashReport:
    opened: int = 0
    resolved: int = 0


def person_clashes_refresh(*, person: Mentor | Scholar, now: dt.datetime | None = None) -> ClashReport:
    """After a person's busy times changed: their upcoming meetings, checked again (and their open clashes)."""
    now = now or timezone.now()
    attends = Q(series__mentor=person) if isinstance(person, Mentor) else Q(series__scholars=person)
    field = "mentor" if isinstance(person, Mentor) else "scholar"
    open_clashes = CalendarClash.objects.filter(**{field: person}, resolved_at__isnull=True).values("meeting")
    meetings = (
        Meeting.objects.filter((attends & Q(ends_at__gt=now)) | Q(pk__in=open_clashes))
        .distinct()
        .select_related("series__mentor")
        .prefetch_related(
            Prefetch(
                "series__scholars", queryset=Scholar.objects.exclude(status__in=Scholar.INACTIVE_STATUSES)
            )
        )
    )
    return meeting_clashes_sync(meetings=list(meetings), now=now)


def meeting_clashes_sync(*, meetings: Sequence[Meeting], now: dt.datetime) -> ClashReport:
    """Open a clash (and its notices) for each attendee busy during a live upcoming meeting among ``meetings``;
    resolve the open clashes of those meetings that no longer hold. ``meetings`` come with their series' mentor
    and active scholars loaded, as ``sync_meeting_notifications`` loads them."""
    loaded = list(meetings)
    found = _busy_during(loaded, now=now)
    open_clashes = {
        (clash.meeting_id, clash.mentor_id, clash.scholar_id): clash
        for clash in CalendarClash.objects.filter(meeting__in=loaded, resolved_at__isnull=True)
    }
    gone = [clash.pk for key, clash in open_clashes.items() if key not in found]
    resolved = (
        CalendarClash.objects.filter(pk__in=gone).update(resolved_at=now, updated_at=now) if gone else 0
    )
    new = [
        CalendarClash(
            meeting=meeting,
            mentor=person if isinstance(person, Mentor) else None,
            scholar=person if isinstance(person, Scholar) else None,
            busy_starts_at=block.starts_at,
            busy_ends_at=block.ends_at,
        )
        for key, (meeting, person, block) in found.items()
        if key not in open_clashes
    ]
    opened = []
    for clash in new:
        try:
            with transaction.atomic():
                clash.save()
        except IntegrityError:
            continue  # a concurrent check opened it, and wrote its notices
        opened.append(clash)
    write_rows(Wanted(row, creatable=True) for row in _notices(opened, now=now))
    return ClashReport(opened=len(opened), resolved=resolved)


def _busy_during(
    meetings: list[Meeting], *, now: dt.datetime
) -> dict[tuple, tuple[Meeting, Person, BusyBlock]]:
    """(meeting, mentor id, scholar id) -> the meeting, the busy attendee and the first busy time it touches."""
    live = [m for m in meetings if m.status in LIVE_MEETING_STATUSES and m.ends_at > now]
    if not live:
        return {}
    attendees = {m.pk: [m.series.mentor, *m.series.scholars.all()] for m in live}
    blocks: dict[tuple[str, int], list[BusyBlock]] = defaultdict(list)
    window = Q(starts_at__lt=max(m.ends_at for m in live), ends_at__gt=min(m.starts_at for m in live))
    people = [person for group in attendees.values() for person in group]
    mentor_ids = {p.pk for p in people if isinstance(p, Mentor)}
    scholar_ids = {p.pk for p in people if isinstance(p, Scholar)}
    for block in BusyBlock.objects.filter(
        window, Q(source__mentor_id__in=mentor_ids) | Q(source__scholar_id__in=scholar_ids)
    ).select_related("source"):
        who = (
            ("mentor", block.source.mentor_id)
            if block.source.mentor_id
            else ("scholar", block.source.scholar_id)
        )
        blocks[who].append(block)
    found = {}
    for meeting in live:
        for person in attendees[meeting.pk]:
            role = "mentor" if isinstance(person, Mentor) else "scholar"
            hit = next(
                (
                    b
                    for b in blocks[(role, person.pk)]
                    if b.starts_at < meeting.ends_at and meeting.starts_at < b.ends_at
                ),
                None,
            )
            if hit is not None:
                key = (
                    meeting.pk,
                    person.pk if role == "mentor" else None,
                    person.pk if role == "scholar" else None,
                )
                found[key] = (meeting, person, hit)
    return found


def _notices(clashes: Sequence[CalendarClash], *, now: dt.datetime) -> list[Notification]:
    """One notice per clash to the busy person on each of their channels, and one to each staff address."""
    if not clashes:
        return []
    staff = staff_alert_emails()
    rows = []
    for clash in clashes:
        common = {
            "kind": Kind.CLASH,
            "due_at": now,
            "meeting": clash.meeting,
            "meeting_version": clash.meeting.version,
            "payload": {"clash_id": clash.pk},
        }
        for channel in person_channels(clash.person):
            key = f"{Kind.CLASH}:{clash.pk}:{person_key(clash.person)}:{channel}"
            rows.append(
                Notification(channel=channel, dedupe_key=key, **common, **recipient_fields(clash.person))
            )
        for email in staff:
            key = f"{Kind.CLASH}:{clash.pk}:to={email}"
            rows.append(Notification(channel=Channel.EMAIL, dedupe_key=key, recipient_email=email, **common))
    return rows
