"""The one data builder every feed renders through, whatever its scope (``scheduling.feeds.scopes``): its version,
its bytes, and the stamp that answers for it until something it shows changes.

Three cache entries serve a feed, so a request for an unchanged one costs no query:
- the **stamp**, per token: the feed's ETag, Last-Modified and where its bytes are, valid while the feed
  generation (``cohort.generation``) it was computed under is the current one;
- the **template**, per version of the feed's content: rendered once for every subscriber of a shared feed;
- the **body**, per version and audience: the template assembled naming the people one subscriber may see (and
  its gzip), shared by every subscriber who sees the same people, and kept in each process once read.

When the generation has moved on, the version is computed again with one aggregate query (and the audience with
one more), and the template is rendered only if that version is new. Any write moves the generation on, so in a
cohort in use that is what most polls cost: those statements are compiled once per kind of feed and of reader (a
handful), and run with the token's ids (``cohort.prepared``).
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import BigIntegerField, Count, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from cohort.generation import ReadAhead, current_entry_or_generation
from cohort.models import Break, Cohort, Phase, ProgramEvent
from cohort.prepared import PreparedRead, Slot, aggregated
from mentors.models import Mentor
from scheduling import ics
from scheduling.calendar_events import (
    MeetingTimes,
    calendar_person,
    cohort_calendar_events,
    person_key,
    series_event,
)
from scheduling.feeds.scopes import TOKEN_IDS, FeedScope, feed_scope
from scheduling.models import FeedToken, Meeting, MeetingSeries
from scholars.models import Scholar

# Calendar clients poll on their own schedules; this is only the hint they may honour.
REFRESH_MINUTES = 60
CACHE_SECONDS = 24 * 3600
# Smaller feeds gain less from compression than it costs the client to undo.
GZIP_MIN_BYTES = 1024


@dataclass(frozen=True)
class FeedStamp:
    """What answers a request for a feed without a query while ``generation`` is the current one."""

    generation: str
    etag: str
    last_modified: dt.datetime
    body_key: str
    gzipped: bool  # whether a gzip of the body is kept under ``body_key + ":gzip"``


# In every feed cache key: raise it when a change alters what a feed holds or how it is written, so a deployment
# never serves what the previous code rendered (or unpickles its stamps and templates).
FEED_CACHE_VERSION = 2


def stamp_key(token_hash: str) -> str:
    return f"feed-stamp:{FEED_CACHE_VERSION}:{token_hash}"


def cached_feed_stamp(token_hash: str, read_ahead: ReadAhead | None = None) -> tuple[FeedStamp | None, str]:
    """The token's stamp if nothing any feed shows has changed since it was made, and the generation to make a new
    one under: one cache round trip, or none where ``read_ahead`` read it (two more where the cache held no
    generation)."""
    return current_entry_or_generation(stamp_key(token_hash), read_ahead)


def feed_stamp(token: FeedToken, *, generation: str) -> FeedStamp:
    """Version the feed, make sure its body is in the cache (and this process), and keep the stamp that answers
    for both.

    ``generation`` must have been read before the token and anything else the stamp depends on: a change committed
    after that read moves the generation on, so a stamp made from rows read before it is never taken for current.
    """
    scope = feed_scope(token)
    reader, person = scope.reader()
    reads = version_reads(type(scope), reader)
    values = {**scope.ids(), "person": person}
    template_key, last_modified = _feed_version(scope, reads, values)
    visible = _visible_people(reads, values)
    etag = hashlib.sha256(f"{template_key}|{','.join(sorted(visible))}".encode()).hexdigest()[:32]
    body_key = f"feed-body:{FEED_CACHE_VERSION}:{etag}"
    stored = cache.get_many([body_key, f"{body_key}:gzip"])
    if body_key not in stored:
        template = _template(scope, template_key=template_key, last_modified=last_modified)
        body = template.assemble(visible)
        stored = {body_key: body}
        if len(body) >= GZIP_MIN_BYTES:
            # mtime=0: the same body always gzips to the same bytes.
            stored[f"{body_key}:gzip"] = gzip.compress(body, mtime=0)
        cache.set_many(stored, CACHE_SECONDS)
    for key, body in stored.items():
        _remember(
            key, body
        )  # the request at hand reads them next, whatever the shared cache has let go since
    stamp = FeedStamp(
        generation=generation,
        etag=f'"{etag}"',
        last_modified=last_modified,
        body_key=body_key,
        gzipped=f"{body_key}:gzip" in stored,
    )
    cache.set(stamp_key(token.token_hash), stamp, CACHE_SECONDS)
    return stamp


def feed_body(stamp: FeedStamp, *, gzipped: bool) -> bytes | None:
    """The stamp's body (or its gzip), None if the cache has let it go since."""
    key = f"{stamp.body_key}:gzip" if gzipped else stamp.body_key
    with _recent_bodies_lock:
        body = _recent_bodies.get(key)
        if body is not None:
            _recent_bodies.move_to_end(key)
            return body
    body = cache.get(key)
    if body is not None:
        _remember(key, body)
    return body


