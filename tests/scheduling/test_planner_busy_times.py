"""The planner keeps meetings off the times people's own calendars show them busy, date by date across clock
changes: a weekly slot busy on more than one date in four is ruled out, one busy on fewer is taken only where no
slot is clearer; the validator and the shortfall reasons say so."""

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.models import CalendarClash
from scheduling.planner import (
    BusyTime,
    DateRange,
    Placement,
    PlanResult,
    WeeklySlot,
    plan,
    plan_first_fit,
    validate_plan,
)
from scheduling.planner.slots import CandidateFinder
from scheduling.problem_builder import build_cohort_problem, mentor_key, scholar_key
from scheduling.services.planning import plan_apply, plan_cohort
from scholars.models import BusyBlock, CalendarSource
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)
from tests.scheduling.planner.builders import LONDON, calendar, demand, hours, person, problem

NEW_YORK = "America/New_York"
TUESDAY = 1
# Eight Tuesdays, four before and four after London's clock change of Sunday 25 October 2026 (New York's is on
# 1 November: in the week of 27 October the two zones are four hours apart, not five).
AUTUMN = calendar(dt.date(2026, 10, 5), dt.date(2026, 11, 27))
TUESDAYS = [dt.date(2026, 10, 6) + dt.timedelta(weeks=n) for n in range(8)]

CAS_TUESDAY_MORNINGS = person("cas", LONDON, hours(10, 12, days=(TUESDAY,)), name="Cas")
ADA = person("ada", LONDON, hours(9, 17), name="Ada")


def local(day: dt.date, clock: dt.time, zone: str = LONDON) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=ZoneInfo(zone))


def every_tuesday(start: dt.time, end: dt.time, zone: str = LONDON) -> tuple[BusyTime, ...]:
    """A recurring busy time as a calendar read gives it: one instance per week, on its own zone's wall clock,
    from a week before the cohort to a week after."""
    days = [TUESDAYS[0] - dt.timedelta(weeks=1), *TUESDAYS, TUESDAYS[-1] + dt.timedelta(weeks=1)]
    return tuple(BusyTime(local(day, start, zone), local(day, end, zone)) for day in days)


def busy_on(day: dt.date, start: dt.time, end: dt.time, zone: str = LONDON) -> tuple[BusyTime, ...]:
    return (BusyTime(local(day, start, zone), local(day, end, zone)),)


def with_busy(someone, busy: tuple[BusyTime, ...]):
    return replace(someone, busy=busy)


def slots_of(result: PlanResult, demand_key: str) -> list[tuple[int, dt.time]]:
    placement = result.placement_for(demand_key)
    return [(slot.weekday, slot.start) for slot in placement.meetings] if placement else []


def busy_meetings(planning, result: PlanResult) -> list[str]:
    """Independently of the planner and the validator: each meeting of the plan, on each cohort date its weekday
    falls on, that touches a busy time of one of its attendees."""
    people = planning.people_by_key
    found = []
    for placement in result.placements:
        wanted = planning.demands_by_key[placement.demand_key]
        for slot in placement.meetings:
            for day in planning.calendar.meeting_days():
                if day.weekday() != slot.weekday:
                    continue
                start = local(day, slot.start, wanted.time_zone)
                end = start + dt.timedelta(minutes=slot.duration_minutes)
                for key in wanted.attendees:
                    for busy in people[key].busy:
                        if busy.start < end and start < busy.end:
                            found.append(f"{key} {start.isoformat()}")
    return found


def hand_made(demand_key: str, weekday: int, start: dt.time, minutes: int = 60) -> PlanResult:
    return PlanResult(
        (Placement(demand_key, (WeeklySlot(weekday, start, minutes),)),), (), (), "HAND_MADE", 0, 0.0
    )


def reason_for(result: PlanResult, demand_key: str) -> str:
    return next(item.reason for item in result.unplaced if item.demand_key == demand_key)


# --- Planning around busy times ---------------------------------------------------------------------------------


