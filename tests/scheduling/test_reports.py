"""Cohort reports: meetings demanded, planned, held, missed and cancelled, and ratings, per week, for the cohort, a
stream, a mentor and a pair; as the admin's page with its chart, as CSV, and through the API."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from scheduling.models import Meeting
from scheduling.reports import Scope, UnknownScope, cohort_report
from scheduling.services.feedback import meeting_feedback_give
from scheduling.services.meeting_edits import meeting_cancel
from scholars.models import Mentorship
from tests.factories import (
    AvailabilityFactory,
    BreakFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    StreamFactory,
    UserFactory,
)
from tests.meeting_rows import weekly_series_with_meetings
from tests.scheduling.test_pair_health import monday, weekly_one_on_ones

pytestmark = pytest.mark.django_db

AS_OF = monday(4)  # Monday 25 January 2027, 09:00 UTC: weeks 1 to 3 are over


@pytest.fixture
def cohort():
    """Ada (stream Interpretability) meets Ben on Mondays and Cas on Tuesdays; Dee (another stream) meets Eve. A break fills the
    week of 15 February. In weeks 1 to 3: Ben's meetings held, missed, cancelled by Ada; Cas's cancelled by the
    calendar in week 2; Eve's never marked."""
    cohort = CohortFactory()
    BreakFactory(cohort=cohort)
    interpretability, other = StreamFactory(title="Interpretability"), StreamFactory(title="Evals")
    cohort.streams.add(interpretability, other)
    people = {}
    for mentor_name, stream, scholars in (
        ("Ada", interpretability, ("Ben", "Cas")),
        ("Dee", other, ("Eve",)),
    ):
        mentor = MentorFactory(name=mentor_name, cadence=weekly_one_on_ones(), user=UserFactory())
        mentor.streams.add(stream)
        for weekday in range(5):
            AvailabilityFactory(mentor=mentor, weekday=weekday)
        people[mentor_name] = mentor
        for index, name in enumerate(scholars):
            scholar = ScholarFactory(name=name, cohort=cohort, stream=stream)
            MentorshipFactory(mentor=mentor, scholar=scholar)
            weekly_series_with_meetings(cohort=cohort, mentor=mentor, scholars=[scholar], weekday=index)
            people[name] = scholar
    ben = list(Meeting.objects.filter(series__scholars=people["Ben"]).order_by("starts_at"))
    Meeting.objects.filter(pk=ben[0].pk).update(status=Meeting.Status.HELD)
    Meeting.objects.filter(pk=ben[1].pk).update(status=Meeting.Status.MISSED)
    meeting_cancel(meeting=ben[2], by=people["Ada"].user)
    cas = list(Meeting.objects.filter(series__scholars=people["Cas"]).order_by("starts_at"))
    Meeting.objects.filter(pk=cas[1].pk).update(status=Meeting.Status.CANCELLED, cancelled_by_calendar=True)
    rated_at = ben[0].ends_at + dt.timedelta(hours=1)
    meeting_feedback_give(meeting=ben[0], person=people["Ben"], rating=4, now=rated_at)
    meeting_feedback_give(meeting=ben[0], person=people["Ada"], rating=3, now=rated_at)
    return cohort, people


def row(report, week):
    return next(w for w in report.weeks if w.week_start == monday(week).date())


def counts(week_row):
    return (
        week_row.demanded,
        week_row.planned,
        week_row.held,
        week_row.not_marked,
        week_row.missed,
        week_row.cancelled,
    )


def test_the_cohorts_weeks_count_each_status_and_the_calendar_cancels_nothing(cohort):
    report = cohort_report(cohort=cohort[0], as_of=AS_OF)

    assert report.label == cohort[0].name
    assert [w.week_start for w in report.weeks][:2] == [dt.date(2027, 1, 4), dt.date(2027, 1, 11)]
    # demanded, planned, held, not marked, missed, cancelled
    assert counts(row(report, 1)) == (3, 3, 1, 2, 0, 0)
    assert counts(row(report, 2)) == (3, 2, 0, 1, 1, 0)  # Cas's, taken by the calendar, is not counted
    assert counts(row(report, 3)) == (3, 2, 0, 2, 0, 1)
    assert counts(row(report, 5)) == (3, 3, 0, 0, 0, 0)  # ahead: planned only
    assert row(report, 7).demanded == 0  # the break
    assert (row(report, 1).ratings, row(report, 1).average_rating) == (2, 3.5)
    assert report.totals["cancelled"] == 1


def test_a_stream_a_mentor_and_a_pair_count_only_their_own(cohort):
    the_cohort, people = cohort
    stream = the_cohort.streams.get(title="Interpretability")
    ben_pair = Mentorship.objects.get(scholar=people["Ben"])

    by_stream = cohort_report(cohort=the_cohort, as_of=AS_OF, scope=Scope.STREAM, key=stream.pk)
    by_mentor = cohort_report(cohort=the_cohort, as_of=AS_OF, scope=Scope.MENTOR, key=people["Dee"].pk)
    by_pair = cohort_report(cohort=the_cohort, as_of=AS_OF, scope=Scope.PAIR, key=ben_pair.pk)

    assert (by_stream.label, counts(row(by_stream, 1))) == ("Stream: Interpretability", (2, 2, 1, 1, 0, 0))
    assert (by_mentor.label, counts(row(by_mentor, 1))) == ("Mentor: Dee", (1, 1, 0, 1, 0, 0))
    assert (by_pair.label, [counts(row(by_pair, week)) for week in (1, 2, 3)]) == (
        "Pair: Ada and Ben",
        [(1, 1, 1, 0, 0, 0), (1, 1, 0, 0, 1, 0), (1, 0, 0, 0, 0, 1)],
    )


