"""Preferences, soft in the objective with weights staff can see: preferred hours pull meetings inside them,
fair share spreads the times outside people's hours over people instead of heaping them on one, and every plan
reports its goals one by one (``ObjectiveParts``)."""

import random
from collections import Counter
from dataclasses import replace
from datetime import date, time

import pytest
from ortools.sat.python import cp_model

from scheduling.planner import DailyHours, Person, PreferenceWeights, plan, plan_first_fit, validate_plan
from scheduling.planner.greedy import first_fit
from scheduling.planner.objective import objective_parts
from scheduling.planner.slots import CandidateFinder
from scheduling.planner.solver import PartModel, independent_parts
from tests.scheduling.planner.builders import LONDON, LOS_ANGELES, calendar, demand, hours, person, problem

PLANNERS = pytest.mark.parametrize("planner", [plan, plan_first_fit], ids=["solver", "first_fit"])
MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2
# Before either spring clock change: Los Angeles stays eight hours behind London.
WINTER = calendar(date(2025, 1, 6), date(2025, 2, 28))
NO_HOURS = PreferenceWeights(preferred_hours=0, fair_share=0)


def starts(result) -> list[time]:
    return [slot.start for placement in result.placements for slot in placement.meetings]


@PLANNERS
def test_preferred_hours_pull_a_meeting_inside_them_and_weigh_nothing_at_weight_zero(planner):
    """Ada prefers 16:00-17:00, the last hour both have: plans take it, though mid-window slots (or, first-fit,
    Monday 09:00) win once preferred hours weigh nothing."""
    cas = person("cas", LONDON, hours(9, 17))
    ada = replace(person("ada", LONDON, hours(9, 17)), preferred_hours=DailyHours(time(16), time(17)))
    planning = problem([cas, ada], [demand(cas, ada)], WINTER)

    preferred = planner(planning)
    indifferent = planner(replace(planning, preferences=NO_HOURS))

    assert starts(preferred) == [time(16)]
    assert preferred.objective_parts.off_hours == 0
    assert time(16) not in starts(indifferent)
    assert indifferent.objective_parts.off_hours == 1
    assert validate_plan(planning, preferred) == []


def fair_share_cohort():
    """Cas (London, prefers 09:00-16:00) meets three Los Angeles scholars, each free on one day only, 06:30-11:00
    their time (14:30-19:00 in London), preferring 08:00 onwards. No hour suits both, so each 1-on-1 lands
    outside someone's preferred hours. The slot outside Cas's (16:00 London, 08:00 theirs) sits further from the
    edges of everyone's hours than the one outside a scholar's (15:00 London, 07:00 theirs); so do 16:30 and
    17:00."""
    cas = replace(person("cas", LONDON, hours(8, 20)), preferred_hours=DailyHours(time(9), time(16)))
    scholars = [
        replace(
            person(key, LOS_ANGELES, hours(6.5, 11, days=(day,))),
            preferred_hours=DailyHours(time(8), time(17)),
        )
        for key, day in (("ada", MONDAY), ("bob", TUESDAY), ("eve", WEDNESDAY))
    ]
    return problem([cas, *scholars], [demand(cas, scholar) for scholar in scholars], WINTER)


@pytest.mark.parametrize(
    "weights",
    [PreferenceWeights(fair_share=0), PreferenceWeights(preferred_hours=0)],
    ids=["no fair share", "preferred hours unweighed, which turns fair share off too"],
)
def test_without_fair_share_the_mentor_takes_every_meeting_outside_their_hours(weights):
    planning = replace(fair_share_cohort(), preferences=weights)

    result = plan(planning)

    assert all(start >= time(16) for start in starts(result))  # 08:00 onwards in Los Angeles
    assert result.objective_parts.off_hours_most == 3
    assert result.objective_parts.off_hours_people == 1


def test_fair_share_spreads_the_times_outside_peoples_hours():
    """The k-th meeting outside one person's hours costs (k - 1) x fair share more: with the default weights the
    mentor keeps one such meeting and two scholars take one each."""
    planning = fair_share_cohort()

    result = plan(planning)

    assert sorted(starts(result))[:2] == [time(15), time(15)]
    assert result.objective_parts.off_hours == 3
    assert result.objective_parts.off_hours_most == 1
    assert result.objective_parts.off_hours_people == 3
    assert result.solver_status == "OPTIMAL"
    assert validate_plan(planning, result) == []