def _remember(key: str, body: bytes) -> None:
    with _recent_bodies_lock:
        _recent_bodies[key] = body
        _recent_bodies.move_to_end(key)
        while len(_recent_bodies) > RECENT_BODIES:
            _recent_bodies.popitem(last=False)


# A body's key is a digest of everything it holds, so its bytes never change: each process keeps the recent ones
# and serves them without a second trip to a shared cache.
RECENT_BODIES = 256
_recent_bodies: OrderedDict[str, bytes] = OrderedDict()
_recent_bodies_lock = threading.Lock()


# What a feed's content is a function of, besides its owner's settings: the meetings' and their people's last
# changes, and how many of each. Who, not only how many: one person swapped for another changes the sums of ids even
# if no timestamp moved. Attendees and organisers are in the feed too (names, ATTENDEE lines).
MEETINGS_CHANGED = {
    "series_changed": Max("series__updated_at"),
    "meetings_changed": Max("updated_at"),
    "organisers_changed": Max("series__mentor__updated_at"),
    "attendees_changed": Max("series__scholars__updated_at"),
}
MEETINGS_COUNTED = {
    "meetings": Count("pk", distinct=True),
    "attendees": Count("series__scholars", distinct=True),
    "attendances": Count("series__scholars"),
    "attendee_ids": Sum("series__scholars", distinct=True),
    "organiser_ids": Sum("series__mentor", distinct=True),
}
MEETINGS_VERSION = {**MEETINGS_CHANGED, **MEETINGS_COUNTED}
PROGRAMME_CHANGED = ("updated_at", "phases_changed", "breaks_changed", "events_changed")


@dataclass(frozen=True)
class VersionReads:
    """The statements a feed's version and audience are read with, for one kind of feed and of reader: their slots
    are the token's ids (``TOKEN_IDS``) and the reader's ``person``."""

    meetings: PreparedRead  # MEETINGS_VERSION over the feed's meetings
    # PROGRAMME_CHANGED and "spans" of the cohort whose programme the feed carries, if any
    programme: PreparedRead | None
    people: PreparedRead  # the feed's scholars and mentors the reader may see: each one's model and id

    @classmethod
    def compile(cls, kind: type[FeedScope], reader: str) -> VersionReads:
        ids = {name: Slot(name, BigIntegerField()) for name in TOKEN_IDS}
        series = kind.series_of(ids).values("pk")
        audience = kind.audience_of(reader, Slot("person", BigIntegerField()), ids)
        programme = None
        if kind.carries_programme:
            programme = Cohort.objects.filter(pk=ids["cohort"]).annotate(
                phases_changed=_latest_change(Phase),
                breaks_changed=_latest_change(Break),
                events_changed=_latest_change(ProgramEvent),
                spans=_span_count(Phase) + _span_count(Break) + _span_count(ProgramEvent),
            )
        return cls(
            meetings=PreparedRead(
                aggregated(Meeting.objects.filter(series__in=series), **MEETINGS_VERSION), *MEETINGS_VERSION
            ),
            programme=None if programme is None else PreparedRead(programme, *PROGRAMME_CHANGED, "spans"),
            # One statement, unordered (they make a set); the union drops the rows more than one series gives.
            people=PreparedRead(
                _people_in(audience.scholars, series).union(_people_in(audience.mentors, series)),
                "model",
                "pk",
            ),
        )


# By kind of feed and of reader: a few dozen at most, kept for the process's life.
version_reads = functools.cache(VersionReads.compile)


