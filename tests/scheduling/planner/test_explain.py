from datetime import date, time

from scheduling.planner import DateRange, Person, Window, plan, plan_first_fit
from tests.scheduling.planner.builders import KOLKATA, LONDON, calendar, demand, hours, person, problem

NINE_TO_FIVE = hours(9, 17)
TUESDAY_THURSDAY = (1, 3)


def reason_for(result, demand_key):
    return next(item.reason for item in result.unplaced if item.demand_key == demand_key)


def test_clock_change_that_ends_the_only_overlap_is_named_with_the_week_it_starts():
    cas = person("cas", LONDON, NINE_TO_FIVE)
    ada = person("ada", KOLKATA, hours(21.5, 23.5))
    meeting = demand(cas, ada)

    result = plan(problem([cas, ada], [meeting], calendar(date(2025, 3, 3), date(2025, 4, 25))))

    # 16:00 GMT is 21:30 in Kolkata; from 30 March London's 16:00 is 20:30 there.
    assert reason_for(result, meeting.key) == (
        "Cas and Ada are available together (Mon 16:00) only in weeks before 31 Mar: "
        "the clock change in Europe/London moves the overlap out of hours"
    )


def test_someone_without_availability_is_named():
    cas, ada = person("cas", LONDON, NINE_TO_FIVE), person("ada", LONDON, ())
    meeting = demand(cas, ada)

    result = plan(problem([cas, ada], [meeting]))

    assert reason_for(result, meeting.key) == "Ada has no availability entered"


def test_overlap_shorter_than_the_meeting_says_how_long_it_is():
    cas, ada = person("cas", LONDON, NINE_TO_FIVE), person("ada", LONDON, hours(16.5, 18))
    meeting = demand(cas, ada)

    result = plan(problem([cas, ada], [meeting]))

    assert reason_for(result, meeting.key) == (
        "Cas and Ada overlap by at most 30 minutes on any day; the meeting needs 60 minutes"
    )


def test_mentor_whose_shared_hours_are_all_booked_is_named_with_the_hours_used():
    cas = person("cas", LONDON, hours(10, 12, days=TUESDAY_THURSDAY))
    scholars = [person(key, LONDON, NINE_TO_FIVE) for key in ("bob", "eve", "fay", "gus", "ada")]
    demands = [demand(cas, scholar) for scholar in scholars]

    result = plan_first_fit(problem([cas, *scholars], demands))

    assert reason_for(result, "cas+ada") == (
        "Only Tue/Thu overlap for Cas and Ada, and Cas is fully booked there: 4 of 4 available hours used"
    )


def test_attendees_booked_at_different_shared_hours_are_both_named():
    cas = person("cas", LONDON, hours(10, 12, days=TUESDAY_THURSDAY))
    ada = person("ada", LONDON, hours(10, 12, days=TUESDAY_THURSDAY))
    bob = person("bob", LONDON, hours(10, 12, days=(1,)))
    neel = person("neel", LONDON, hours(10, 12, days=(3,)))
    demands = [demand(cas, bob, minutes=120), demand(neel, ada, minutes=120), demand(cas, ada)]

    result = plan_first_fit(problem([cas, ada, bob, neel], demands))

    assert reason_for(result, "cas+ada") == (
        "Only Tue/Thu overlap for Cas and Ada, and their other meetings fill every shared slot between them "
        "(of 4 hours: Cas 2, Ada 2)"
    )


def test_stand_up_with_too_few_shared_days_says_how_many_it_needs():
    cas = person("cas", LONDON, hours(9, 17, days=(0, 1, 2)))
    ada = person("ada", LONDON, NINE_TO_FIVE)
    standup = demand(cas, ada, per_week=(5, 5), minutes=15)

    result = plan(problem([cas, ada], [standup]))

    assert reason_for(result, standup.key) == (
        "Only Mon/Tue/Wed overlap for Cas and Ada; 5 meetings a week need 5 different days"
    )


def test_someone_away_for_most_of_the_cohort_is_mentioned():
    cas = person("cas", LONDON, NINE_TO_FIVE)
    away = (DateRange(date(2025, 1, 13), date(2025, 4, 25)),)
    ada = Person("ada", "Ada", KOLKATA, (Window(0, time(9), time(10)),), away)
    meeting = demand(cas, ada)

    result = plan(problem([cas, ada], [meeting]))

    assert reason_for(result, meeting.key) == (
        "Cas and Ada share no available hour on any weekday (Ada is away 103 of 110 cohort days)"
    )


def test_attendee_who_overlaps_no_one_is_pointed_out():
    cas, ada = person("cas", LONDON, NINE_TO_FIVE), person("ada", LONDON, NINE_TO_FIVE)
    lee = person("lee", KOLKATA, hours(0, 2))
    meeting = demand(cas, lee, ada)

    result = plan(problem([cas, ada, lee], [meeting]))

    assert reason_for(result, meeting.key) == (
        "Cas, Lee and Ada share no available hour on any weekday; without Lee the others do"
    )


def test_a_demand_placed_at_its_minimum_says_why_its_maximum_did_not_fit():
    cas = person("cas", LONDON, hours(9, 17, TUESDAY_THURSDAY))
    ada = person("ada", LONDON, NINE_TO_FIVE)
    meeting = demand(cas, ada, per_week=(2, 3))

    result = plan(problem([cas, ada], [meeting]))

    assert result.unplaced == ()
    [short] = result.below_max
    assert (short.demand_key, short.placed, short.wanted_min, short.wanted_max) == (meeting.key, 2, 2, 3)
    assert short.reason == plan(problem([cas, ada], [demand(cas, ada, per_week=(3, 3))])).unplaced[0].reason
    assert "Tue" in short.reason