@pytest.mark.parametrize("planner", [plan, plan_first_fit], ids=["solver", "first_fit"])
def test_a_weekly_busy_time_moves_the_meeting_off_it_in_every_week_across_the_clock_change(planner):
    meeting = demand(CAS_TUESDAY_MORNINGS, ADA)
    free = problem([CAS_TUESDAY_MORNINGS, ADA], [meeting], AUTUMN)
    # Without busy times the planner takes a slot inside 10:00-11:00.
    [(weekday, start)] = slots_of(planner(free), meeting.key)
    assert weekday == TUESDAY
    assert start in (dt.time(10), dt.time(10, 30))

    cas = with_busy(CAS_TUESDAY_MORNINGS, every_tuesday(dt.time(10), dt.time(11)))
    planning = problem([cas, ADA], [meeting], AUTUMN)
    result = planner(planning)

    assert slots_of(result, meeting.key) == [(TUESDAY, dt.time(11))]
    assert result.unplaced == ()
    assert validate_plan(planning, result) == []
    assert busy_meetings(planning, result) == []
    # The busy instances really are an hour apart in UTC either side of the clock change.
    assert {b.start.astimezone(dt.UTC).hour for b in cas.busy} == {9, 10}


def test_the_busy_hour_follows_the_wall_clock_across_the_clock_change():
    """Busy 10:00-11:00 London every Tuesday is 09:00-10:00 UTC before 25 October and 10:00-11:00 after: a
    meeting 09:00-10:00 London is clear of it in every week, and so is one at 11:00."""
    cas = person("cas", LONDON, hours(9, 12, days=(TUESDAY,)), name="Cas")
    cas = with_busy(cas, every_tuesday(dt.time(10), dt.time(11)))
    meeting = demand(cas, ADA)
    planning = problem([cas, ADA], [meeting], AUTUMN)

    candidates = CandidateFinder(planning).candidates(meeting)

    assert [c.slot.start for c in candidates] == [dt.time(9), dt.time(11)]
    assert all(len(c.occurrences) == len(TUESDAYS) for c in candidates)
    for start in (dt.time(9), dt.time(11)):
        assert validate_plan(planning, hand_made(meeting.key, TUESDAY, start)) == []


def test_the_independent_check_sees_a_plan_on_the_busy_time():
    cas = with_busy(CAS_TUESDAY_MORNINGS, every_tuesday(dt.time(10), dt.time(11)))
    meeting = demand(cas, ADA)
    planning = problem([cas, ADA], [meeting], AUTUMN)

    assert len(busy_meetings(planning, hand_made(meeting.key, TUESDAY, dt.time(10, 30)))) == len(TUESDAYS)
    assert busy_meetings(planning, hand_made(meeting.key, TUESDAY, dt.time(11))) == []


def test_a_one_off_busy_date_is_avoided_where_another_slot_is_clear_of_it():
    meeting = demand(CAS_TUESDAY_MORNINGS, ADA)
    one_off = busy_on(dt.date(2026, 11, 10), dt.time(10), dt.time(11))
    planning = problem([with_busy(CAS_TUESDAY_MORNINGS, one_off), ADA], [meeting], AUTUMN)

    candidates = CandidateFinder(planning).candidates(meeting)
    assert [(c.slot.start, c.busy_dates) for c in candidates] == [
        (dt.time(10), 1),
        (dt.time(10, 30), 1),
        (dt.time(11), 0),
    ]
    for planner in (plan, plan_first_fit):
        result = planner(planning)
        assert slots_of(result, meeting.key) == [(TUESDAY, dt.time(11))]
        assert validate_plan(planning, result) == []
        assert busy_meetings(planning, result) == []


def test_a_clear_slot_is_worth_an_extra_meeting_day():
    """Both of Cas's meetings fit on Monday morning back to back, one day (Tuesday has room for one); but Cas's own
    calendar has a one-off on one Monday at 11:00. The plan keeps both clear of it, at the cost of a second day."""
    cas = person("cas", LONDON, hours(10, 12, days=(0,)) + hours(10, 11, days=(TUESDAY,)), name="Cas")
    ada = person("ada", LONDON, hours(10, 12, days=(0, TUESDAY)), name="Ada")
    bob = person("bob", LONDON, hours(10, 12, days=(0, TUESDAY)), name="Bob")
    meetings = [demand(cas, ada), demand(cas, bob)]
    free = plan(problem([cas, ada, bob], meetings, AUTUMN))
    assert {
        weekday for placement in free.placements for weekday, _ in slots_of(free, placement.demand_key)
    } == {0}

    one_off = busy_on(dt.date(2026, 10, 19), dt.time(11), dt.time(12))
    planning = problem([with_busy(cas, one_off), ada, bob], meetings, AUTUMN)
    result = plan(planning)

    assert sorted(slot for m in meetings for slot in slots_of(result, m.key))[0] == (0, dt.time(10))
    assert {weekday for m in meetings for weekday, _ in slots_of(result, m.key)} == {0, TUESDAY}
    assert busy_meetings(planning, result) == []
    assert validate_plan(planning, result) == []


