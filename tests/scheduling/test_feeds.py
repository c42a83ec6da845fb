"""Calendar feeds, read back the way a calendar client reads them: icalendar + recurring-ical-events."""

import datetime as dt
import gzip
import logging
from unittest import mock

import icalendar
import pytest
import recurring_ical_events
from django.core.cache import cache
from django.db.models.sql.compiler import SQLCompiler
from django.test import Client

from cohort.generation import entry_keys, rows_changed
from scheduling.feed_tokens import feed_token_revoke, feed_token_rotate, hash_token
from scheduling.feeds import builder
from scheduling.feeds.builder import GZIP_MIN_BYTES, stamp_key, version_reads
from scheduling.feeds.scopes import FEED_SCOPES
from scheduling.models import FeedToken, Meeting, MeetingSeries
from scheduling.views import feed_stamp_keys
from tests.factories import (
    BreakFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ProgramEventFactory,
    ScholarFactory,
    StreamFactory,
    TeamFactory,
    UserFactory,
)
from tests.meeting_rows import cancel_meeting, move_meeting, weekly_series_with_meetings

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def token_of(link) -> str:
    return link.https_url.rsplit("/", 1)[1].removesuffix(".ics")


def client_occurrences(body: bytes, start: dt.date, end: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    calendar = icalendar.Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(start, end)
    return sorted(
        (e.start.astimezone(UTC), e.end.astimezone(UTC))
        for e in events
        if ("RRULE" in e or "RECURRENCE-ID" in e) and not _is_programme_calendar(e)
    )


def _is_programme_calendar(event) -> bool:
    """Phases, breaks and programme events: in stream and cohort feeds beside the meetings."""
    return str(event["UID"]).startswith(("phase-", "break-", "program-event-"))


def db_occurrences(series_qs) -> list[tuple[dt.datetime, dt.datetime]]:
    meetings = Meeting.objects.filter(series__in=series_qs).exclude(status=Meeting.Status.CANCELLED)
    return sorted((m.starts_at, m.ends_at) for m in meetings)


@pytest.fixture
def version_reads_compiled_anew():
    """The statements a feed's version is read with compiled by this test's first feed of each kind, not an earlier
    test's (they are kept for the process's life)."""
    version_reads.cache_clear()


@pytest.fixture
def london_cohort():
    # Spans the March clock change in both London (28 Mar) and Los Angeles (14 Mar).
    cohort = CohortFactory(
        start_date=dt.date(2027, 2, 1), end_date=dt.date(2027, 4, 30), time_zone="Europe/London"
    )
    BreakFactory(cohort=cohort, start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 5))
    return cohort


def test_scholar_feed_shows_exactly_the_meetings_in_the_database_across_dst(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort)
    series = weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    moved = series.meetings.order_by("starts_at")[2]
    move_meeting(moved, to=moved.starts_at + dt.timedelta(days=1, hours=3))
    cancel_meeting(series.meetings.order_by("starts_at")[5])

    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    shown = client_occurrences(response.content, london_cohort.start_date, london_cohort.end_date)
    assert shown == db_occurrences([series])
    # Wall clock kept: 10:00 London is 10:00Z in winter and 09:00Z in summer.
    assert {start.hour for start, _ in shown} >= {9, 10}


def test_los_angeles_series_keeps_its_wall_clock_across_the_us_change(client, london_cohort):
    mentor = MentorFactory(time_zone="America/Los_Angeles")
    scholar = ScholarFactory(cohort=london_cohort)
    series = weekly_series_with_meetings(
        cohort=london_cohort,
        mentor=mentor,
        scholars=[scholar],
        weekday=2,
        start=dt.time(9),
        zone="America/Los_Angeles",
    )

    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=mentor))}.ics")

    shown = client_occurrences(response.content, london_cohort.start_date, london_cohort.end_date)
    assert shown == db_occurrences([series])
    assert {start.hour for start, _ in shown} == {16, 17}


def test_a_feed_never_shows_another_persons_meetings(client, london_cohort):
    mine, theirs = ScholarFactory(cohort=london_cohort), ScholarFactory(cohort=london_cohort)
    my_series = weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[mine])
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[theirs], weekday=3)

    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=mine))}.ics")

    calendar = icalendar.Calendar.from_ical(response.content)
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == {my_series.uid}


