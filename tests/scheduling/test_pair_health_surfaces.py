"""Where people meet pair health: the staff dashboard, the cohort's week, the findings' admin pages, the mentor's
own page, the API, and the cohort's thresholds (admin and API)."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from cohort.models import Cohort
from mentors.services import mentor_logins_create
from scheduling.models import HealthFinding, Meeting
from scheduling.services.health import cohort_health_sync
from scheduling.services.meeting_edits import meeting_cancel
from tests.factories import CohortFactory, MentorFactory, MentorshipFactory, ScholarFactory, UserFactory
from tests.meeting_rows import weekly_series_with_meetings
from tests.scheduling.test_pair_health import monday, weekly_one_on_ones

pytestmark = pytest.mark.django_db

Status = HealthFinding.Status


@pytest.fixture
def troubled(settings):
    """A cohort with two pairs: Cas and Dee missed weeks 2 and 3 (a finding once week 3 is over); Ada cancelled
    three of her meetings with Ben (a finding about Ada, for staff only). Both mentors have logins."""
    settings.STAFF_ALERT_EMAILS = ["staff@cohortops.test"]
    cohort = CohortFactory()
    people = {}
    for mentor_name, scholar_name in (("Ada", "Ben"), ("Cas", "Dee")):
        mentor = MentorFactory(name=mentor_name, cadence=weekly_one_on_ones())
        scholar = ScholarFactory(name=scholar_name, cohort=cohort)
        MentorshipFactory(mentor=mentor, scholar=scholar)
        weekly_series_with_meetings(cohort=cohort, mentor=mentor, scholars=[scholar])
        people[mentor_name] = mentor
    mentor_logins_create(mentors=list(people.values()), invite=False)
    for mentor in people.values():
        mentor.refresh_from_db()
    Meeting.objects.filter(
        series__mentor=people["Cas"], starts_at__date__in=[monday(2).date(), monday(3).date()]
    ).update(status=Meeting.Status.MISSED)
    for meeting in Meeting.objects.filter(series__mentor=people["Ada"]).order_by("starts_at")[4:7]:
        meeting_cancel(meeting=meeting, by=people["Ada"].user)
    cohort_health_sync(cohort=cohort, as_of=monday(4))
    return cohort, people


def finding(rule):
    return HealthFinding.objects.get(rule=rule)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_dashboard_lists_pairs_in_trouble_open_ones_first(troubled, admin_user):
    acknowledged = logged_in(admin_user).post(
        "/admin/scheduling/healthfinding/",
        {"action": "acknowledge", "_selected_action": [finding("cancellations").pk]},
    )
    assert acknowledged.status_code == 302
    assert finding("cancellations").status == Status.ACKNOWLEDGED

    page = logged_in(admin_user).get("/admin/")

    dashboard = page.context["dashboard"]
    assert dashboard.finding_count == 2
    assert [f.rule for f in dashboard.findings] == ["behind_cadence", "cancellations"]
    html = page.content.decode()
    assert "Pairs in trouble (2)" in html
    assert "Cas and Dee held fewer meetings than their cadence asks for 2 weeks running" in html
    assert ", acknowledged)" in html
    listed = logged_in(admin_user).get("/admin/scheduling/healthfinding/?status__in=open,acknowledged")
    assert listed.context["cl"].result_count == 2


def test_the_week_page_lists_the_cohorts_findings_and_each_mentors_own(troubled, admin_user):
    cohort, _ = troubled

    page = logged_in(admin_user).get(f"/admin/cohort/cohort/{cohort.pk}/week/?week=2027-01-25")

    glance = page.context["glance"]
    assert {f.rule for f in glance.findings} == {"behind_cadence", "cancellations"}
    by_mentor = {row.name: [f.rule for f in row.findings] for row in glance.mentors}
    assert by_mentor == {"Ada": ["cancellations"], "Cas": ["behind_cadence"]}
    assert "Below the cadence: Cas and Dee" in page.content.decode()


def test_staff_acknowledge_then_resolve_a_finding_on_its_admin_page_and_cannot_reopen_it(
    troubled, admin_user
):
    client = logged_in(admin_user)
    behind = finding("behind_cadence")
    url = f"/admin/scheduling/healthfinding/{behind.pk}/change/"

    note_alone = client.post(url, {"status": "open", "resolution_note": "Will call them."})
    assert note_alone.context["adminform"].form.errors["resolution_note"] == [
        "A note is kept with the resolution: choose Resolved to save it."
    ]
    assert client.post(url, {"status": "acknowledged", "resolution_note": ""}).status_code == 302
    behind.refresh_from_db()
    assert (behind.status, behind.acknowledged_by) == (Status.ACKNOWLEDGED, admin_user)

    assert (
        client.post(url, {"status": "resolved", "resolution_note": "Dee was ill; back now."}).status_code
        == 302
    )
    behind.refresh_from_db()
    assert (behind.status, behind.resolved_by, behind.resolution_note) == (
        Status.RESOLVED,
        admin_user,
        "Dee was ill; back now.",
    )

    note_later = client.post(url, {"status": "resolved", "resolution_note": "Rewritten."})
    assert note_later.context["adminform"].form.errors["resolution_note"] == [
        "This finding is resolved; its note stays as it was."
    ]
    refused = client.post(url, {"status": "open", "resolution_note": ""})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["status"] == [
        "A finding goes from open to acknowledged to resolved; it cannot go from resolved back to open."
    ]
    behind.refresh_from_db()
    assert behind.status == Status.RESOLVED


def test_a_mentor_sees_findings_about_their_pairs_on_their_page_but_not_about_their_own_cancellations(
    troubled,
):
    _, people = troubled

    cas_page = logged_in(people["Cas"].user).get("/").content.decode()
    ada_page = logged_in(people["Ada"].user).get("/").content.decode()

    assert "Worth a word" in cas_page
    assert "Cas and Dee held fewer meetings than their cadence asks for" in cas_page
    assert "Worth a word" not in ada_page
    assert "Ada cancelled" not in ada_page


def test_the_findings_admin_is_staffs_only(troubled):
    _, people = troubled

    response = logged_in(people["Cas"].user).get("/admin/scheduling/healthfinding/")

    assert response.status_code == 403


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_lists_findings_by_role(troubled):
    cohort, people = troubled
    scholar_user = UserFactory()
    ScholarFactory(cohort=cohort, user=scholar_user)
    staff = UserFactory(is_staff=True)

    def rules(user, query=""):
        response = api(user).get(f"/api/v1/health-findings/{query}")
        assert response.status_code == 200, response.content
        return sorted(row["rule"] for row in response.json()["results"])

    assert rules(staff) == ["behind_cadence", "cancellations"]
    assert rules(staff, "?rule=cancellations") == ["cancellations"]
    assert rules(people["Cas"].user) == ["behind_cadence"]
    assert rules(people["Ada"].user) == []
    assert rules(scholar_user) == []


def test_staff_acknowledge_and_resolve_through_the_api_and_mentors_may_not(troubled):
    _, people = troubled
    staff = UserFactory(is_staff=True)
    behind = finding("behind_cadence")
    url = f"/api/v1/health-findings/{behind.pk}"

    assert api(people["Cas"].user).post(f"{url}/acknowledge/").status_code == 403
    acknowledged = api(staff).post(f"{url}/acknowledge/")
    assert (acknowledged.status_code, acknowledged.json()["acknowledged_by"]) == (200, staff.username)
    again = api(staff).post(f"{url}/acknowledge/")
    assert (again.status_code, list(again.json())) == (400, ["status"])

    refused = api(staff).post(f"{url}/resolve/", {"note": 5}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["note"])
    resolved = api(staff).post(f"{url}/resolve/", {"note": "Talked to both."}, format="json")
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution_note"]) == ("resolved", "Talked to both.")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"health_cancelled_count": 6, "health_cancelled_of_last": 6}, "health_cancelled_count"),
        ({"health_behind_weeks": 366}, "health_behind_weeks"),
        ({"health_first_meeting_days": -1}, "health_first_meeting_days"),
    ],
)
def test_a_cohorts_thresholds_out_of_range_are_a_400_on_their_field(fields, field):
    cohort = CohortFactory()
    staff = UserFactory(is_staff=True)

    response = api(staff).patch(f"/api/v1/cohorts/{cohort.pk}/", fields, format="json")

    assert (response.status_code, list(response.json())) == (400, [field])
    cohort.refresh_from_db()
    assert (cohort.health_cancelled_count, cohort.health_behind_weeks) == (2, 2)


def test_staff_set_a_cohorts_thresholds_through_the_api_and_the_admin_shows_them(admin_user):
    cohort = CohortFactory()
    staff = UserFactory(is_staff=True)

    response = api(staff).patch(
        f"/api/v1/cohorts/{cohort.pk}/",
        {"health_behind_weeks": 3, "health_first_meeting_days": 0},
        format="json",
    )

    assert response.status_code == 200
    cohort.refresh_from_db()
    assert (cohort.health_behind_weeks, cohort.health_first_meeting_days) == (3, 0)
    page = logged_in(admin_user).get(f"/admin/cohort/cohort/{cohort.pk}/change/")
    assert "Pair health" in page.content.decode()
    assert set(Cohort.HEALTH_FIELDS) <= set(page.context["adminform"].form.fields)


def test_a_database_check_bounds_the_thresholds():
    cohort = CohortFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.filter(pk=cohort.pk).update(health_missed_check_ins=1000)
