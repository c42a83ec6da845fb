"""Cadences are edited as rows of meeting demands, never as JSON; a staff edit survives later imports."""

import pytest
from django.urls import reverse

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from cohort.forms import MeetingDemandFormSet
from tests.admin.conftest import posted_back
from tests.factories import CohortFactory, MentorFactory

READ_FROM = "We meet twice a week."
TWICE_A_WEEK = Cadence(
    demands=(
        MeetingDemand(
            kind=MeetingKind.ONE_ON_ONE, per_week_min=2, per_week_max=2, duration_minutes=30, source=READ_FROM
        ),
    ),
    sources=(READ_FROM,),
)


def rows(*demands: dict, prefix: str = "cadence", initial: int = 0) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(demands)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, demand in enumerate(demands):
        data |= {f"{prefix}-{index}-{key}": str(value) for key, value in demand.items()}
    return data


def row_errors(formset) -> list[str]:
    return [str(e) for form in formset.forms for errors in form.errors.values() for e in errors] + [
        str(e) for e in formset.non_form_errors()
    ]


def test_rows_become_demands_and_the_spare_row_is_ignored():
    formset = MeetingDemandFormSet(
        rows(
            {"kind": "one_on_one", "per_week_min": "2", "per_week_max": "3", "duration_minutes": "45"},
            {"kind": "group", "per_week_min": "0.5", "per_week_max": "0.5", "duration_minutes": ""},
            {"kind": "", "per_week_min": "", "per_week_max": "", "duration_minutes": ""},
        ),
        prefix="cadence",
    )

    assert formset.is_valid()
    assert formset.demands() == (
        MeetingDemand(kind=MeetingKind.ONE_ON_ONE, per_week_min=2, per_week_max=3, duration_minutes=45),
        MeetingDemand(kind=MeetingKind.GROUP, per_week_min=0.5, per_week_max=0.5),
    )


def test_a_deleted_row_is_dropped():
    formset = MeetingDemandFormSet(
        rows(
            {"kind": "team", "per_week_min": "1", "per_week_max": "1", "DELETE": "on"},
            {"kind": "standup", "per_week_min": "5", "per_week_max": "5"},
        ),
        prefix="cadence",
    )

    assert formset.is_valid()
    assert [demand.kind for demand in formset.demands()] == [MeetingKind.STANDUP]


def test_at_most_below_at_least_is_explained():
    formset = MeetingDemandFormSet(
        rows({"kind": "one_on_one", "per_week_min": "3", "per_week_max": "2"}), prefix="cadence"
    )

    assert not formset.is_valid()
    assert row_errors(formset) == ["“At most” (2) is less than “at least” (3) meetings a week."]


def test_two_rows_of_one_kind_are_refused():
    formset = MeetingDemandFormSet(
        rows(
            {"kind": "one_on_one", "per_week_min": "1", "per_week_max": "1"},
            {"kind": "one_on_one", "per_week_min": "2", "per_week_max": "2"},
        ),
        prefix="cadence",
    )

    assert not formset.is_valid()
    assert row_errors(formset) == ["Two 1-on-1 rows: put them in one row with a range (e.g. 2 to 3 a week)."]


def test_a_duration_outside_five_minutes_to_eight_hours_is_refused():
    formset = MeetingDemandFormSet(
        rows({"kind": "group", "per_week_min": "1", "per_week_max": "1", "duration_minutes": "600"}),
        prefix="cadence",
    )

    assert not formset.is_valid()
    assert row_errors(formset) == ["Ensure this value is less than or equal to 480."]


@pytest.mark.django_db
def test_staff_edit_a_cadence_as_rows_and_it_is_marked_as_edited_by_staff(staff_client):
    mentor = MentorFactory(cadence=TWICE_A_WEEK.to_dict())
    url = reverse("admin:mentors_mentor_change", args=[mentor.pk])
    page = staff_client.get(url)
    data = posted_back(page) | rows(
        {
            "kind": "one_on_one",
            "per_week_min": "2",
            "per_week_max": "3",
            "duration_minutes": "30",
            "source": READ_FROM,
        },
        {"kind": "group", "per_week_min": "1", "per_week_max": "1", "duration_minutes": "60"},
        initial=1,
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302
    mentor.refresh_from_db()
    assert mentor.cadence == {
        "demands": [
            {
                "kind": "one_on_one",
                "per_week_min": 2.0,
                "per_week_max": 3.0,
                "duration_minutes": 30,
                "source": READ_FROM,
            },
            {"kind": "group", "per_week_min": 1.0, "per_week_max": 1.0, "duration_minutes": 60, "source": ""},
        ],
        "sources": [READ_FROM],
    }
    assert mentor.cadence_edited_by_staff is True


@pytest.mark.django_db
def test_the_change_page_shows_the_cadence_as_rows_not_json(staff_client):
    mentor = MentorFactory(cadence=TWICE_A_WEEK.to_dict())

    response = staff_client.get(reverse("admin:mentors_mentor_change", args=[mentor.pk]))

    assert 'name="cadence-0-per_week_min" value="2.0"' in response.text
    assert 'name="cadence-TOTAL_FORMS" value="2"' in response.text
    assert "Read from: “We meet twice a week.”" in response.text
    assert '"demands"' not in response.text


@pytest.mark.django_db
def test_saving_a_mentor_without_touching_the_cadence_does_not_pin_it(staff_client):
    mentor = MentorFactory(cadence=TWICE_A_WEEK.to_dict())
    url = reverse("admin:mentors_mentor_change", args=[mentor.pk])
    data = posted_back(staff_client.get(url)) | {"title": "Professor"}

    response = staff_client.post(url, data)

    assert response.status_code == 302
    mentor.refresh_from_db()
    assert (mentor.title, mentor.cadence, mentor.cadence_edited_by_staff) == (
        "Professor",
        TWICE_A_WEEK.to_dict(),
        False,
    )


@pytest.mark.django_db
def test_a_bad_row_is_shown_again_with_its_message(staff_client):
    mentor = MentorFactory()
    url = reverse("admin:mentors_mentor_change", args=[mentor.pk])
    data = posted_back(staff_client.get(url)) | rows(
        {"kind": "team", "per_week_min": "2", "per_week_max": "1"}
    )

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cadence"] == ["Some rows below need fixing."]
    assert "“At most” (1) is less than “at least” (2) meetings a week." in response.text
    mentor.refresh_from_db()
    assert mentor.cadence == {}


@pytest.mark.django_db
def test_staff_edit_the_cohorts_default_cadence_as_rows(staff_client):
    cohort = CohortFactory()
    url = reverse("admin:cohort_cohort_change", args=[cohort.pk])
    data = posted_back(staff_client.get(url)) | rows(
        {"kind": "one_on_one", "per_week_min": "1", "per_week_max": "1", "duration_minutes": "60"},
        prefix="default_cadence",
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.cadence_default == Cadence(
        demands=(
            MeetingDemand(kind=MeetingKind.ONE_ON_ONE, per_week_min=1, per_week_max=1, duration_minutes=60),
        )
    )
