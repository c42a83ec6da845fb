"""What each calendar feed holds, how fresh it is, and its rendering through the one ICS builder.

Every feed reads a fixed number of queries whatever its size, and a feed's version is computed with one aggregate
query, so a client revalidating an unchanged feed costs two queries and no rendering. A feed names only the people
its subscriber may see through the API (cohort.permissions): attendees and organisers outside that are left out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from cohort.models import Break, Cohort, Phase, ProgramEvent
from mentors.models import Mentor
from mentors.selectors import mentors_for
from scheduling import ics
from scheduling.calendar_events import cohort_calendar_events, occurrence_event, series_event
from scheduling.feed_tokens import feed_subscriber
from scheduling.models import FeedToken, Meeting, MeetingSeries
from scholars.models import Scholar
from scholars.selectors import scholars_for, teams_for

Scope = FeedToken.Scope
UTC = dt.UTC
# Calendar clients poll on their own schedules; this is only the hint they may honour.
REFRESH_MINUTES = 60
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: dt.datetime


def feed_series(token: FeedToken) -> QuerySet[MeetingSeries]:
    """The series a feed shows, as a queryset (no rows fetched)."""
    series = MeetingSeries.objects.all()
    if token.scope == Scope.SCHOLAR:
        return series.filter(scholars=token.scholar_id)
    if token.scope == Scope.MENTOR:
        return series.filter(mentor=token.mentor_id)
    if token.scope == Scope.TEAM:
        return series.filter(team=token.team_id)
    if token.scope == Scope.STREAM:
        return series.filter(
            cohort=token.cohort_id,
            kind__in=["group", "standup"],
            mentor__streams=token.stream_id,
        ).distinct()
    return series.none()


@dataclass(frozen=True)
class FeedAudience:
    """The people a feed may name, as querysets (no rows fetched) to filter attendees and organisers in SQL."""

    scholars: QuerySet[Scholar]
    mentors: QuerySet[Mentor]


def feed_audience(token: FeedToken) -> FeedAudience:
    """Whom the subscriber sees through the API, and everyone in the teams they see."""
    user = feed_subscriber(token)
    if user is None:
        # Without a login nobody is visible through the API; a personal feed still names its owner.
        return FeedAudience(
            scholars=Scholar.objects.filter(pk=token.scholar_id),
            mentors=Mentor.objects.filter(pk=token.mentor_id),
        )
    teams = teams_for(user)
    return FeedAudience(
        scholars=Scholar.objects.filter(
            Q(pk__in=scholars_for(user).values("pk"))
            | Q(pk__in=Scholar.objects.filter(teams__in=teams.values("pk")).values("pk"))
        ),
        mentors=Mentor.objects.filter(
            Q(pk__in=mentors_for(user).values("pk")) | Q(pk__in=teams.values("mentor"))
        ),
    )


def _calendar_cohort_id(token: FeedToken) -> int | None:
    """Stream and cohort feeds also carry the cohort's phases and breaks."""
    return token.cohort_id if token.scope in (Scope.STREAM, Scope.COHORT) else None


def feed_version(token: FeedToken) -> tuple[str, dt.datetime]:
    """An ETag and a Last-Modified for the feed, from one aggregate query over everything it shows."""
    series_ids = feed_series(token).values("pk")
    audience = feed_audience(token)
    # Attendees and organisers are in the feed too (names, ATTENDEE lines): their changes are changes of it. Which
    # of them the subscriber may see changes with mentorships and teams, which touch none of these rows: how many
    # are shown and the sum of their ids go in: one person more or fewer always changes them.
    meetings = Meeting.objects.filter(series__in=series_ids).aggregate(
        series_changed=Max("series__updated_at"),
        meetings_changed=Max("updated_at"),
        organisers_changed=Max("series__mentor__updated_at"),
        attendees_changed=Max("series__scholars__updated_at"),
        meetings=Count("pk", distinct=True),
        attendees=Count("series__scholars", distinct=True),
        attendees_shown=Count(
            "series__scholars", filter=Q(series__scholars__in=audience.scholars), distinct=True
        ),
        attendee_ids_shown=Sum(
            "series__scholars", filter=Q(series__scholars__in=audience.scholars), distinct=True
        ),
        organisers_shown=Count(
            "series__mentor", filter=Q(series__mentor__in=audience.mentors), distinct=True
        ),
        organiser_ids_shown=Sum(
            "series__mentor", filter=Q(series__mentor__in=audience.mentors), distinct=True
        ),
    )
    stamps = [
        meetings["series_changed"],
        meetings["meetings_changed"],
        meetings["organisers_changed"],
        meetings["attendees_changed"],
        token.updated_at,
    ]
    # The subscriber's own zone and reminder offsets shape the feed (X-WR-TIMEZONE, VALARMs).
    person = token.scholar or token.mentor
    if person is not None:
        stamps.append(person.updated_at)
    counts = [
        meetings[key]
        for key in (
            "meetings",
            "attendees",
            "attendees_shown",
            "attendee_ids_shown",
            "organisers_shown",
            "organiser_ids_shown",
        )
    ]
    cohort_id = _calendar_cohort_id(token)
    if cohort_id is not None:
        calendar = (
            Cohort.objects.filter(pk=cohort_id)
            .annotate(
                phases_changed=_latest_change(Phase),
                breaks_changed=_latest_change(Break),
                events_changed=_latest_change(ProgramEvent),
                spans=_span_count(Phase) + _span_count(Break) + _span_count(ProgramEvent),
            )
            .values("updated_at", "phases_changed", "breaks_changed", "events_changed", "spans")
            .get()
        )
        stamps += [
            calendar["updated_at"],
            calendar["phases_changed"],
            calendar["breaks_changed"],
            calendar["events_changed"],
        ]
        counts.append(calendar["spans"])
    last_modified = max(stamp for stamp in stamps if stamp is not None)
    fingerprint = f"{token.token_hash}|{last_modified.isoformat()}|{counts}"
    return '"' + hashlib.sha256(fingerprint.encode()).hexdigest()[:32] + '"', last_modified


