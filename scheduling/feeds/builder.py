"""The one data builder every feed renders through, whatever its scope (``scheduling.feeds.scopes``): its version
and its bytes.

Every feed reads a fixed number of queries whatever its size, and a feed's version is computed with one aggregate
query, so a client revalidating an unchanged feed costs two queries and no rendering.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from cohort.models import Break, Cohort, Phase, ProgramEvent
from scheduling import ics
from scheduling.calendar_events import cohort_calendar_events, series_event
from scheduling.feeds.scopes import FeedScope, feed_scope
from scheduling.models import FeedToken, Meeting

# Calendar clients poll on their own schedules; this is only the hint they may honour.
REFRESH_MINUTES = 60
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: dt.datetime


def feed_version(token: FeedToken) -> tuple[str, dt.datetime]:
    """An ETag and a Last-Modified for the feed, from one aggregate query over everything it shows."""
    scope = feed_scope(token)
    series_ids = scope.series().values("pk")
    audience = scope.audience()
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
    person = scope.settings_owner()
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
    programme = scope.calendar()
    if programme is not None:
        calendar = (
            Cohort.objects.filter(pk=programme.cohort_id)
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
        body = _render(feed_scope(token), last_modified=last_modified)
        cache.set(key, body, CACHE_SECONDS)
    return RenderedFeed(body=body, etag=etag, last_modified=last_modified)


def _render(scope: FeedScope, *, last_modified: dt.datetime) -> bytes:
    audience = scope.audience()
    series = (
        scope.series()
        .select_related("mentor", "cohort")
        .annotate(organiser_shown=Exists(audience.mentors.filter(pk=OuterRef("mentor"))))
        .prefetch_related(
            Prefetch("scholars", queryset=audience.scholars, to_attr="attendees_shown"),
            Prefetch("meetings", queryset=Meeting.objects.order_by("original_start")),
        )
        .order_by("pk")
    )
    alarm_minutes = scope.alarm_minutes()
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
    programme = scope.calendar()
    if programme is not None:
        events += cohort_calendar_events(programme.cohort_id, stream_id=programme.stream_id)
    return ics.render_calendar(
        name=f"cohortops: {scope.owner()}",
        time_zone=scope.time_zone(),
        events=events,
        last_modified=last_modified,
        refresh_minutes=REFRESH_MINUTES,
    )