@pytest.mark.parametrize("planner", [plan, plan_first_fit], ids=["solver", "first_fit"])
def test_a_few_busy_dates_are_tolerated_where_no_slot_is_clear_and_more_rule_the_slot_out(planner):
    """Cas and Ada share only Tuesday 10:00-11:00, eight weeks. One in four dates may fall on a busy time: with
    two busy Tuesdays the meeting is placed (and those two dates are flagged as clashes once published); with
    three it is not."""
    cas = person("cas", LONDON, hours(10, 11, days=(TUESDAY,)), name="Cas")
    meeting = demand(cas, ADA)
    two = [busy_on(day, dt.time(10), dt.time(11))[0] for day in TUESDAYS[1:5:3]]
    planning = problem([with_busy(cas, tuple(two)), ADA], [meeting], AUTUMN)

    result = planner(planning)

    assert slots_of(result, meeting.key) == [(TUESDAY, dt.time(10))]
    assert validate_plan(planning, result) == []
    assert len(busy_meetings(planning, result)) == 2

    three = (*two, busy_on(TUESDAYS[6], dt.time(10, 30), dt.time(10, 45))[0])
    planning = problem([with_busy(cas, three), ADA], [meeting], AUTUMN)
    assert slots_of(planner(planning), meeting.key) == []


def test_a_busy_time_in_another_zone_is_read_on_its_own_clock_in_the_week_between_the_clock_changes():
    """Ada lives in New York and is busy every Tuesday 06:00-07:00 there: 11:00-12:00 in London, but 10:00-11:00
    in the week of 27 October, when London has changed its clocks and New York not yet."""
    ada = person("ada", NEW_YORK, hours(4, 12), name="Ada")
    cas = person("cas", LONDON, hours(10, 12, days=(TUESDAY,)), name="Cas")
    meeting = demand(cas, ada)
    planning = problem(
        [cas, with_busy(ada, every_tuesday(dt.time(6), dt.time(7), NEW_YORK))], [meeting], AUTUMN
    )

    # Tue 10:00 London misses the busy hour in every week but that one; 10:30 and 11:00 meet it every week.
    [candidate] = CandidateFinder(planning).candidates(meeting)
    assert (candidate.slot.start, candidate.busy_dates) == (dt.time(10), 1)
    result = plan(planning)
    assert slots_of(result, meeting.key) == [(TUESDAY, dt.time(10))]
    assert busy_meetings(planning, result) == [f"ada {local(dt.date(2026, 10, 27), dt.time(10)).isoformat()}"]
    assert validate_plan(planning, result) == []


# --- The validator ----------------------------------------------------------------------------------------------


def test_the_validator_allows_a_slot_busy_on_one_date_in_four_and_reports_one_busy_on_more():
    one_off = busy_on(TUESDAYS[2], dt.time(10, 45), dt.time(11, 15)) + busy_on(
        TUESDAYS[5], dt.time(9), dt.time(11)
    )
    meeting = demand(CAS_TUESDAY_MORNINGS, ADA)
    tolerated = problem([with_busy(CAS_TUESDAY_MORNINGS, one_off), ADA], [meeting], AUTUMN)
    assert validate_plan(tolerated, hand_made(meeting.key, TUESDAY, dt.time(10))) == []

    third = busy_on(TUESDAYS[7], dt.time(10, 59), dt.time(11, 30))
    too_many = problem([with_busy(CAS_TUESDAY_MORNINGS, one_off + third), ADA], [meeting], AUTUMN)
    assert validate_plan(too_many, hand_made(meeting.key, TUESDAY, dt.time(10))) == [
        "Cas ↔ Ada Tue 10:00: Cas busy (own calendar or time away, with any buffer) on 3 of its 8 dates; at most 2 may be"
    ]


def test_the_validator_names_every_busy_attendee_of_a_slot_busy_every_week():
    cas = with_busy(CAS_TUESDAY_MORNINGS, every_tuesday(dt.time(10), dt.time(11)))
    ada = with_busy(ADA, busy_on(dt.date(2026, 10, 27), dt.time(9, 30), dt.time(10, 30)))
    meeting = demand(cas, ada)
    planning = problem([cas, ada], [meeting], AUTUMN)

    assert validate_plan(planning, hand_made(meeting.key, TUESDAY, dt.time(10))) == [
        "Cas ↔ Ada Tue 10:00: Ada, Cas busy (own calendar or time away, with any buffer) on 8 of its 8 dates; at most 2 may be"
    ]