def test_a_pairs_ratings_are_the_scholars_and_the_mentors_of_their_1_on_1s(cohort):
    the_cohort, people = cohort
    group = weekly_series_with_meetings(
        cohort=the_cohort,
        mentor=people["Ada"],
        scholars=[people["Ben"], people["Cas"]],
        weekday=3,
        kind="group",
    )
    first = group.meetings.order_by("starts_at").first()
    rated_at = first.ends_at + dt.timedelta(hours=1)
    meeting_feedback_give(meeting=first, person=people["Cas"], rating=1, now=rated_at)
    meeting_feedback_give(meeting=first, person=people["Ada"], rating=1, now=rated_at)
    meeting_feedback_give(meeting=first, person=people["Ben"], rating=2, now=rated_at)
    ben_pair = Mentorship.objects.get(scholar=people["Ben"])

    by_pair = cohort_report(cohort=the_cohort, as_of=AS_OF, scope=Scope.PAIR, key=ben_pair.pk)

    # Week 1: Ben's 4 and Ada's 3 of their 1-on-1, and Ben's 2 of the group; not Cas's, nor Ada's of the group.
    assert (row(by_pair, 1).ratings, row(by_pair, 1).average_rating) == (3, 3.0)
    assert by_pair.totals["ratings"] == 3


def test_an_id_the_cohort_does_not_have_is_refused_by_field(cohort):
    stranger = MentorFactory()

    with pytest.raises(UnknownScope) as refused:
        cohort_report(cohort=cohort[0], as_of=AS_OF, scope=Scope.MENTOR, key=stranger.pk)

    assert refused.value.field == "id"
    assert str(refused.value) == f"Mentor {stranger.pk} has no scholars or meetings in {cohort[0].name}."


def test_the_csv_has_a_row_per_week_with_every_column(cohort):
    report = cohort_report(cohort=cohort[0], as_of=AS_OF)

    rows = list(csv.DictReader(io.StringIO(report.csv())))

    assert len(rows) == len(report.weeks)
    assert rows[0] == {
        "week_start": "2027-01-04",
        "demanded": "3.0",
        "planned": "3",
        "held": "1",
        "not_marked": "2",
        "missed": "0",
        "cancelled": "0",
        "ratings": "2",
        "average_rating": "3.5",
    }
    assert rows[4]["average_rating"] == ""


def test_a_report_costs_the_same_queries_however_many_pairs(cohort):
    the_cohort, _ = cohort

    def queries():
        with CaptureQueriesContext(connection) as captured:
            cohort_report(cohort=the_cohort, as_of=AS_OF)
        return len(captured)

    before = queries()
    for n in range(3):
        mentor = MentorFactory(cadence=weekly_one_on_ones())
        scholar = ScholarFactory(cohort=the_cohort)
        MentorshipFactory(mentor=mentor, scholar=scholar)
        weekly_series_with_meetings(
            cohort=the_cohort, mentor=mentor, scholars=[scholar], start=dt.time(14 + n)
        )

    assert queries() == before


def test_staff_read_the_report_through_the_api_as_json_and_csv(cohort):
    the_cohort, people = cohort
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    url = f"/api/v1/cohorts/{the_cohort.pk}/report/"

    as_json = client.get(url, {"scope": "mentor", "id": people["Ada"].pk})
    assert as_json.status_code == 200
    body = as_json.json()
    assert (body["scope"], body["id"], body["label"], body["weeks"][0]["held"]) == (
        "mentor",
        people["Ada"].pk,
        "Mentor: Ada",
        1,
    )
    assert body["totals"]["missed"] == 1

    as_csv = client.get(url, {"format": "csv"})
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv.content.decode().splitlines()[0].startswith("week_start,demanded,planned,held")

    unknown = client.get(url, {"scope": "pair", "id": 999999})
    assert (unknown.status_code, list(unknown.json())) == (400, ["id"])
    bad_scope = client.get(url, {"scope": "team"})
    assert (bad_scope.status_code, list(bad_scope.json())) == (400, ["scope"])
    bad_csv = client.get(url, {"scope": "stream", "format": "csv"})
    assert (bad_csv.status_code, bad_csv["Content-Type"], list(bad_csv.json())) == (
        400,
        "application/json",
        ["id"],
    )


def test_mentors_and_scholars_may_not_read_reports(cohort):
    the_cohort, people = cohort
    client = APIClient()
    client.force_authenticate(people["Ada"].user)

    assert client.get(f"/api/v1/cohorts/{the_cohort.pk}/report/").status_code == 403


def test_the_admin_report_page_shows_the_chart_the_weeks_and_every_choice(cohort, admin_user):
    the_cohort, people = cohort
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/cohort/cohort/{the_cohort.pk}/report/"

    page = client.get(url, {"scope": "pair", "id": Mentorship.objects.get(scholar=people["Ben"]).pk})

    assert page.status_code == 200
    html = page.content.decode()
    assert "Pair: Ada and Ben: meetings per week" in html
    assert 'id="week-plot"' in html
    assert 'id="report"' in html
    groups = dict(page.context["choices"])
    assert [label for _, label in groups["Mentors"]] == ["Ada", "Dee"]
    assert [label for _, label in groups["Pairs"]] == ["Ada and Ben", "Ada and Cas", "Dee and Eve"]

    download = client.get(url, {"scope": "cohort", "format": "csv"})
    assert download["Content-Disposition"] == f'attachment; filename="{the_cohort.slug}-cohort-report.csv"'

    refused = client.get(url, {"scope": "mentor", "id": "x"}, follow=True)
    assert refused.context["report"].scope == Scope.COHORT
    assert "Showing the whole cohort." in refused.content.decode()
