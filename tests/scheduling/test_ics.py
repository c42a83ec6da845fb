"""The feeds are checked by what icalendar and recurring_ical_events read back from them, not by their text."""

import datetime as dt

import pytest
import recurring_ical_events
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from scheduling.ics import (
    AllDayEvent,
    CalendarPerson,
    OccurrenceOverride,
    SeriesEvent,
    SingleEvent,
    calendar_template,
    render_calendar,
    render_invitation,
)
from scheduling.recurrence import DateRange, WeeklyRule, dates_in, expand

UTC = dt.UTC
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
STAMP = dt.datetime(2025, 2, 1, 12, tzinfo=UTC)
CAS = CalendarPerson(name="Cas", email="cas@example.org")
ANN = CalendarPerson(name="Ann Lee", email="ann@example.org")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def weekly(*weekdays: int, at: dt.time = dt.time(10), zone: str = "Europe/London", **changes) -> WeeklyRule:
    return WeeklyRule(weekdays=weekdays, start=at, duration_minutes=60, time_zone=zone, **changes)


def series_event(
    rule: WeeklyRule, *, first_day: dt.date, last_day: dt.date, uid: str = "series-1@cohortops", **changes
) -> SeriesEvent:
    """A series over the rule's occurrences between two dates, as the feeds build it."""
    occurrences = expand(rule, first_day=first_day, last_day=last_day)
    fields = {
        "uid": uid,
        "summary": "1-on-1: Cas and Ann",
        "description": "",
        "location": "",
        "rule": rule,
        "first_start_local": rule.local_start(occurrences[0].local_date),
        "until_utc": occurrences[-1].starts_at_utc,
        "sequence": 1,
        "last_modified": STAMP,
        "organizer": CAS,
        "attendees": (ANN,),
    } | changes
    return SeriesEvent(**fields)


def june_mondays(**changes) -> SeriesEvent:
    """Mondays at 10:00 in London, 2 to 30 June 2025: 09:00 UTC, as London is on summer time."""
    return series_event(weekly(MON), first_day=dt.date(2025, 6, 2), last_day=dt.date(2025, 6, 30), **changes)


def june_16_override(**changes) -> OccurrenceOverride:
    """The June Mondays' 16 June occurrence (09:00 UTC), moved to Tuesday 17 June, 14:00 to 15:00 UTC."""
    fields = {
        "original_start_utc": utc(2025, 6, 16, 9),
        "status": "moved",
        "starts_at_utc": utc(2025, 6, 17, 14),
        "ends_at_utc": utc(2025, 6, 17, 15),
        "sequence": 4,
        "last_modified": utc(2025, 6, 10, 8),
    } | changes
    return OccurrenceOverride(**fields)


def single_event(**changes) -> SingleEvent:
    fields = {
        "uid": "meeting-7@cohortops",
        "summary": "Group meeting",
        "description": "",
        "location": "",
        "starts_at_utc": utc(2025, 6, 3, 16),
        "ends_at_utc": utc(2025, 6, 3, 17),
        "time_zone": "America/Los_Angeles",
        "sequence": 2,
        "status": "CONFIRMED",
        "last_modified": STAMP,
        "organizer": CAS,
        "attendees": (ANN,),
    } | changes
    return SingleEvent(**fields)


def feed(*events) -> bytes:
    return render_calendar(
        name="cohortops: Ann Lee", time_zone="Europe/London", events=events, last_modified=STAMP
    )


def expanded(body: bytes, first_day: dt.date, last_day: dt.date) -> list:
    """The occurrences recurring_ical_events reads from the feed on those dates (as UTC days), by start."""
    span = (
        dt.datetime.combine(first_day, dt.time(), UTC),
        dt.datetime.combine(last_day + dt.timedelta(1), dt.time(), UTC),
    )
    occurrences = recurring_ical_events.of(Calendar.from_ical(body)).between(*span)
    return sorted(occurrences, key=lambda event: event["DTSTART"].dt.astimezone(UTC))


def starts_in(body: bytes, first_day: dt.date, last_day: dt.date) -> list[dt.datetime]:
    return [event["DTSTART"].dt.astimezone(UTC) for event in expanded(body, first_day, last_day)]