def test_a_busy_time_ending_as_the_meeting_starts_is_no_violation():
    busy = busy_on(dt.date(2026, 11, 10), dt.time(9), dt.time(10)) + busy_on(
        dt.date(2026, 11, 10), dt.time(11), dt.time(12)
    )
    cas = with_busy(CAS_TUESDAY_MORNINGS, busy)
    meeting = demand(cas, ADA)
    planning = problem([cas, ADA], [meeting], AUTUMN)

    assert validate_plan(planning, hand_made(meeting.key, TUESDAY, dt.time(10))) == []
    # Touching is no overlap: only the later slots reach into the 11:00 busy hour.
    assert [(c.slot.start, c.busy_dates) for c in CandidateFinder(planning).candidates(meeting)] == [
        (dt.time(10), 0),
        (dt.time(10, 30), 1),
        (dt.time(11), 1),
    ]


# --- Shortfalls -------------------------------------------------------------------------------------------------


def test_busy_times_on_too_many_dates_of_the_only_shared_hour_are_the_reason_given():
    cas = person("cas", LONDON, hours(10, 11, days=(TUESDAY,)), name="Cas")
    busy = [busy_on(TUESDAYS[week], dt.time(10), dt.time(11))[0] for week in (1, 3, 5)]
    meeting = demand(with_busy(cas, tuple(busy)), ADA)

    result = plan(problem([with_busy(cas, tuple(busy)), ADA], [meeting], AUTUMN))

    assert slots_of(result, meeting.key) == []
    assert reason_for(result, meeting.key) == (
        "Cas and Ada are available together at Tue 10:00 only in 5 of 8 weeks: Cas's own calendar shows busy "
        "times then (a weekly slot may meet busy times on at most 2 of its 8 dates)"
    )


def test_whole_days_away_steer_a_meeting_to_a_day_it_is_held_on():
    """Cas prefers Fridays; Ada is away all day on three of the eight Fridays, when the meeting would be cancelled.
    The plan moves it to Thursday, held every week; days away alone never rule a slot out."""
    cas = person("cas", LONDON, hours(10, 11, days=(3, 4)), name="Cas")
    meeting = replace(demand(cas, ADA), preferred_weekdays=frozenset({4}))
    assert slots_of(plan(problem([cas, ADA], [meeting], AUTUMN)), meeting.key) == [(4, dt.time(10))]

    fridays = [TUESDAYS[week] + dt.timedelta(days=3) for week in (1, 2, 6)]
    ada = replace(ADA, blackouts=tuple(DateRange(day, day) for day in fridays))
    planning = problem([cas, ada], [meeting], AUTUMN)

    candidates = CandidateFinder(planning).candidates(meeting)
    assert [(c.weekday, c.busy_dates, c.away_dates) for c in candidates] == [(3, 0, 0), (4, 0, 3)]
    assert slots_of(plan(planning), meeting.key) == [(3, dt.time(10))]
    away_all_fridays = replace(ADA, blackouts=(DateRange(TUESDAYS[0], TUESDAYS[-1] + dt.timedelta(days=3)),))
    assert len(CandidateFinder(problem([cas, away_all_fridays], [meeting], AUTUMN)).candidates(meeting)) == 2


def test_hours_away_on_too_many_dates_are_named_as_time_away():
    cas = person("cas", LONDON, hours(10, 11, days=(TUESDAY,)), name="Cas")
    away = tuple(
        replace(busy_on(TUESDAYS[week], dt.time(9), dt.time(10, 30))[0], away=True) for week in (0, 1, 2)
    )
    meeting = demand(cas, ADA)

    result = plan(problem([with_busy(cas, away), ADA], [meeting], AUTUMN))

    assert reason_for(result, meeting.key) == (
        "Cas and Ada are available together at Tue 10:00 only from 27 Oct: Cas is away or busy then "
        "(a weekly slot may meet busy times on at most 2 of its 8 dates)"
    )


def test_busy_times_filling_every_shared_hour_are_the_reason_given():
    """Cas and Ada share Tuesday 10:00-11:00 every week, and Cas's own calendar shows it busy every week: that,
    not "no shared hour", is why nothing fits."""
    cas = person("cas", LONDON, hours(10, 11, days=(TUESDAY,)), name="Cas")
    cas = with_busy(cas, every_tuesday(dt.time(10), dt.time(11)))
    meeting = demand(cas, ADA)

    result = plan(problem([cas, ADA], [meeting], AUTUMN))

    assert slots_of(result, meeting.key) == []
    assert "own calendar shows busy times" in reason_for(result, meeting.key)