def test_preferences_never_cost_a_meeting_day_or_a_block():
    """Preferences rank below fewer meeting days and fewer blocks: Cas's two 1-on-1s share Monday back to back,
    though Bob prefers 11:00-12:00: on Monday that would leave a gap (a second block), on Tuesday it would add a
    meeting day."""
    cas = person("cas", LONDON, hours(9, 12, days=(MONDAY, TUESDAY)))
    ada = person("ada", LONDON, hours(9, 10, days=(MONDAY,)))
    bob = replace(
        person("bob", LONDON, hours(9, 12, days=(MONDAY, TUESDAY))),
        preferred_hours=DailyHours(time(11), time(12)),
    )
    planning = problem([cas, ada, bob], [demand(cas, ada), demand(cas, bob)], WINTER)

    result = plan(planning)

    assert sorted((s.weekday, s.start) for p in result.placements for s in p.meetings) == [
        (MONDAY, time(9)),
        (MONDAY, time(10)),
    ]
    parts = result.objective_parts
    assert (parts.meeting_days, parts.blocks, parts.off_hours) == (1, 1, 1)


def test_a_plan_reports_its_goals_one_by_one_with_the_weights_it_was_made_with():
    planning = fair_share_cohort()

    stored = plan(planning).to_dict()

    assert stored["preferences"] == {
        "preferred_day": 3,
        "preferred_hours": 4,
        "fair_share": 2,
        "mid_window": 1,
    }
    assert stored["objective_parts"] == {
        "meetings": 3,
        "short_of_minimum": 0,
        "published_kept": 0,
        "lost_dates": 0,
        "meeting_days": 3,
        "blocks": 3,
        "on_preferred_days": 0,
        "off_hours": 3,
        "off_hours_most": 1,
        "off_hours_people": 3,
        "mid_window_steps": 4,  # 16:00 two steps from every edge, 15:00 one step from the scholars' start
    }


@pytest.mark.parametrize(
    ("weights", "message"),
    [({"fair_share": 11}, "fair_share = 11 is outside 0..10"), ({"preferred_day": -1}, "outside 0..10")],
)
def test_weights_outside_their_range_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        PreferenceWeights(**weights)


def test_preferred_hours_must_end_after_they_start_and_may_end_at_midnight():
    assert DailyHours(time(18), time(0)).end_minute == 24 * 60
    with pytest.raises(ValueError, match="end before they start"):
        DailyHours(time(12), time(9))


def random_cohort(seed: int):
    """A mentor in London with three scholars, some in Los Angeles, random hours, preferred hours, days and
    weights, several meetings a week: enough for people to have more than one meeting outside their hours."""
    rng = random.Random(seed)

    def someone(key: str, zone: str) -> Person:
        start = rng.choice((6, 8, 9, 10))
        windows = hours(start, start + rng.choice((4, 6, 8)), days=tuple(sorted(rng.sample(range(5), 3))))
        preferred = rng.choice((None, DailyHours(time(9), time(12)), DailyHours(time(13), time(18))))
        return replace(person(key, zone, windows), preferred_hours=preferred)

    cas = someone("cas", LONDON)
    scholars = [someone(key, rng.choice((LONDON, LOS_ANGELES))) for key in ("ada", "bob", "eve")]
    demands = [
        replace(
            demand(cas, scholar, per_week=rng.choice(((1, 1), (2, 3))), minutes=rng.choice((30, 60))),
            preferred_weekdays=frozenset(rng.sample(range(5), rng.randint(0, 2))),
        )
        for scholar in scholars
    ]
    weights = PreferenceWeights(*(rng.randint(0, 10) for _ in range(4)))
    return problem([cas, *scholars], demands, WINTER, preferences=weights)


@pytest.mark.parametrize("seed", range(12))
def test_the_models_preference_score_is_what_the_plans_parts_say_and_its_hints_are_feasible(seed):
    """For first-fit's plan of each random cohort (seeded, so the same every run): the CP-SAT model accepts the hint
    it derives from the plan as a complete assignment, and scores its preferences as the counted parts say."""
    planning = random_cohort(seed)
    finder = CandidateFinder(planning)
    candidates = {d.key: finder.candidates(d) for d in planning.demands}
    chosen = first_fit(finder, candidates)
    weights = planning.preferences

    for demands in independent_parts(planning, candidates):
        part = PartModel(finder, demands, candidates)
        picked = [c for d in demands for c in chosen[d.key]]
        values = part.values_for({d.key: chosen[d.key] for d in demands})
        for var, value in values.items():
            part.model.add(var == value)
        assert cp_model.CpSolver().solve(part.model) == cp_model.OPTIMAL

        off_hours = Counter(key for candidate in picked for key in candidate.off_hours)
        parts = objective_parts(finder, {d.key: chosen[d.key] for d in demands})
        assert parts.off_hours == sum(off_hours.values())
        # Fair share only counts while preferred hours weigh anything.
        costs = [
            weights.preferred_hours * n + weights.fair_share * n * (n - 1) // 2 for n in off_hours.values()
        ]
        expected = (
            weights.preferred_day * parts.on_preferred_days
            + weights.mid_window * parts.mid_window_steps
            - (sum(costs) if weights.preferred_hours else 0)
        )
        assert part.score(values, part.preferences) == expected