def test_rotated_token_url_answers_404(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort)
    old = token_of(feed_token_rotate(owner=scholar))
    feed_token_rotate(owner=scholar)

    assert client.get(f"/feeds/{old}.ics").status_code == 404


def test_feed_headers_keep_the_secret_private(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort)

    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics")

    assert response["Cache-Control"] == "private, max-age=300"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_an_unchanged_feed_revalidates_with_304_without_a_query(
    client, london_cohort, django_assert_num_queries
):
    scholar = ScholarFactory(cohort=london_cohort)
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"
    first = client.get(url)

    with django_assert_num_queries(0):
        second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        again = client.get(url)

    assert second.status_code == 304
    assert second["ETag"] == first["ETag"]
    assert again.status_code == 200
    assert again.content == first.content


def test_an_unchanged_feed_revalidates_in_one_cache_round_trip(client, london_cohort, cache_calls):
    scholar = ScholarFactory(cohort=london_cohort)
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"
    etag = client.get(url)["ETag"]
    cache_calls.clear()

    unchanged = client.get(url, HTTP_IF_NONE_MATCH=etag)

    # The address's count of unknown feeds, with the feed's stamp (cohort.throttles, scheduling.views).
    assert (unchanged.status_code, cache_calls) == (304, ["get_many"])


def test_after_a_write_a_feed_revalidates_in_three_cache_round_trips_then_one(
    client, london_cohort, cache_calls
):
    scholar = ScholarFactory(cohort=london_cohort)
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"
    etag = client.get(url)["ETag"]
    rows_changed()
    cache_calls.clear()

    unchanged = client.get(url, HTTP_IF_NONE_MATCH=etag)
    checked = list(cache_calls)
    cache_calls.clear()
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)

    # The count with the stamp and the generation it finds stale (the new stamp is made under that generation,
    # read before the rows), whether the body is still kept, and the new stamp; then the new stamp answers.
    assert (unchanged.status_code, checked) == (304, ["get_many", "get_many", "set"])
    assert (again.status_code, cache_calls) == (304, ["get_many"])


def test_a_feed_whose_body_the_cache_has_let_go_is_made_again(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort)
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    token = token_of(feed_token_rotate(owner=scholar))
    first = client.get(f"/feeds/{token}.ics")
    body_key = cache.get(stamp_key(hash_token(token))).body_key
    # Gone from the shared cache, and from this process, while its stamp is still current.
    cache.delete_many([body_key, f"{body_key}:gzip"])
    builder._recent_bodies.clear()

    again = client.get(f"/feeds/{token}.ics")

    assert (again.status_code, again.content) == (200, first.content)
    assert cache.get(body_key) == first.content


@pytest.mark.parametrize("kind", FEED_SCOPES.values(), ids=lambda kind: kind.__name__)
def test_a_kind_of_feed_says_whether_it_carries_a_programme_as_its_calendar_does(kind):
    token = FeedToken(scope=kind.scope, cohort_id=1, stream_id=2, team_id=3, scholar_id=4, mentor_id=5)

    assert kind.carries_programme == (kind(token).calendar() is not None)


def test_feed_stamp_keys_name_the_feed_of_the_path_only(rf):
    feed = feed_token_rotate(owner=ScholarFactory(cohort=CohortFactory()))
    token = token_of(feed)

    assert feed_stamp_keys(rf.get(f"/feeds/{token}.ics")) == entry_keys(stamp_key(hash_token(token)))
    assert feed_stamp_keys(rf.get(f"/feeds/{token}.ics/more")) == []
    assert feed_stamp_keys(rf.get(f"/feeds/{token}")) == []


def test_after_a_write_elsewhere_a_feed_checks_its_version_once_without_rendering(
    client, london_cohort, django_assert_num_queries
):
    scholar = ScholarFactory(cohort=london_cohort)
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"
    first = client.get(url)
    # Another scholar's meetings: nothing this feed shows.
    weekly_series_with_meetings(
        cohort=london_cohort, mentor=MentorFactory(), scholars=[ScholarFactory(cohort=london_cohort)]
    )

    # The token (two lookups), the feed's version and whom it may name; none of the rendering's queries.
    with django_assert_num_queries(4):
        second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    with django_assert_num_queries(0):
        third = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == third.status_code == 304
    assert second["ETag"] == third["ETag"] == first["ETag"]