def spans_in(body: bytes, first_day: dt.date, last_day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    return [
        (event["DTSTART"].dt.astimezone(UTC), event["DTEND"].dt.astimezone(UTC))
        for event in expanded(body, first_day, last_day)
    ]


def vevents(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


def test_london_series_keeps_ten_oclock_local_across_the_march_and_october_changes():
    rule = weekly(MON, THU)
    body = feed(series_event(rule, first_day=dt.date(2025, 3, 17), last_day=dt.date(2025, 11, 6)))

    assert starts_in(body, dt.date(2025, 3, 24), dt.date(2025, 4, 3)) == [
        utc(2025, 3, 24, 10),
        utc(2025, 3, 27, 10),
        utc(2025, 3, 31, 9),
        utc(2025, 4, 3, 9),
    ]
    assert starts_in(body, dt.date(2025, 10, 20), dt.date(2025, 10, 30)) == [
        utc(2025, 10, 20, 9),
        utc(2025, 10, 23, 9),
        utc(2025, 10, 27, 10),
        utc(2025, 10, 30, 10),
    ]


def test_london_series_expands_to_exactly_the_occurrences_of_its_rule():
    rule = weekly(MON, THU)
    body = feed(series_event(rule, first_day=dt.date(2025, 3, 17), last_day=dt.date(2025, 11, 6)))

    expected = expand(rule, first_day=dt.date(2025, 3, 17), last_day=dt.date(2025, 11, 6))
    assert spans_in(body, dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == [
        (o.starts_at_utc, o.ends_at_utc) for o in expected
    ]


def test_los_angeles_series_keeps_local_time_across_the_march_and_november_changes():
    rule = weekly(TUE, at=dt.time(9, 30), zone="America/Los_Angeles")
    body = feed(series_event(rule, first_day=dt.date(2025, 3, 1), last_day=dt.date(2025, 11, 30)))

    # 2025's changes: Sunday 9 March (PST -8 to PDT -7) and Sunday 2 November (back to PST).
    assert starts_in(body, dt.date(2025, 3, 1), dt.date(2025, 3, 14)) == [
        utc(2025, 3, 4, 17, 30),
        utc(2025, 3, 11, 16, 30),
    ]
    assert starts_in(body, dt.date(2025, 10, 27), dt.date(2025, 11, 9)) == [
        utc(2025, 10, 28, 16, 30),
        utc(2025, 11, 4, 17, 30),
    ]


def test_moved_occurrence_appears_at_its_new_time_and_not_at_its_old_one():
    moved = june_16_override(starts_at_utc=utc(2025, 6, 17, 14), ends_at_utc=utc(2025, 6, 17, 14, 45))
    body = feed(june_mondays(overrides=(moved,)))

    assert spans_in(body, dt.date(2025, 6, 1), dt.date(2025, 6, 30)) == [
        (utc(2025, 6, 2, 9), utc(2025, 6, 2, 10)),
        (utc(2025, 6, 9, 9), utc(2025, 6, 9, 10)),
        (utc(2025, 6, 17, 14), utc(2025, 6, 17, 14, 45)),
        (utc(2025, 6, 23, 9), utc(2025, 6, 23, 10)),
        (utc(2025, 6, 30, 9), utc(2025, 6, 30, 10)),
    ]


def test_moved_occurrence_carries_its_own_sequence_and_the_series_uid():
    moved = june_16_override(sequence=4, last_modified=utc(2025, 6, 10, 8))
    body = feed(june_mondays(overrides=(moved,)))

    [occurrence] = expanded(body, dt.date(2025, 6, 17), dt.date(2025, 6, 17))
    assert (occurrence["UID"], occurrence["SEQUENCE"]) == ("series-1@cohortops", 4)
    assert occurrence["RECURRENCE-ID"].dt.astimezone(UTC) == utc(2025, 6, 16, 9)
    assert occurrence["DTSTAMP"].dt == utc(2025, 6, 10, 8)


def test_cancelled_override_is_gone_from_the_expansion():
    cancelled = june_16_override(status="cancelled", starts_at_utc=None, ends_at_utc=None, sequence=3)
    body = feed(june_mondays(overrides=(cancelled,)))

    assert starts_in(body, dt.date(2025, 6, 1), dt.date(2025, 6, 30)) == [
        utc(2025, 6, 2, 9),
        utc(2025, 6, 9, 9),
        utc(2025, 6, 23, 9),
        utc(2025, 6, 30, 9),
    ]


def test_cancelled_occurrence_is_an_exdate_on_the_master_and_no_override():
    event = june_mondays(exdates_utc=(utc(2025, 6, 16, 9),))
    body = feed(event)

    [master] = vevents(body)
    assert [exdate.dt for exdate in master["EXDATE"].dts] == [
        dt.datetime(2025, 6, 16, 10, tzinfo=event.rule.zone)
    ]
    assert utc(2025, 6, 16, 9) not in starts_in(body, dt.date(2025, 6, 1), dt.date(2025, 6, 30))


def test_exdate_in_a_spring_forward_gap_still_removes_that_occurrence():
    rule = weekly(SUN, at=dt.time(1, 30))
    gap_day = expand(rule, first_day=dt.date(2025, 3, 30), last_day=dt.date(2025, 3, 30))[0]
    body = feed(
        series_event(
            rule,
            first_day=dt.date(2025, 3, 23),
            last_day=dt.date(2025, 4, 6),
            exdates_utc=(gap_day.starts_at_utc,),
        )
    )

    assert starts_in(body, dt.date(2025, 3, 20), dt.date(2025, 4, 10)) == [
        utc(2025, 3, 23, 1, 30),
        utc(2025, 4, 6, 0, 30),
    ]


def test_series_at_a_time_the_clocks_skip_or_repeat_starts_where_rfc_5545_says():
    rule = weekly(SUN, at=dt.time(1, 30))
    body = feed(series_event(rule, first_day=dt.date(2025, 3, 23), last_day=dt.date(2025, 11, 2)))

    # recurring_ical_events adds DTEND - DTSTART on the wall clock, so only starts are compared on these nights.
    assert starts_in(body, dt.date(2025, 3, 30), dt.date(2025, 3, 30)) == [utc(2025, 3, 30, 1, 30)]
    assert starts_in(body, dt.date(2025, 10, 25), dt.date(2025, 10, 26)) == [utc(2025, 10, 26, 0, 30)]


def test_occurrence_moved_into_the_repeated_hour_is_read_back_at_the_same_instant():
    rule = weekly(SAT, at=dt.time(9))
    second_half_past_one = utc(2025, 10, 26, 1, 30)  # 01:30 GMT, after the clocks went back
    moved = OccurrenceOverride(
        original_start_utc=utc(2025, 10, 25, 8),
        status="moved",
        starts_at_utc=second_half_past_one,
        ends_at_utc=second_half_past_one + dt.timedelta(hours=1),
        sequence=2,
        last_modified=STAMP,
    )
    body = feed(
        series_event(rule, first_day=dt.date(2025, 10, 18), last_day=dt.date(2025, 11, 1), overrides=(moved,))
    )

    assert spans_in(body, dt.date(2025, 10, 25), dt.date(2025, 10, 26)) == [
        (second_half_past_one, second_half_past_one + dt.timedelta(hours=1))
    ]


def test_series_whose_every_occurrence_is_excluded_shows_nothing():
    rule = weekly(MON)
    occurrences = expand(rule, first_day=dt.date(2025, 6, 2), last_day=dt.date(2025, 6, 16))
    event = series_event(
        rule,
        first_day=dt.date(2025, 6, 2),
        last_day=dt.date(2025, 6, 16),
        exdates_utc=tuple(o.starts_at_utc for o in occurrences),
    )

    assert expanded(feed(event), dt.date(2025, 6, 1), dt.date(2025, 6, 30)) == []


def test_feed_without_events_holds_only_its_own_time_zone_so_it_is_a_valid_calendar():
    calendar = Calendar.from_ical(feed())

    [zone] = calendar.subcomponents
    assert (zone.name, str(zone["TZID"]), sorted({part.name for part in zone.subcomponents})) == (
        "VTIMEZONE",
        "Europe/London",
        ["DAYLIGHT", "STANDARD"],
    )
    assert recurring_ical_events.of(calendar).between(dt.date(2025, 1, 1), dt.date(2026, 1, 1)) == []


def test_every_time_zone_used_has_a_vtimezone_with_its_standard_and_daylight_parts():
    body = feed(
        series_event(weekly(MON), first_day=dt.date(2025, 6, 2), last_day=dt.date(2025, 8, 25), uid="a"),
        series_event(
            weekly(TUE, zone="Australia/Sydney"),
            first_day=dt.date(2025, 6, 3),
            last_day=dt.date(2025, 8, 26),
            uid="b",
        ),
        single_event(uid="c"),
        single_event(uid="d", time_zone="Asia/Kolkata"),
    )

    calendar = Calendar.from_ical(body)
    parts = {zone["TZID"]: {part.name for part in zone.subcomponents} for zone in calendar.walk("VTIMEZONE")}
    assert parts == {
        "America/Los_Angeles": {"STANDARD", "DAYLIGHT"},
        "Asia/Kolkata": {"STANDARD"},
        "Australia/Sydney": {"STANDARD", "DAYLIGHT"},
        "Europe/London": {"STANDARD", "DAYLIGHT"},
    }
    assert calendar.get_missing_tzids() == set()


def test_rendering_twice_gives_identical_bytes_whatever_the_order_of_events():
    events = [
        series_event(weekly(MON, THU), first_day=dt.date(2025, 3, 3), last_day=dt.date(2025, 6, 30), uid="a"),
        series_event(
            weekly(WED, zone="America/Los_Angeles"),
            first_day=dt.date(2025, 3, 5),
            last_day=dt.date(2025, 6, 25),
            uid="b",
        ),
        single_event(uid="c"),
    ]

    assert feed(*events) == feed(*events) == feed(*reversed(events))


def test_uids_are_the_ones_given():
    body = feed(june_mondays(uid="series-9@cohortops"), single_event(uid="meeting-3@cohortops"))

    assert sorted(str(event["UID"]) for event in vevents(body)) == [
        "meeting-3@cohortops",
        "series-9@cohortops",
    ]


def test_dtstamp_and_last_modified_are_the_last_change_not_the_time_of_rendering():
    body = feed(june_mondays())

    [master] = vevents(body)
    assert (master["DTSTAMP"].dt, master["LAST-MODIFIED"].dt, master["SEQUENCE"]) == (STAMP, STAMP, 1)


def test_every_other_week_series_with_utc_until_expands_to_its_weeks():
    rule = weekly(MON, THU, interval_weeks=2, anchor=dt.date(2025, 9, 1))
    event = series_event(
        rule, first_day=dt.date(2025, 9, 1), last_day=dt.date(2025, 10, 31), until_utc=utc(2025, 10, 16, 9)
    )
    body = feed(event)

    [master] = vevents(body)
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20251016T090000Z;INTERVAL=2;BYDAY=MO,TH;WKST=MO"
    assert [start.date() for start in starts_in(body, dt.date(2025, 8, 1), dt.date(2025, 12, 31))] == [
        dt.date(2025, 9, 1),
        dt.date(2025, 9, 4),
        dt.date(2025, 9, 15),
        dt.date(2025, 9, 18),
        dt.date(2025, 9, 29),
        dt.date(2025, 10, 2),
        dt.date(2025, 10, 13),
        dt.date(2025, 10, 16),
    ]


def test_phase_is_an_all_day_event_whose_end_is_the_day_after_its_last_day():
    phase = AllDayEvent(
        uid="phase-2@cohortops",
        summary="Research phase",
        description="",
        start=dt.date(2025, 7, 1),
        end_inclusive=dt.date(2025, 8, 31),
        sequence=0,
        last_modified=STAMP,
    )

    [event] = vevents(feed(phase))

    assert (event["DTSTART"].dt, event["DTEND"].dt, event["TRANSP"]) == (
        dt.date(2025, 7, 1),
        dt.date(2025, 9, 1),
        "TRANSPARENT",
    )


def test_feed_carries_its_name_zone_refresh_hints_and_product():
    calendar = Calendar.from_ical(feed(single_event()))

    assert {key: calendar[key].to_ical() for key in calendar} == {
        "VERSION": b"2.0",
        "PRODID": b"-//cohortops//cohortops//EN",
        "CALSCALE": b"GREGORIAN",
        "NAME": b"cohortops: Ann Lee",
        "X-WR-CALNAME": b"cohortops: Ann Lee",
        "X-WR-TIMEZONE": b"Europe/London",
        "REFRESH-INTERVAL": b"PT1H",
        "X-PUBLISHED-TTL": b"PT1H",
        "LAST-MODIFIED": b"20250201T120000Z",
    }
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"


def test_organizer_attendees_and_alarms_are_written_for_calendar_clients():
    body = feed(june_mondays(alarm_minutes=(15, 60)))

    [master] = vevents(body)
    assert (master["ORGANIZER"], master["ORGANIZER"].params["CN"]) == ("mailto:cas@example.org", "Cas")
    assert (master["ATTENDEE"], master["ATTENDEE"].params["CN"]) == ("mailto:ann@example.org", "Ann Lee")
    assert [(alarm["ACTION"], alarm["TRIGGER"].dt) for alarm in master.walk("VALARM")] == [
        ("DISPLAY", dt.timedelta(minutes=-60)),
        ("DISPLAY", dt.timedelta(minutes=-15)),
    ]


def test_person_without_email_is_left_out_of_the_attendees():
    event = june_mondays(attendees=(ANN, CalendarPerson(name="No Mail", email="")))

    [master] = vevents(feed(event))

    assert master["ATTENDEE"] == "mailto:ann@example.org"


def test_single_event_is_written_in_its_own_zone():
    [event] = vevents(feed(single_event()))

    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert (event["DTSTART"].dt.astimezone(UTC), event["DTEND"].dt.astimezone(UTC), event["STATUS"]) == (
        utc(2025, 6, 3, 16),
        utc(2025, 6, 3, 17),
        "CONFIRMED",
    )


def test_invitation_request_carries_method_uid_and_sequence():
    calendar = Calendar.from_ical(render_invitation(single_event(), method="REQUEST"))

    [event] = calendar.walk("VEVENT")
    assert (calendar["METHOD"], event["UID"], event["SEQUENCE"], event["STATUS"]) == (
        "REQUEST",
        "meeting-7@cohortops",
        2,
        "CONFIRMED",
    )
    assert calendar.get_missing_tzids() == set()


def test_invitation_cancel_marks_the_event_cancelled_under_the_same_uid():
    calendar = Calendar.from_ical(
        render_invitation(single_event(sequence=3, alarm_minutes=(10,)), method="CANCEL")
    )

    [event] = calendar.walk("VEVENT")
    assert (calendar["METHOD"], event["UID"], event["SEQUENCE"], event["STATUS"]) == (
        "CANCEL",
        "meeting-7@cohortops",
        3,
        "CANCELLED",
    )
    assert event.walk("VALARM") == []


def test_invitation_for_one_occurrence_names_it_by_recurrence_id():
    invitation = render_invitation(
        single_event(uid="series-1@cohortops", recurrence_id_utc=utc(2025, 6, 2, 16)), method="REQUEST"
    )

    [event] = vevents(invitation)
    assert event["RECURRENCE-ID"].params["TZID"] == "America/Los_Angeles"
    assert event["RECURRENCE-ID"].dt.astimezone(UTC) == utc(2025, 6, 2, 16)


def test_invitation_cancelling_a_series_sends_only_the_cancelled_master():
    event = june_mondays(overrides=(june_16_override(last_modified=STAMP),))

    [master] = vevents(render_invitation(event, method="CANCEL"))

    assert ("RECURRENCE-ID" in master, master["STATUS"], master["RRULE"]["FREQ"]) == (
        False,
        "CANCELLED",
        ["WEEKLY"],
    )


def test_invitation_needs_an_organizer():
    with pytest.raises(ValueError, match="organizer"):
        render_invitation(single_event(organizer=None), method="REQUEST")


def test_series_must_start_on_one_of_its_rule_dates():
    with pytest.raises(ValueError, match="first_start_local"):
        june_mondays(first_start_local=dt.datetime.combine(dt.date(2025, 6, 3), dt.time(10)))  # a Tuesday


def test_exdate_that_is_no_occurrence_of_the_rule_is_refused():
    event = june_mondays(exdates_utc=(utc(2025, 6, 16, 10),))

    with pytest.raises(ValueError, match="not an occurrence"):
        feed(event)


def test_two_events_with_one_uid_are_refused():
    with pytest.raises(ValueError, match="share a UID"):
        feed(single_event(uid="same"), single_event(uid="same"))


ZONES = ["Europe/London", "America/Los_Angeles", "Asia/Kolkata", "Australia/Sydney"]


DAYTIME = (4, 19)  # meetings starting 04:00-19:45 local end by midnight, clear of every clock change in ZONES


@st.composite
def series_with_skips(
    draw: st.DrawFn, start_hours: tuple[int, int] = (0, 23)
) -> tuple[WeeklyRule, dt.date, dt.date, frozenset[dt.date]]:
    interval = draw(st.integers(1, 2))
    rule = WeeklyRule(
        weekdays=tuple(draw(st.sets(st.integers(0, 6), min_size=1))),
        start=dt.time(draw(st.integers(*start_hours)), draw(st.sampled_from([0, 15, 30, 45]))),
        duration_minutes=draw(st.integers(15, 240)),
        time_zone=draw(st.sampled_from(ZONES)),
        interval_weeks=interval,
        anchor=draw(st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))) if interval > 1 else None,
    )
    first_day = draw(st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)))
    last_day = first_day + dt.timedelta(days=draw(st.integers(0, 240)))
    breaks = draw(
        st.lists(
            st.builds(
                lambda start, days: DateRange(start, start + dt.timedelta(days=days)),
                st.dates(first_day, last_day),
                st.integers(0, 14),
            ),
            max_size=3,
        )
    )
    return rule, first_day, last_day, dates_in(breaks)