# --- Loading busy times from the database ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cohort_problem_gives_each_person_their_busy_times_within_the_cohort_dates_and_two_days():
    cohort = CohortFactory(start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 3, 26))
    mentor, elsewhere = MentorFactory(), MentorFactory()
    scholar = ScholarFactory(cohort=cohort)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    MentorshipFactory(mentor=elsewhere, scholar=ScholarFactory())  # another cohort's mentor

    def source(**owner) -> CalendarSource:
        return CalendarSource.objects.create(**owner, url_encrypted="-", url_hint="calendar.example.org/…")

    def block(on: CalendarSource, start: dt.datetime, hours_long: float = 1) -> BusyTime:
        row = BusyBlock.objects.create(
            source=on, starts_at=start, ends_at=start + dt.timedelta(hours=hours_long)
        )
        return BusyTime(row.starts_at, row.ends_at)

    work, home = source(mentor=mentor), source(mentor=mentor)
    utc = dt.UTC
    mentor_busy = [
        block(work, dt.datetime(2027, 1, 1, 20, tzinfo=utc), hours_long=5),  # runs into 2 January
        block(work, dt.datetime(2027, 1, 3, 10, tzinfo=utc)),  # the day before the cohort
        block(home, dt.datetime(2027, 2, 2, 10, tzinfo=utc)),
        block(work, dt.datetime(2027, 3, 26, 16, tzinfo=utc)),  # the last day
        block(home, dt.datetime(2027, 3, 27, 10, tzinfo=utc)),  # the day after
    ]
    block(work, dt.datetime(2027, 1, 1, 10, tzinfo=utc))  # three days before
    block(home, dt.datetime(2027, 3, 29, 10, tzinfo=utc))  # three days after
    scholar_busy = [block(source(scholar=scholar), dt.datetime(2027, 2, 3, 15, tzinfo=utc))]
    block(source(mentor=elsewhere), dt.datetime(2027, 2, 2, 12, tzinfo=utc))

    people = build_cohort_problem(cohort=cohort, time_limit_seconds=1).problem.people_by_key

    assert sorted(people[mentor_key(mentor)].busy) == sorted(mentor_busy)
    assert list(people[scholar_key(scholar)].busy) == scholar_busy
    assert mentor_key(elsewhere) not in people
    assert all(b.start.utcoffset() == dt.timedelta(0) for b in people[mentor_key(mentor)].busy)


@pytest.mark.django_db
def test_a_plan_on_a_few_busy_dates_says_so_in_its_preview_and_flags_them_as_clashes_once_applied(settings):
    """Mira can only meet on Tuesdays 10:00-11:00 and her own calendar is busy then on two of the cohort's nine
    Tuesdays: the meeting is placed there, the preview says on how many dates, and applying flags both."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 2
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 4, 30))
    mentor = MentorFactory(name="Mira", time_zone=LONDON, cadence=WEEKLY_ONE_ON_ONE.to_dict())
    AvailabilityFactory(mentor=mentor, weekday=TUESDAY, start_time=dt.time(10), end_time=dt.time(11))
    scholar = ScholarFactory(cohort=cohort, name="Sam", time_zone=LONDON)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    source = CalendarSource.objects.create(
        mentor=mentor, url_encrypted="-", url_hint="calendar.example.org/…"
    )
    for day in (dt.date(2027, 3, 9), dt.date(2027, 4, 13)):
        BusyBlock.objects.create(
            source=source, starts_at=local(day, dt.time(10)), ends_at=local(day, dt.time(11))
        )

    run = plan_cohort(cohort=cohort)

    assert run.result["on_busy"] == [{"label": "Mira ↔ Sam (1-on-1)", "when": "Tue 10:00", "dates": 2}]
    staff = Client()
    staff.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    page = staff.get(reverse("admin:scheduling_planrun_change", args=[run.pk])).content.decode()
    assert "<strong>Mira ↔ Sam (1-on-1)</strong>, Tue 10:00: busy or away on 2 dates" in page
    plan_apply(plan_run=run, today=dt.date(2027, 2, 1))
    clashes = CalendarClash.objects.filter(resolved_at__isnull=True).order_by("meeting__starts_at")
    assert [c.meeting.starts_at.astimezone(ZoneInfo(LONDON)).date() for c in clashes] == [
        dt.date(2027, 3, 9),
        dt.date(2027, 4, 13),
    ]