def test_after_a_write_feeds_of_a_kind_checked_before_check_their_versions_compiling_nothing(
    client, london_cohort, django_assert_num_queries, version_reads_compiled_anew
):
    mentor = MentorFactory()
    urls, series = [], []
    for weekday in (0, 1):
        scholar = ScholarFactory(cohort=london_cohort, user=UserFactory())
        series.append(
            weekly_series_with_meetings(
                cohort=london_cohort, mentor=mentor, scholars=[scholar], weekday=weekday
            )
        )
        urls.append(f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics")
    etags = [client.get(url)["ETag"] for url in urls]
    weekly_series_with_meetings(
        cohort=london_cohort, mentor=MentorFactory(), scholars=[ScholarFactory(cohort=london_cohort)]
    )

    with (
        mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as compiled,
        django_assert_num_queries(8),
    ):
        answers = [client.get(url, HTTP_IF_NONE_MATCH=etag) for url, etag in zip(urls, etags, strict=True)]

    assert [answer.status_code for answer in answers] == [304, 304]
    assert [answer["ETag"] for answer in answers] == etags
    assert len(set(etags)) == 2
    assert compiled.call_count == 0
    # A change to the second scholar's meetings is a change of their feed only.
    move_meeting(series[1].meetings.earliest("starts_at"), to=dt.datetime(2027, 2, 2, 15, tzinfo=UTC))
    again = [client.get(url, HTTP_IF_NONE_MATCH=etag) for url, etag in zip(urls, etags, strict=True)]
    assert [answer.status_code for answer in again] == [304, 200]


def test_changing_a_meeting_changes_the_etag_and_the_feed(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort)
    series = weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"
    first = client.get(url)
    meeting = series.meetings.order_by("starts_at").last()
    cancel_meeting(meeting)

    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    shown = client_occurrences(second.content, london_cohort.start_date, london_cohort.end_date)
    assert (meeting.starts_at, meeting.ends_at) not in shown


def test_feed_renders_in_a_fixed_number_of_queries(client, london_cohort, django_assert_num_queries):
    scholar = ScholarFactory(cohort=london_cohort)
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    # The token (two lookups), the version, whom it may name, then the series with their scholars and meetings.
    with django_assert_num_queries(7):
        client.get(url)

    for weekday in (2, 3):
        weekly_series_with_meetings(
            cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar], weekday=weekday
        )
    with django_assert_num_queries(7):
        client.get(url)


def test_team_feed_shows_the_team_series(client, london_cohort):
    mentor = MentorFactory()
    team = TeamFactory(cohort=london_cohort, mentor=mentor)
    series = weekly_series_with_meetings(cohort=london_cohort, mentor=mentor, scholars=[], team=team)

    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=team))}.ics")

    calendar = icalendar.Calendar.from_ical(response.content)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [series.uid]


def test_cohort_feed_shows_phases_and_breaks_as_all_day_events(client, london_cohort):
    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=london_cohort))}.ics")

    calendar = icalendar.Calendar.from_ical(response.content)
    [holiday] = calendar.walk("VEVENT")
    assert str(holiday["SUMMARY"]) == "Break: Break"
    assert holiday["DTSTART"].dt == dt.date(2027, 3, 1)
    assert holiday["DTEND"].dt == dt.date(2027, 3, 6)


def test_feed_never_contains_private_notes(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort)
    series = weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    series.meetings.update(private_notes="Scholar struggling; discuss with staff")

    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics")

    assert b"struggling" not in response.content


def test_changing_my_reminder_setting_changes_the_etag_and_the_alarms(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort, reminder_offsets_minutes=[15])
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"
    first = client.get(url)

    scholar.reminder_offsets_minutes = [60]
    scholar.save()
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert b"TRIGGER:-PT1H" in second.content
    assert b"TRIGGER:-PT15M" not in second.content