def rendered_and_materialised(case) -> tuple[list, list]:
    """The feed's expansion and expand()'s occurrences (the materialised meetings), breaks excluded from both."""
    rule, first_day, last_day, skipped = case
    every_occurrence = expand(rule, first_day=first_day, last_day=last_day)
    assume(every_occurrence)
    event = series_event(
        rule,
        first_day=first_day,
        last_day=last_day,
        exdates_utc=tuple(o.starts_at_utc for o in every_occurrence if o.local_date in skipped),
    )
    window = (first_day - dt.timedelta(days=2), last_day + dt.timedelta(days=2))
    return expanded(feed(event), *window), expand(rule, first_day=first_day, last_day=last_day, skip=skipped)


@settings(max_examples=40, deadline=None)
@given(case=series_with_skips())
def test_feed_starts_exactly_the_materialised_occurrences_at_any_time_of_day(case):
    read_back, materialised = rendered_and_materialised(case)

    assert [event["DTSTART"].dt.astimezone(UTC) for event in read_back] == [
        o.starts_at_utc for o in materialised
    ]


@settings(max_examples=40, deadline=None)
@given(case=series_with_skips(start_hours=DAYTIME))
def test_feed_spans_exactly_the_materialised_occurrences_in_the_daytime(case):
    # On the night of a clock change recurring_ical_events adds DTEND - DTSTART on the wall clock, where RFC 5545
    # (3.8.5.3) and expand() keep the exact duration; daytime meetings never meet that difference.
    read_back, materialised = rendered_and_materialised(case)

    assert [
        (event["DTSTART"].dt.astimezone(UTC), event["DTEND"].dt.astimezone(UTC)) for event in read_back
    ] == [(o.starts_at_utc, o.ends_at_utc) for o in materialised]