def _feed_version(
    scope: FeedScope, reads: VersionReads, values: Mapping[str, int | None]
) -> tuple[str, dt.datetime]:
    """What the feed's content is a function of, as a digest, and its last change, from one aggregate query over
    everything it shows (two with a programme). Nothing of the subscriber's is in it but their own settings, so
    every subscriber of a shared feed has the same version."""
    rows = reads.meetings.run(**values)
    # A kind of feed that shows no series has no statement to run (``PreparedRead``): what ``aggregate`` gives of
    # no rows (none of them has a default).
    row = (
        rows[0]
        if rows
        else tuple(aggregate.empty_result_set_value for aggregate in MEETINGS_VERSION.values())
    )
    stamps = list(row[: len(MEETINGS_CHANGED)])
    counts = list(row[len(MEETINGS_CHANGED) :])
    # The owner's name is the calendar's; a personal feed's owner's zone and reminder offsets shape it too
    # (X-WR-TIMEZONE, VALARMs). An empty feed has this last change at least.
    stamps.append(scope.owner().updated_at)
    programme = scope.calendar()
    if reads.programme is not None:
        *changed, spans = reads.programme.run(**values)[0]
        stamps += changed
        counts.append(spans)
    last_modified = max(stamp for stamp in stamps if stamp is not None)
    content = [
        scope.scope,
        scope.owner_id(),
        programme,
        _calendar_name(scope),
        scope.time_zone(),
        scope.alarm_minutes(),
        last_modified.isoformat(),
        counts,
    ]
    return hashlib.sha256(repr(content).encode()).hexdigest(), last_modified


def _people_in(people: QuerySet[Scholar] | QuerySet[Mentor], series: QuerySet) -> QuerySet:
    """Those of ``people`` in any of ``series``, as their model's name and their id."""
    named = people.filter(meeting_series__in=series).order_by()
    return named.annotate(model=Value(people.model._meta.model_name)).values_list("model", "pk")


def _visible_people(reads: VersionReads, values: Mapping[str, int | None]) -> frozenset[str]:
    """The people of the feed's series its subscriber may see, as the keys its template names them by."""
    return frozenset(person_key(PERSON_MODELS[model], pk) for model, pk in reads.people.run(**values))


PERSON_MODELS = {model._meta.model_name: model for model in (Scholar, Mentor)}


def _latest_change(model: type[Phase | Break | ProgramEvent]) -> Subquery:
    return Subquery(
        model.objects.filter(cohort=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    )


def _span_count(model: type[Phase | Break | ProgramEvent]) -> Coalesce:
    counted = model.objects.filter(cohort=OuterRef("pk")).values("cohort").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def _calendar_name(scope: FeedScope) -> str:
    return f"cohortops: {scope.owner()}"


def _template(scope: FeedScope, *, template_key: str, last_modified: dt.datetime) -> ics.CalendarTemplate:
    """The feed's calendar for every audience, rendered once per version of its content."""
    key = f"feed-template:{FEED_CACHE_VERSION}:{template_key}"
    template = cache.get(key)
    if template is None:
        template = render_template(scope, last_modified=last_modified)
        cache.set(key, template, CACHE_SECONDS)
    return template


# What series_event reads of each series.
SERIES_SHOWN = (
    "mentor",
    "kind",
    "title",
    "uid",
    "weekday",
    "start_time",
    "duration_minutes",
    "time_zone",
    "interval_weeks",
    "starts_on",
    "ends_on",
    "version",
    "updated_at",
    "mentor__name",
    "mentor__email",
    "meeting_place",
    "mentor__meeting_place",
)


def render_template(scope: FeedScope, *, last_modified: dt.datetime) -> ics.CalendarTemplate:
    """The feed's calendar for every audience, from the database: three queries, and only what it shows (a
    mentor's row carries their whole stream-document biography; meetings and attendees come as plain rows)."""
    series = list(scope.series().select_related("mentor").only(*SERIES_SHOWN).order_by("pk"))
    ids = [s.pk for s in series]
    meetings = defaultdict(list)
    for row in (
        Meeting.objects.filter(series__in=ids).order_by("original_start").values_list(*MeetingTimes._fields)
    ):
        meetings[row[0]].append(MeetingTimes._make(row))
    attendees = defaultdict(list)
    for series_id, *person in (
        MeetingSeries.scholars.through.objects.filter(meetingseries__in=ids)
        .order_by("scholar__name", "scholar")
        .values_list("meetingseries", "scholar", "scholar__name", "scholar__email")
    ):
        attendees[series_id].append(calendar_person(Scholar, *person))
    alarm_minutes = scope.alarm_minutes()
    events: list = [
        event
        for s in series
        if (
            event := series_event(
                s, meetings=meetings[s.pk], attendees=attendees[s.pk], alarm_minutes=alarm_minutes
            )
        )
    ]
    programme = scope.calendar()
    if programme is not None:
        events += cohort_calendar_events(programme.cohort_id, stream_id=programme.stream_id)
    return ics.calendar_template(
        name=_calendar_name(scope),
        time_zone=scope.time_zone(),
        events=events,
        last_modified=last_modified,
        refresh_minutes=REFRESH_MINUTES,
    )