def test_renaming_an_attendee_changes_the_mentors_feed(client, london_cohort):
    mentor, scholar = MentorFactory(user=UserFactory()), ScholarFactory(cohort=london_cohort)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    weekly_series_with_meetings(cohort=london_cohort, mentor=mentor, scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=mentor))}.ics"
    first = client.get(url)

    scholar.name = "Renamed Scholar"
    scholar.save()
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert "Renamed Scholar" in second.content.decode()


def event_instants(body: bytes) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """What a client shows of the programme's events, by title."""
    calendar = icalendar.Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(dt.date(2027, 1, 1), dt.date(2027, 6, 1))
    return {
        str(e["SUMMARY"]): (e.start.astimezone(UTC), e.end.astimezone(UTC))
        for e in events
        if str(e["UID"]).startswith("program-event-")
    }


def test_cohort_feed_shows_the_programmes_events_at_their_instants_after_the_clock_change(
    client, london_cohort
):
    kickoff = ProgramEventFactory(
        cohort=london_cohort, title="Kick-off", starts_at=dt.datetime(2027, 2, 1, 9, tzinfo=UTC)
    )
    symposium = ProgramEventFactory(cohort=london_cohort, title="Symposium")  # 1 April, summer time
    ProgramEventFactory(cohort=london_cohort, title="Stream lunch", stream=StreamFactory())

    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=london_cohort))}.ics")

    assert event_instants(response.content) == {
        "Kick-off": (kickoff.starts_at, kickoff.ends_at),
        "Symposium": (symposium.starts_at, symposium.ends_at),
    }


def test_stream_feed_shows_its_group_meetings_and_events_but_no_one_on_ones(client, london_cohort):
    stream, other_stream = StreamFactory(), StreamFactory()
    mentor = MentorFactory()
    mentor.streams.add(stream)
    group = weekly_series_with_meetings(
        cohort=london_cohort, mentor=mentor, scholars=[ScholarFactory(cohort=london_cohort)]
    )
    MeetingSeries.objects.filter(pk=group.pk).update(kind="group")
    weekly_series_with_meetings(
        cohort=london_cohort, mentor=mentor, scholars=[ScholarFactory(cohort=london_cohort)], weekday=2
    )
    ProgramEventFactory(cohort=london_cohort, title="Everyone")
    ProgramEventFactory(cohort=london_cohort, title="Ours", stream=stream)
    ProgramEventFactory(cohort=london_cohort, title="Theirs", stream=other_stream)

    link = feed_token_rotate(owner=stream, cohort=london_cohort)
    body = client.get(f"/feeds/{token_of(link)}.ics").content

    assert client_occurrences(body, dt.date(2027, 1, 1), dt.date(2027, 6, 1)) == db_occurrences(
        MeetingSeries.objects.filter(pk=group.pk)
    )
    assert set(event_instants(body)) == {"Everyone", "Ours"}


def test_a_new_programme_event_changes_the_cohort_feeds_etag(client, london_cohort):
    url = f"/feeds/{token_of(feed_token_rotate(owner=london_cohort))}.ics"
    first = client.get(url)

    ProgramEventFactory(cohort=london_cohort, title="Added later")
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert "Added later" in event_instants(second.content)