def _latest_change(model: type[Phase | Break | ProgramEvent]) -> Subquery:
    return Subquery(
        model.objects.filter(cohort=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    )


def _span_count(model: type[Phase | Break | ProgramEvent]) -> Coalesce:
    counted = model.objects.filter(cohort=OuterRef("pk")).values("cohort").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def feed_render(token: FeedToken, *, etag: str, last_modified: dt.datetime) -> RenderedFeed:
    """The feed's bytes, from the cache when this version was rendered before."""
    key = f"feed:{token.token_hash}:{etag.strip(chr(34))}"
    body = cache.get(key)
    if body is None:
        body = _render(token, last_modified=last_modified)
        cache.set(key, body, CACHE_SECONDS)
    return RenderedFeed(body=body, etag=etag, last_modified=last_modified)


def _render(token: FeedToken, *, last_modified: dt.datetime) -> bytes:
    audience = feed_audience(token)
    series = (
        feed_series(token)
        .select_related("mentor", "cohort")
        .annotate(organiser_shown=Exists(audience.mentors.filter(pk=OuterRef("mentor"))))
        .prefetch_related(
            Prefetch("scholars", queryset=audience.scholars, to_attr="attendees_shown"),
            Prefetch("meetings", queryset=Meeting.objects.order_by("original_start")),
        )
        .order_by("pk")
    )
    alarm_minutes = _alarm_minutes(token)
    events: list = [
        event
        for s in series
        if (
            event := series_event(
                s,
                organiser=s.mentor if s.organiser_shown else None,
                attendees=s.attendees_shown,
                alarm_minutes=alarm_minutes,
            )
        )
    ]
    cohort_id = _calendar_cohort_id(token)
    if cohort_id is not None:
        events += cohort_calendar_events(cohort_id, stream_id=token.stream_id)
    owner = token.scholar or token.mentor or token.team or token.stream or token.cohort
    zone = _feed_time_zone(token)
    return ics.render_calendar(
        name=f"cohortops: {owner}",
        time_zone=zone,
        events=events,
        last_modified=last_modified,
        refresh_minutes=REFRESH_MINUTES,
    )


def _feed_time_zone(token: FeedToken) -> str:
    person = token.scholar or token.mentor
    if person is not None:
        return person.time_zone
    if token.team is not None:
        return token.team.mentor.time_zone if token.team.mentor_id else "UTC"
    return token.cohort.time_zone


def _alarm_minutes(token: FeedToken) -> tuple[int, ...]:
    """The subscriber's own reminder setting becomes the feed's alarms; shared feeds carry none."""
    person = token.scholar or token.mentor
    return tuple(sorted(person.reminder_offsets_minutes, reverse=True)) if person else ()


def meetings_in_feed(token: FeedToken) -> QuerySet[Meeting]:
    """The meetings a feed must show (tests compare the parsed feed with this)."""
    return Meeting.objects.filter(series__in=feed_series(token).values("pk")).exclude(
        Q(status=Meeting.Status.CANCELLED)
    )


def meeting_calendar(meeting: Meeting) -> bytes:
    """One meeting as a calendar file to download, with the same UID and RECURRENCE-ID as in the feeds, so
    importing it next to a subscription updates that occurrence rather than duplicating it."""
    event = occurrence_event(meeting)
    return ics.render_calendar(
        name=meeting.series.title,
        time_zone=meeting.series.time_zone,
        events=[event],
        last_modified=event.last_modified,
        method="PUBLISH",
    )
