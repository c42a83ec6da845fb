"""Preferences as stored and shown: a cohort's usual hours and planning weights (admin and API, staff only), each
person's own preferred hours standing in for the usual ones, both reaching the planner, and a plan's preview
showing how it scores goal by goal."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from cohort.models import MAX_PREFERENCE_WEIGHT, Cohort
from scheduling.planner import DailyHours, PreferenceWeights, plan, validate_plan
from scheduling.planner import problem as planner_problem
from scheduling.problem_builder import build_cohort_problem, mentor_key, scholar_key
from scheduling.services.planning import plan_cohort, plan_run_execute
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def staff_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


def one_pair(cohort: Cohort, **scholar_fields):
    mentor = MentorFactory(cadence=WEEKLY_ONE_ON_ONE.to_dict())
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(9), end_time=dt.time(17))
    scholar = ScholarFactory(cohort=cohort, work_start=dt.time(9), work_end=dt.time(17), **scholar_fields)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    return mentor, scholar


def test_the_cohort_problem_carries_the_weights_and_each_persons_preferred_or_usual_hours():
    cohort = CohortFactory(
        usual_hours_start=dt.time(8),
        usual_hours_end=dt.time(16),
        weight_preferred_hours=7,
        weight_fair_share=0,
    )
    mentor, scholar = one_pair(cohort, preferred_meeting_start=dt.time(13), preferred_meeting_end=dt.time(0))

    problem = build_cohort_problem(cohort=cohort, time_limit_seconds=1).problem

    assert problem.preferences == PreferenceWeights(
        preferred_day=3, preferred_hours=7, fair_share=0, mid_window=1
    )
    assert problem.people_by_key[mentor_key(mentor)].preferred_hours == DailyHours(dt.time(8), dt.time(16))
    assert problem.people_by_key[scholar_key(scholar)].preferred_hours == DailyHours(dt.time(13), dt.time(0))


def test_a_scholars_preferred_hours_steer_the_plan_within_the_hours_both_gave():
    cohort = CohortFactory(start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 2, 26))
    one_pair(cohort, preferred_meeting_start=dt.time(15), preferred_meeting_end=dt.time(17))

    problem = build_cohort_problem(cohort=cohort, time_limit_seconds=1).problem
    result = plan(problem)

    [placement] = result.placements
    # 15:00 keeps an hour from the end of both days; 16:00 would sit on the edge.
    assert [(slot.weekday, slot.start) for slot in placement.meetings] == [(0, dt.time(15))]
    assert result.objective_parts.off_hours == 0
    assert validate_plan(problem, result) == []


def test_staff_read_and_set_the_weights_and_usual_hours_through_the_api():
    cohort = CohortFactory()
    client = staff_api()
    assert {
        key: value
        for key, value in client.get(f"/api/v1/cohorts/{cohort.pk}/").json().items()
        if key in Cohort.PLANNING_FIELDS
    } == {
        "usual_hours_start": "09:00:00",
        "usual_hours_end": "18:00:00",
        "weight_preferred_day": 3,
        "weight_preferred_hours": 4,
        "weight_fair_share": 2,
        "weight_mid_window": 1,
    }

    response = client.patch(
        f"/api/v1/cohorts/{cohort.pk}/", {"weight_fair_share": 5, "usual_hours_end": "00:00"}, format="json"
    )

    assert response.status_code == 200, response.json()
    cohort.refresh_from_db()
    assert (cohort.weight_fair_share, cohort.usual_hours_end) == (5, dt.time(0))


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"weight_fair_share": 11}, "weight_fair_share", "Ensure this value is less than or equal to 10."),
        ({"weight_mid_window": -1}, "weight_mid_window", "Ensure this value is greater than or equal to 0."),
        (
            {"usual_hours_start": "17:00", "usual_hours_end": "09:00"},
            "usual_hours_end",
            "Must be after the usual hours' start (17:00); 00:00 is midnight.",
        ),
        (
            {"usual_hours_start": "09:00:30"},
            "usual_hours_start",
            "Give a time in whole minutes (like 09:00), without seconds.",
        ),
    ],
)
def test_bad_weights_or_usual_hours_get_a_field_level_400_and_change_nothing(body, field, message):
    cohort = CohortFactory()

    response = staff_api().patch(f"/api/v1/cohorts/{cohort.pk}/", body, format="json")

    assert response.status_code == 400
    assert message in str(response.json()[field])
    cohort.refresh_from_db()
    assert (cohort.weight_fair_share, cohort.usual_hours_start, cohort.usual_hours_end) == (
        2,
        dt.time(9),
        dt.time(18),
    )


@pytest.mark.parametrize(
    "values",
    [{"usual_hours_start": dt.time(12), "usual_hours_end": dt.time(8)}, {"weight_fair_share": 11}],
    ids=["hours", "weight"],
)
def test_the_database_refuses_what_the_planner_could_not_take(values):
    cohort = CohortFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.filter(pk=cohort.pk).update(**values)


def test_the_models_bound_on_a_weight_is_the_planners():
    assert MAX_PREFERENCE_WEIGHT == planner_problem.MAX_PREFERENCE_WEIGHT


def test_the_cohort_admin_shows_the_planning_preferences(admin_client):
    cohort = CohortFactory()

    page = admin_client.get(reverse("admin:cohort_cohort_change", args=[cohort.pk])).content.decode()

    assert "Planning preferences" in page
    for field in Cohort.PLANNING_FIELDS:
        assert f'name="{field}"' in page


def test_a_plans_preview_shows_how_it_scores_goal_by_goal_and_the_weights_it_used(admin_client):
    cohort = CohortFactory(start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 2, 26), weight_fair_share=5)
    one_pair(cohort, preferred_meeting_start=dt.time(15), preferred_meeting_end=dt.time(17))
    run = plan_run_execute(plan_run_id=plan_cohort(cohort=cohort).pk)

    page = admin_client.get(reverse("admin:scheduling_planrun_change", args=[run.pk])).content.decode()

    assert run.result["preferences"]["fair_share"] == 5
    assert run.result["objective_parts"]["off_hours"] == 0
    assert "How the plan scores" in page
    assert "<td>weekly meetings placed</td><td>1</td>" in page
    assert "<td>meetings outside someone&#x27;s preferred hours</td><td>0</td>" in page
    assert "fair share 5" in page
