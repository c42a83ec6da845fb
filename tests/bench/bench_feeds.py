"""Feed throughput: a scholar's full-cohort feed rendered, served from its stamp, revalidated (304), and the floor.

Run: ``python3 run.py bench feeds`` (or ``.venv/bin/python -m tests.bench.bench_feeds``). The floor is Django
serving the same bytes from a static file through the same request path, so the ratios show what the feed
itself costs. Each case calls its view with a prepared request in this process: no network or middleware in the
figures. The cache is the configured one (``run.py bench`` points CACHE_URL at the machine's Redis, as a
deployment would).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache, caches
from django.test import RequestFactory
from django.utils import timezone
from django.views.static import serve

from cohort.dates import monday_of
from tests.bench.database import bench_database

SECONDS_PER_CASE = 3.0


@dataclass(frozen=True)
class Figures:
    per_second: float
    p50_ms: float
    p99_ms: float


def measure(call: Callable[[], object], *, before_each: Callable[[], object] | None = None) -> Figures:
    """Calls per second of ``call`` alone, over SECONDS_PER_CASE; ``before_each`` runs untimed."""
    if before_each:
        before_each()
    call()  # warm up imports and caches the case needs
    durations = []
    deadline = time.perf_counter() + SECONDS_PER_CASE
    while time.perf_counter() < deadline:
        if before_each:
            before_each()
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    p99 = statistics.quantiles(durations, n=100)[98] if len(durations) >= 100 else max(durations)
    return Figures(
        per_second=len(durations) / sum(durations),
        p50_ms=statistics.median(durations) * 1000,
        p99_ms=p99 * 1000,
    )


def report(label: str, figures: Figures, floor: Figures | None = None) -> None:
    ratio = f"{figures.per_second / floor.per_second:7.1%} of the floor" if floor else ""
    print(
        f"  {label:<52} {figures.per_second:9.0f} /s   p50 {figures.p50_ms:7.2f} ms   "
        f"p99 {figures.p99_ms:7.2f} ms   {ratio}"
    )


def build_full_cohort_scholar():
    """A twelve-week cohort with a break; one scholar with a 2x/week 1-on-1, a co-mentor's weekly and a group."""
    # Django's app registry refuses model imports until bench_database() has called django.setup().
    from cohort.models import Break, Cohort, Stream
    from mentors.models import Mentor
    from scheduling.models import Meeting
    from scholars.models import Scholar
    from tests.meeting_rows import cancel_meeting, move_meeting, weekly_series_with_meetings

    # Twelve weeks from next Monday, its break in the seventh: a feed of the same shape whatever day the bench runs.
    first_day = monday_of(timezone.localdate()) + dt.timedelta(weeks=1)
    cohort = Cohort.objects.create(
        name="Bench", slug="bench", start_date=first_day, end_date=first_day + dt.timedelta(weeks=12, days=-3)
    )
    Break.objects.create(
        cohort=cohort,
        name="Break",
        start_date=first_day + dt.timedelta(weeks=6),
        end_date=first_day + dt.timedelta(weeks=6, days=4),
    )
    stream = Stream.objects.create(slug="bench", title="Bench")
    scholar = Scholar.objects.create(
        cohort=cohort, stream=stream, name="Scholar", slug="scholar", email="s@x.org"
    )
    others = [
        Scholar.objects.create(
            cohort=cohort, stream=stream, name=f"Peer {i}", slug=f"peer-{i}", email=f"p{i}@x.org"
        )
        for i in range(5)
    ]
    plans = [
        ("one_on_one", 0, dt.time(10), "Europe/London", [scholar]),
        ("one_on_one", 3, dt.time(10), "Europe/London", [scholar]),
        ("one_on_one", 2, dt.time(9), "America/Los_Angeles", [scholar]),
        ("group", 4, dt.time(15), "Europe/London", [scholar, *others]),
    ]
    for index, (kind, weekday, start, zone, attendees) in enumerate(plans):
        mentor = Mentor.objects.create(
            name=f"Mentor {index}", slug=f"mentor-{index}", email=f"m{index}@x.org"
        )
        series = weekly_series_with_meetings(
            cohort=cohort,
            mentor=mentor,
            scholars=attendees,
            weekday=weekday,
            start=start,
            zone=zone,
            kind=kind,
        )
        meetings = list(series.meetings.order_by("starts_at"))
        move_meeting(meetings[3], to=meetings[3].starts_at + dt.timedelta(hours=2))
        cancel_meeting(meetings[5])
    return scholar, Meeting.objects.filter(series__scholars=scholar).count()


def main() -> None:
    with bench_database() as vendor:
        # The views import models, which Django's app registry refuses until bench_database() has set Django up.
        from cohort.generation import rows_changed
        from scheduling.feed_tokens import feed_token_lookup, feed_token_rotate
        from scheduling.feeds.builder import render_template
        from scheduling.feeds.scopes import feed_scope
        from scheduling.views import calendar_feed

        scholar, meetings = build_full_cohort_scholar()
        token = feed_token_rotate(owner=scholar).https_url.rsplit("/", 1)[1].removesuffix(".ics")
        factory = RequestFactory()
        plain = factory.get("/feeds/[token].ics")
        zipped = factory.get("/feeds/[token].ics", HTTP_ACCEPT_ENCODING="gzip")
        first = calendar_feed(plain, token)
        assert first.status_code == 200, first.status_code
        body = first.content
        conditional = factory.get("/feeds/[token].ics", HTTP_IF_NONE_MATCH=first["ETag"])
        scope = feed_scope(feed_token_lookup(token))
        last_modified = scope.owner().updated_at

        def revalidate() -> None:
            assert calendar_feed(conditional, token).status_code == 304

        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "feed.ics").write_bytes(body)
            request = factory.get("/feed.ics")

            def static_floor() -> None:
                response = serve(request, "feed.ics", document_root=folder)
                b"".join(response.streaming_content)
                response.close()

            floor = measure(static_floor)
            backend = type(caches["default"]).__name__
            print(
                f"Calendar feed benchmark ({vendor}, {backend}): one scholar, {meetings} meetings, "
                f"{len(body)} bytes ({len(calendar_feed(zipped, token).content)} gzipped)"
            )
            report("floor: the same bytes from a static file", floor)
            report("304 revalidation, from the stamp", measure(revalidate), floor)
            report(
                "200 from the stamp and the cached body", measure(lambda: calendar_feed(plain, token)), floor
            )
            report("200 gzipped, from the stamp", measure(lambda: calendar_feed(zipped, token)), floor)
            report(
                "304 after a write elsewhere (version checked)",
                measure(revalidate, before_each=rows_changed),
                floor,
            )
            report(
                "200, nothing cached (render)",
                measure(lambda: calendar_feed(plain, token), before_each=cache.clear),
                floor,
            )
            report(
                f"render alone: {meetings} meetings from the database",
                measure(lambda: render_template(scope, last_modified=last_modified).assemble()),
                floor,
            )


if __name__ == "__main__":
    main()
