"""Planning the demo cohort built from the seed documents places every seed mentor's cadence."""

import pytest
from django.core.management import call_command

from cohort.models import Cohort
from mentors.models import Mentor
from scheduling.models import MeetingSeries, PlanRun
from scheduling.services.planning import plan_apply, plan_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path) -> Cohort:
    settings.VAR_DIR = tmp_path
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    call_command("import_seeds")
    call_command("demo_cohort")
    return Cohort.objects.get(slug="demo")


def test_planning_the_demo_places_every_seed_mentors_cadence(demo):
    run = plan_cohort(cohort=demo)

    assert run.status == PlanRun.Status.SOLVED, run.error
    result = run.result
    assert result["unplaced"] == []
    assert result["unschedulable"] == []
    mentors = set(Mentor.objects.filter(mentorships__scholar__cohort=demo).values_list("name", flat=True))
    summary = {row["name"]: (row["wanted_max"], row["placed"]) for row in result["summary"]}
    assert set(summary) == mentors
    assert {name: wanted for name, (wanted, _) in summary.items()} == {
        name: placed for name, (_, placed) in summary.items()
    }
    assert result["placed"] == result["demanded"]


def test_applying_the_demo_plan_gives_every_mentor_meetings(demo):
    run = plan_cohort(cohort=demo)

    plan_apply(plan_run=run, today=demo.start_date)

    mentors = set(Mentor.objects.filter(mentorships__scholar__cohort=demo))
    with_meetings = {s.mentor for s in MeetingSeries.objects.filter(cohort=demo) if s.meetings.exists()}
    assert with_meetings == mentors


def test_the_demo_plan_is_proven_optimal_well_within_its_budget(demo):
    run = plan_cohort(cohort=demo)

    result = run.result
    assert result["solver_status"] == "OPTIMAL"
    assert result["solver_summary"] == "OPTIMAL"
    assert result["objective_bound"] == result["objective"]
    assert result["gap"] == 0