def people_named(body: bytes) -> dict[str, tuple[str | None, list[str]]]:
    """Each series' organiser and attendees by UID, as the names (CN) a client shows."""
    calendar = icalendar.Calendar.from_ical(body)
    named = {}
    for event in calendar.walk("VEVENT"):
        if _is_programme_calendar(event):
            continue
        attendees = event.get("ATTENDEE", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        organiser = event["ORGANIZER"].params["CN"] if "ORGANIZER" in event else None
        named[str(event["UID"])] = (organiser, sorted(a.params["CN"] for a in attendees))
    return named


def descriptions(body: bytes) -> dict[str, str]:
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    return {str(e["UID"]): str(e["DESCRIPTION"]) for e in events if not _is_programme_calendar(e)}


@pytest.fixture
def stream_of_two_mentors(london_cohort):
    """A stream whose group sessions mix a scholar, their teammate and another mentor's scholar."""
    stream = StreamFactory()
    my_mentor = MentorFactory(name="My Mentor", user=UserFactory())
    other_mentor = MentorFactory(name="Other Mentor")
    for mentor in (my_mentor, other_mentor):
        mentor.streams.add(stream)
    me = ScholarFactory(cohort=london_cohort, stream=stream, name="Me", user=UserFactory())
    teammate = ScholarFactory(cohort=london_cohort, stream=stream, name="Teammate")
    stranger = ScholarFactory(cohort=london_cohort, stream=stream, name="Sample Scholar 01")
    MentorshipFactory(mentor=my_mentor, scholar=me)
    MentorshipFactory(mentor=other_mentor, scholar=stranger)
    team = TeamFactory(cohort=london_cohort, mentor=MentorFactory(name="Team Mentor"))
    team.members.add(me, teammate)
    mixed = weekly_series_with_meetings(
        cohort=london_cohort, mentor=my_mentor, scholars=[me, teammate, stranger]
    )
    others = weekly_series_with_meetings(
        cohort=london_cohort, mentor=other_mentor, scholars=[stranger], weekday=2
    )
    MeetingSeries.objects.update(kind="group")
    return {"stream": stream, "me": me, "my_mentor": my_mentor, "mixed": mixed, "others": others}


def test_a_scholars_stream_feed_names_only_themselves_their_mentors_and_their_team(
    client, london_cohort, stream_of_two_mentors
):
    world = stream_of_two_mentors
    link = feed_token_rotate(owner=world["stream"], cohort=london_cohort, by=world["me"].user)

    body = client.get(f"/feeds/{token_of(link)}.ics").content

    assert people_named(body) == {
        world["mixed"].uid: ("My Mentor", ["Me", "Teammate"]),
        world["others"].uid: (None, []),
    }
    assert descriptions(body) == {
        world["mixed"].uid: "group with My Mentor and Me, Teammate",
        world["others"].uid: "group",
    }


@pytest.mark.parametrize("first", ["me", "stranger"])
def test_subscribers_of_one_kind_each_see_their_own_people_through_the_statements_read_once(
    client, london_cohort, stream_of_two_mentors, first, version_reads_compiled_anew
):
    world = stream_of_two_mentors
    stranger = world["others"].scholars.get()
    stranger.user = UserFactory()
    stranger.save()
    subscribers = {"me": world["me"], "stranger": stranger}
    links = {
        name: feed_token_rotate(owner=world["stream"], cohort=london_cohort, by=person.user)
        for name, person in subscribers.items()
    }

    bodies = {
        name: client.get(f"/feeds/{token_of(links[name])}.ics").content
        for name in sorted(subscribers, key=lambda name: name != first)
    }

    assert people_named(bodies["me"]) == {
        world["mixed"].uid: ("My Mentor", ["Me", "Teammate"]),
        world["others"].uid: (None, []),
    }
    assert people_named(bodies["stranger"]) == {
        world["mixed"].uid: (None, ["Sample Scholar 01"]),
        world["others"].uid: ("Other Mentor", ["Sample Scholar 01"]),
    }


def test_a_mentors_feed_names_their_own_scholars_only(client, london_cohort, stream_of_two_mentors):
    world = stream_of_two_mentors

    body = client.get(f"/feeds/{token_of(feed_token_rotate(owner=world['my_mentor']))}.ics").content

    assert people_named(body) == {world["mixed"].uid: ("My Mentor", ["Me"])}


def test_staff_see_everyone_in_a_stream_feed(client, london_cohort, stream_of_two_mentors):
    world = stream_of_two_mentors
    link = feed_token_rotate(owner=world["stream"], cohort=london_cohort, by=UserFactory(is_staff=True))

    body = client.get(f"/feeds/{token_of(link)}.ics").content

    assert people_named(body) == {
        world["mixed"].uid: ("My Mentor", ["Me", "Sample Scholar 01", "Teammate"]),
        world["others"].uid: ("Other Mentor", ["Sample Scholar 01"]),
    }


def test_a_new_mentorship_changes_the_mentors_feed_and_its_etag(client, london_cohort, stream_of_two_mentors):
    world = stream_of_two_mentors
    url = f"/feeds/{token_of(feed_token_rotate(owner=world['my_mentor']))}.ics"
    first = client.get(url)

    MentorshipFactory(mentor=world["my_mentor"], scholar=world["mixed"].scholars.get(name="Teammate"))
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert people_named(second.content) == {world["mixed"].uid: ("My Mentor", ["Me", "Teammate"])}


def test_a_shared_feed_renders_in_a_fixed_number_of_queries(
    client, london_cohort, stream_of_two_mentors, django_assert_num_queries
):
    world = stream_of_two_mentors
    url = f"/feeds/{token_of(feed_token_rotate(owner=world['stream'], cohort=london_cohort, by=world['me'].user))}.ics"
    # The token (two lookups), its reader's teams, the version (two), whom it may name, then the series
    # with their scholars and meetings, and the programme's phases, breaks and events.
    with django_assert_num_queries(12):
        client.get(url)

    for weekday in (3, 4):
        weekly_series_with_meetings(
            cohort=london_cohort, mentor=world["my_mentor"], scholars=[world["me"]], weekday=weekday
        )
    MeetingSeries.objects.update(kind="group")
    with django_assert_num_queries(12):
        client.get(url)


UNRULY = 'Ann\n"Bee"\r\tCee'


def test_line_breaks_and_quotes_in_names_and_titles_keep_the_feed_readable(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort, name=UNRULY, user=UserFactory())
    mentor = MentorFactory(name=UNRULY)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    series = weekly_series_with_meetings(cohort=london_cohort, mentor=mentor, scholars=[scholar])
    MeetingSeries.objects.update(title=UNRULY + "\x07")

    response = client.get(f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics")

    assert response.status_code == 200
    assert people_named(response.content) == {series.uid: ("Ann 'Bee' Cee", ["Ann 'Bee' Cee"])}
    calendar = icalendar.Calendar.from_ical(response.content)
    shown = recurring_ical_events.of(calendar).between(london_cohort.start_date, london_cohort.end_date)
    assert {str(e["SUMMARY"]) for e in shown} == {'Ann\n"Bee"\n\tCee '}
    assert client_occurrences(response.content, london_cohort.start_date, london_cohort.end_date) == (
        db_occurrences([series])
    )


def test_a_meetings_calendar_file_survives_an_unruly_title_and_name(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort, name=UNRULY, user=UserFactory())
    series = weekly_series_with_meetings(
        cohort=london_cohort, mentor=MentorFactory(name=UNRULY), scholars=[scholar]
    )
    MeetingSeries.objects.update(title=UNRULY)
    meeting = series.meetings.order_by("starts_at").first()
    client.force_login(scholar.user)

    response = client.get(f"/api/v1/meetings/{meeting.pk}/ics/")

    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    [event] = recurring_ical_events.of(calendar).between(meeting.starts_at, meeting.ends_at)
    assert (str(event["SUMMARY"]), event["ATTENDEE"].params["CN"]) == ('Ann\n"Bee"\n\tCee', "Ann 'Bee' Cee")


def test_an_empty_feed_is_a_valid_calendar_with_no_events(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort, time_zone="America/New_York")

    body = client.get(f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics").content

    calendar = icalendar.Calendar.from_ical(body)
    assert [(c.name, str(c["TZID"])) for c in calendar.subcomponents] == [("VTIMEZONE", "America/New_York")]
    assert recurring_ical_events.of(calendar).between(dt.date(2000, 1, 1), dt.date(2100, 1, 1)) == []


@pytest.fixture
def request_logs(caplog, monkeypatch):
    """Django's request log, which the settings keep from propagating to the root logger caplog listens on."""
    monkeypatch.setattr(logging.getLogger("django.request"), "propagate", True)
    with caplog.at_level(logging.INFO):
        yield caplog


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_writing_to_a_feed_is_405_and_the_token_is_never_logged(london_cohort, request_logs, method):
    token = token_of(feed_token_rotate(owner=ScholarFactory(cohort=london_cohort)))

    response = getattr(Client(enforce_csrf_checks=True), method)(f"/feeds/{token}.ics")

    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert [r.getMessage() for r in request_logs.records if r.name == "django.request"] == [
        f"Method Not Allowed ({method.upper()}): /feeds/[token].ics"
    ]
    assert [r for r in request_logs.records if token in repr(vars(r))] == []


def test_a_revoked_feed_is_404_and_its_token_is_never_logged(client, london_cohort, request_logs):
    token = token_of(feed_token_rotate(owner=ScholarFactory(cohort=london_cohort)))
    feed_token_revoke(token=FeedToken.objects.get())

    response = client.get(f"/feeds/{token}.ics")

    assert response.status_code == 404
    assert [r.getMessage() for r in request_logs.records if r.name == "django.request"] == [
        "Not Found (GET): /feeds/[token].ics"
    ]
    assert [r for r in request_logs.records if token in repr(vars(r))] == []


FEED_HEADERS = [
    "Content-Type",
    "Content-Disposition",
    "ETag",
    "Last-Modified",
    "Cache-Control",
    "Referrer-Policy",
    "X-Robots-Tag",
]


def test_head_answers_with_gets_headers_and_no_body(client, london_cohort, django_assert_num_queries):
    scholar = ScholarFactory(cohort=london_cohort, user=UserFactory())
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"

    head = client.head(url, HTTP_ACCEPT_ENCODING="gzip")
    get = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    with django_assert_num_queries(0):
        head_again = client.head(url, HTTP_ACCEPT_ENCODING="gzip")

    assert head.status_code == head_again.status_code == 200
    assert get.content
    assert b"".join(head.streaming_content) == b"".join(head_again.streaming_content) == b""
    for response in (head, head_again):
        assert {name: response[name] for name in FEED_HEADERS} == {name: get[name] for name in FEED_HEADERS}
        assert response["Content-Encoding"] == get["Content-Encoding"] == "gzip"
        assert not response.has_header("Content-Length")


def test_a_large_feed_is_sent_gzipped_to_a_client_that_accepts_it(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort)
    weekly_series_with_meetings(cohort=london_cohort, mentor=MentorFactory(), scholars=[scholar])
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"

    plain = client.get(url)
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="br, gzip;q=0.8")
    revalidated = client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"])

    assert not plain.has_header("Content-Encoding")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 2
    # Another representation of the same feed: a weak validator, which a 304 still honours.
    assert zipped["ETag"] == f"W/{plain['ETag']}"
    assert plain["Vary"] == zipped["Vary"] == "Accept-Encoding"
    assert revalidated.status_code == 304
    for refused in ("gzip;q=0", "br, gzip ; q=0.000", "identity"):
        assert not client.get(url, HTTP_ACCEPT_ENCODING=refused).has_header("Content-Encoding"), refused


def test_a_small_feed_is_sent_as_it_is(client, london_cohort):
    scholar = ScholarFactory(cohort=london_cohort)
    url = f"/feeds/{token_of(feed_token_rotate(owner=scholar))}.ics"

    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")

    assert len(response.content) < GZIP_MIN_BYTES
    assert not response.has_header("Content-Encoding")
    assert icalendar.Calendar.from_ical(response.content).walk("VTIMEZONE")


# The token (two lookups), the version (two) and whom it may name, and for a scholar whether they are still
# in the stream's cohort (their teams): the render is the first subscriber's.
@pytest.mark.parametrize(("first", "second_queries"), [("scholar", 5), ("staff", 6)])
def test_a_shared_feed_is_rendered_once_for_all_its_subscribers(
    client, london_cohort, stream_of_two_mentors, django_assert_num_queries, first, second_queries
):
    world = stream_of_two_mentors
    links = {
        "scholar": feed_token_rotate(owner=world["stream"], cohort=london_cohort, by=world["me"].user),
        "staff": feed_token_rotate(
            owner=world["stream"], cohort=london_cohort, by=UserFactory(is_staff=True)
        ),
    }
    second = "staff" if first == "scholar" else "scholar"
    bodies = {first: client.get(f"/feeds/{token_of(links[first])}.ics").content}

    with django_assert_num_queries(second_queries):
        bodies[second] = client.get(f"/feeds/{token_of(links[second])}.ics").content

    assert people_named(bodies["scholar"]) == {
        world["mixed"].uid: ("My Mentor", ["Me", "Teammate"]),
        world["others"].uid: (None, []),
    }
    assert people_named(bodies["staff"]) == {
        world["mixed"].uid: ("My Mentor", ["Me", "Sample Scholar 01", "Teammate"]),
        world["others"].uid: ("Other Mentor", ["Sample Scholar 01"]),
    }