UNRULY = 'Ann\n"Bee"\r\tCee'


def test_line_breaks_quotes_and_control_characters_in_names_and_texts_read_back_cleanly():
    person = CalendarPerson(name=UNRULY, email="ann@example.org")
    event = single_event(
        summary=UNRULY + "\x07",
        description=UNRULY,
        location=UNRULY,
        organizer=person,
        attendees=(person,),
        alarm_minutes=(10,),
        time_zone="Europe/London",
    )

    calendar = Calendar.from_ical(
        render_calendar(name=UNRULY, time_zone="Europe/London", events=[event], last_modified=STAMP)
    )

    [read] = recurring_ical_events.of(calendar).between(dt.date(2025, 6, 1), dt.date(2025, 7, 1))
    assert (str(read["SUMMARY"]), str(read["DESCRIPTION"]), str(read["LOCATION"])) == (
        'Ann\n"Bee"\n\tCee ',
        'Ann\n"Bee"\n\tCee',
        'Ann\n"Bee"\n\tCee',
    )
    assert (read["ORGANIZER"].params["CN"], read["ATTENDEE"].params["CN"]) == (
        "Ann 'Bee' Cee",
        "Ann 'Bee' Cee",
    )
    assert calendar["X-WR-CALNAME"].to_ical() == b'Ann\\n"Bee"\\n\tCee'


def test_an_invitation_to_someone_with_an_unruly_name_reads_back_cleanly():
    person = CalendarPerson(name=UNRULY, email="ann@example.org")

    [event] = vevents(
        render_invitation(single_event(organizer=person, attendees=(person,)), method="REQUEST")
    )

    assert (event["ORGANIZER"].params["CN"], event["ATTENDEE"].params["CN"]) == (
        "Ann 'Bee' Cee",
        "Ann 'Bee' Cee",
    )


def test_a_template_assembles_each_audience_naming_only_the_people_it_may_see():
    mentor = CalendarPerson(name="Cas", email="cas@example.org", key="mentor:1")
    ann = CalendarPerson(name="Ann Lee", email="ann@example.org", key="scholar:1")
    bo = CalendarPerson(name="Bo", email="", key="scholar:2")  # named in the description, no address to list
    event = june_mondays(
        description="Group meeting", names_people=True, organizer=mentor, attendees=(ann, bo)
    )
    template = calendar_template(
        name="cohortops: a stream", time_zone="Europe/London", events=[event], last_modified=STAMP
    )

    def read(visible) -> tuple:
        component = next(iter(Calendar.from_ical(template.assemble(visible)).walk("VEVENT")))
        attendees = component.get("ATTENDEE", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        organizer = component.get("ORGANIZER")
        return (
            str(component["DESCRIPTION"]),
            organizer.params["CN"] if organizer else None,
            [a.params["CN"] for a in attendees],
        )

    assert read(None) == ("Group meeting with Cas and Ann Lee, Bo", "Cas", ["Ann Lee"])
    assert read({"scholar:2"}) == ("Group meeting with Bo", None, [])
    assert read({"mentor:1", "scholar:1"}) == ("Group meeting with Cas and Ann Lee", "Cas", ["Ann Lee"])
    assert read(set()) == ("Group meeting", None, [])
    # Everyone's assembly is the calendar render_calendar gives, and every assembly has the same events.
    assert template.assemble() == render_calendar(
        name="cohortops: a stream", time_zone="Europe/London", events=[event], last_modified=STAMP
    )
    assert starts_in(template.assemble(set()), dt.date(2025, 6, 1), dt.date(2025, 7, 1)) == starts_in(
        template.assemble(), dt.date(2025, 6, 1), dt.date(2025, 7, 1)
    )


def test_a_person_without_a_key_is_named_for_every_audience():
    event = june_mondays(organizer=CAS, attendees=(ANN,))
    template = calendar_template(
        name="cohortops: Ann Lee", time_zone="Europe/London", events=[event], last_modified=STAMP
    )

    assert template.assemble(set()) == template.assemble() == feed(event)


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    summary = "Réunion hebdomadaire — 研究ミーティング 🧪, with notes; and more " * 4
    body = feed(june_mondays(summary=summary, organizer=CalendarPerson(name="Zoë ^ Ärger", email="z@x.org")))

    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode()  # each physical line is whole UTF-8: no character is cut in two
    event = next(iter(Calendar.from_ical(body).walk("VEVENT")))
    assert str(event["SUMMARY"]) == summary
    assert event["ORGANIZER"].params["CN"] == "Zoë ^ Ärger"
