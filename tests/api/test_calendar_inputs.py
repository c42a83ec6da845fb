"""Blackouts, leaving dates and breaks reach the published meetings as soon as they are saved, with no re-plan."""

import datetime as dt

import pytest
from django.urls import reverse

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from scheduling.models import Meeting, MeetingSeries, Notification, PlanRun
from scheduling.services.meeting_edits import meeting_cancel
from scheduling.services.planning import plan_apply, plan_cohort
from scholars.models import Mentorship
from tests.admin.conftest import logged_in, posted_back
from tests.api.conftest import client_for
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    StreamFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(settings):
    """One mentor and one scholar with a weekly 1-on-1, planned and published over March 2027."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 31))
    mentor = MentorFactory(cadence=WEEKLY_ONE_ON_ONE.to_dict(), user=UserFactory())
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    scholar = ScholarFactory(cohort=cohort)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    run = plan_cohort(cohort=cohort)
    assert run.status == PlanRun.Status.SOLVED, run.error
    plan_apply(plan_run=run, today=dt.date(2026, 12, 1))
    return cohort, mentor, scholar


def live_days(cohort) -> list[dt.date]:
    meetings = Meeting.objects.filter(series__cohort=cohort).exclude(status=Meeting.Status.CANCELLED)
    return sorted(m.starts_at.date() for m in meetings)


def test_the_plan_meets_every_monday_of_march(planned):
    cohort, _, _ = planned

    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 8, 15, 22, 29)]


def test_a_mentors_new_blackout_cancels_the_meeting_it_covers(planned):
    cohort, mentor, _ = planned

    response = client_for(mentor.user).post(
        "/api/v1/blackouts/", {"start_date": "2027-03-08", "end_date": "2027-03-12", "reason": "Workshop"}
    )

    assert response.status_code == 201
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 15, 22, 29)]


def test_a_scholar_enters_their_own_time_away_and_their_1_on_1_is_cancelled(planned):
    cohort, mentor, scholar = planned
    scholar.user = UserFactory()
    scholar.save()
    client = client_for(scholar.user)

    response = client.post(
        "/api/v1/blackouts/",
        {"start_date": "2027-03-15", "end_date": "2027-03-15", "start_time": "09:00", "end_time": "12:00",
         "reason": "Conference talk", "mentor": mentor.pk},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.json()
    # The owner comes from the caller, never from the body.
    assert (response.json()["scholar"], response.json()["mentor"]) == (scholar.pk, None)
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 8, 22, 29)]
    assert [row["id"] for row in client.get("/api/v1/blackouts/").json()["results"]] == [
        response.json()["id"]
    ]
    refused = client.patch(
        f"/api/v1/blackouts/{response.json()['id']}/", {"end_time": "08:00"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {"end_time": ["Part of a day must end after it starts."]}
    assert client.delete(f"/api/v1/blackouts/{response.json()['id']}/").status_code == 204
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 8, 15, 22, 29)]


def test_staff_name_exactly_one_person_for_time_away(planned):
    cohort, mentor, scholar = planned
    client = client_for(UserFactory(is_staff=True))
    days = {"start_date": "2027-03-08", "end_date": "2027-03-08"}

    nobody = client.post("/api/v1/blackouts/", days, format="json")
    both = client.post(
        "/api/v1/blackouts/", {**days, "mentor": mentor.pk, "scholar": scholar.pk}, format="json"
    )
    theirs = client.post("/api/v1/blackouts/", {**days, "scholar": scholar.pk}, format="json")
    moved_onto_both = client.patch(
        f"/api/v1/blackouts/{theirs.json()['id']}/", {"mentor": mentor.pk}, format="json"
    )

    assert (nobody.status_code, nobody.json()) == (
        400,
        {
            "mentor": ["Say which mentor or scholar this belongs to."],
            "scholar": ["Say which mentor or scholar this belongs to."],
        },
    )
    assert (both.status_code, both.json()["scholar"]) == (
        400,
        ["Time away is one person's: a mentor's or a scholar's, not both."],
    )
    assert theirs.status_code == 201
    assert (moved_onto_both.status_code, list(moved_onto_both.json())) == (400, ["scholar"])
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 15, 22, 29)]


def test_staff_who_also_mentor_enter_a_scholars_time_away_as_the_scholars(planned):
    cohort, _, scholar = planned
    superuser = UserFactory(is_staff=True, is_superuser=True)
    MentorFactory(user=superuser)

    response = client_for(superuser).post(
        "/api/v1/blackouts/",
        {"scholar": scholar.pk, "start_date": "2027-03-15", "end_date": "2027-03-15"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["scholar"], response.json()["mentor"]) == (scholar.pk, None)
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 8, 22, 29)]


@pytest.mark.parametrize("path", ["/api/v1/blackouts/", "/api/v1/extra-hours/"])
def test_staff_cannot_leave_a_row_nobodys(planned, path):
    _, mentor, _ = planned
    client = client_for(UserFactory(is_staff=True))
    body = (
        {"start_date": "2027-03-08", "end_date": "2027-03-08"}
        if "blackouts" in path
        else {"date": "2027-03-08", "start_time": "18:00", "end_time": "19:00"}
    )
    row = client.post(path, {**body, "mentor": mentor.pk}, format="json").json()

    response = client.patch(f"{path}{row['id']}/", {"mentor": None}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"mentor": ["Say which mentor or scholar this belongs to."]},
    )
    assert client.get(f"{path}{row['id']}/").json()["mentor"] == mentor.pk


def test_a_scholar_cannot_write_hours_or_another_persons_time_away(planned):
    _, mentor, scholar = planned
    scholar.user = UserFactory()
    scholar.save()
    client = client_for(scholar.user)
    mentors_own = client_for(mentor.user).post(
        "/api/v1/blackouts/", {"start_date": "2027-03-08", "end_date": "2027-03-08"}, format="json"
    )

    assert client.delete(f"/api/v1/blackouts/{mentors_own.json()['id']}/").status_code == 404
    hours = {"weekday": 1, "start_time": "10:00", "end_time": "11:00"}
    assert client.post("/api/v1/availability/", hours, format="json").status_code == 403


def test_a_blackout_leaves_a_finished_cohort_that_shares_the_mentors_stream_as_it_was(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    stream = StreamFactory()
    finished = CohortFactory(start_date=dt.date(2025, 3, 3), end_date=dt.date(2025, 3, 28))
    finished.streams.add(stream)
    mentor = MentorFactory(cadence=WEEKLY_ONE_ON_ONE.to_dict())
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=finished, stream=stream))
    plan_apply(plan_run=plan_cohort(cohort=finished), today=dt.date(2025, 2, 1))
    published = {(m.pk, m.status, m.version) for m in Meeting.objects.filter(series__cohort=finished)}
    colleague = MentorFactory(user=UserFactory())
    colleague.streams.add(stream)

    response = client_for(colleague.user).post(
        "/api/v1/blackouts/", {"start_date": "2027-03-08", "end_date": "2027-03-12", "reason": "Workshop"}
    )

    assert response.status_code == 201
    assert len(published) == 4
    assert {(m.pk, m.status, m.version) for m in Meeting.objects.filter(series__cohort=finished)} == published
    assert set(MeetingSeries.objects.filter(cohort=finished).values_list("status", flat=True)) == {
        MeetingSeries.Status.ACTIVE
    }


def test_a_leaving_date_set_through_the_api_ends_the_scholars_meetings(planned):
    cohort, _, scholar = planned
    staff = UserFactory(is_staff=True)

    response = client_for(staff).patch(f"/api/v1/scholars/{scholar.pk}/", {"left_on": "2027-03-16"})

    assert response.status_code == 200
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 8, 15)]


def test_a_break_added_on_the_cohorts_admin_page_cancels_the_meetings_in_it(planned, admin_user):
    cohort, _, _ = planned
    client = logged_in(admin_user)
    url = reverse("admin:cohort_cohort_change", args=[cohort.pk])
    data = posted_back(client.get(url)) | {
        "breaks-0-name": "Spring break",
        "breaks-0-start_date": "2027-03-20",
        "breaks-0-end_date": "2027-03-24",
        "breaks-TOTAL_FORMS": "1",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 8, 15, 29)]


def test_lifting_a_blackout_brings_back_the_meeting_it_cancelled_but_not_one_staff_cancelled(planned):
    cohort, mentor, _ = planned
    client = client_for(mentor.user)
    blackout = client.post(
        "/api/v1/blackouts/", {"start_date": "2027-03-08", "end_date": "2027-03-19", "reason": "Workshop"}
    ).json()
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 22, 29)]
    by_staff = Meeting.objects.get(series__cohort=cohort, starts_at__date=dt.date(2027, 3, 22))
    meeting_cancel(meeting=by_staff)

    response = client.delete(f"/api/v1/blackouts/{blackout['id']}/")

    assert response.status_code == 204
    assert live_days(cohort) == [dt.date(2027, 3, d) for d in (1, 8, 15, 29)]
    back = Meeting.objects.get(series__cohort=cohort, starts_at__date=dt.date(2027, 3, 8))
    assert (back.status, back.version) == (Meeting.Status.SCHEDULED, 3)


def test_deleting_a_mentorship_on_its_admin_page_ends_its_meetings(planned, admin_user):
    cohort, mentor, scholar = planned
    mentorship = Mentorship.objects.get(mentor=mentor, scholar=scholar)
    client = logged_in(admin_user)

    response = client.post(reverse("admin:scholars_mentorship_delete", args=[mentorship.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert live_days(cohort) == []


# --- Rows moved to another cohort: the old cohort's meetings follow as well as the new one's ---------------------

GROUP_WEEKLY = Cadence(
    demands=(MeetingDemand(kind=MeetingKind.GROUP, per_week_min=1, per_week_max=1, duration_minutes=60),)
).to_dict()
TEAM_WEEKLY = Cadence(
    demands=(MeetingDemand(kind=MeetingKind.TEAM, per_week_min=1, per_week_max=1, duration_minutes=60),)
).to_dict()
MARCH_MONDAYS = [dt.date(2027, 3, d) for d in (1, 8, 15, 22, 29)]
APRIL_MONDAYS = [dt.date(2027, 4, d) for d in (5, 12, 19, 26)]


def published(cohort) -> None:
    run = plan_cohort(cohort=cohort)
    assert run.status == PlanRun.Status.SOLVED, run.error
    plan_apply(plan_run=run, today=dt.date(2026, 12, 1))


def pending_reminder_days(cohort, scholar) -> list[dt.date]:
    reminders = Notification.objects.filter(
        meeting__series__cohort=cohort,
        recipient_scholar=scholar,
        kind=Notification.Kind.REMINDER,
        status=Notification.Status.PENDING,
    )
    return sorted({reminder.meeting.starts_at.date() for reminder in reminders})


@pytest.fixture
def group_in_two_cohorts(settings):
    """Mira's weekly group meeting, published in March (with Ada) and in April (with Bo); Cy is in April too."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    march = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 31))
    april = CohortFactory(start_date=dt.date(2027, 4, 1), end_date=dt.date(2027, 4, 30))
    mentor = MentorFactory(name="Mira", cadence=GROUP_WEEKLY)
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    ada = ScholarFactory(name="Ada", cohort=march)
    MentorshipFactory(mentor=mentor, scholar=ada)
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(name="Bo", cohort=april))
    cy = ScholarFactory(name="Cy", cohort=april)
    published(march)
    published(april)
    assert (live_days(march), pending_reminder_days(march, ada)) == (MARCH_MONDAYS, MARCH_MONDAYS)
    return march, april, mentor, ada, cy


def test_a_mentorship_moved_to_a_scholar_of_another_cohort_leaves_the_old_cohort(group_in_two_cohorts):
    march, april, mentor, ada, cy = group_in_two_cohorts
    mentorship = Mentorship.objects.get(mentor=mentor, scholar=ada)

    response = client_for(UserFactory(is_staff=True)).patch(
        f"/api/v1/mentorships/{mentorship.pk}/", {"scholar": cy.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (live_days(march), pending_reminder_days(march, ada)) == ([], [])
    assert (live_days(april), pending_reminder_days(april, cy)) == (APRIL_MONDAYS, APRIL_MONDAYS)


def test_a_scholar_moved_to_another_cohort_leaves_the_old_cohorts_meetings(group_in_two_cohorts):
    march, april, _, ada, _ = group_in_two_cohorts

    response = client_for(UserFactory(is_staff=True)).patch(
        f"/api/v1/scholars/{ada.pk}/", {"cohort": april.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (live_days(march), pending_reminder_days(march, ada)) == ([], [])
    assert (live_days(april), pending_reminder_days(april, ada)) == (APRIL_MONDAYS, APRIL_MONDAYS)


def test_a_mentorship_moved_on_its_admin_page_leaves_the_old_cohort(group_in_two_cohorts, admin_user):
    march, april, mentor, ada, cy = group_in_two_cohorts
    mentorship = Mentorship.objects.get(mentor=mentor, scholar=ada)
    client = logged_in(admin_user)
    url = reverse("admin:scholars_mentorship_change", args=[mentorship.pk])

    response = client.post(url, posted_back(client.get(url)) | {"scholar": str(cy.pk)})

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert (live_days(march), pending_reminder_days(march, ada)) == ([], [])
    assert (live_days(april), pending_reminder_days(april, cy)) == (APRIL_MONDAYS, APRIL_MONDAYS)


def test_a_scholar_moved_on_their_admin_page_leaves_the_old_cohorts_meetings(
    group_in_two_cohorts, admin_user
):
    march, april, _, ada, _ = group_in_two_cohorts
    client = logged_in(admin_user)
    url = reverse("admin:scholars_scholar_change", args=[ada.pk])

    response = client.post(url, posted_back(client.get(url)) | {"cohort": str(april.pk)})

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert (live_days(march), pending_reminder_days(march, ada)) == ([], [])
    assert (live_days(april), pending_reminder_days(april, ada)) == (APRIL_MONDAYS, APRIL_MONDAYS)


def test_a_scholar_added_to_a_team_through_the_api_joins_its_meetings(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 31))
    mentor = MentorFactory(cadence=TEAM_WEEKLY)
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    ada, bo = ScholarFactory(name="Ada", cohort=cohort), ScholarFactory(name="Bo", cohort=cohort)
    for scholar in (ada, bo):
        MentorshipFactory(mentor=mentor, scholar=scholar)
    team = TeamFactory(cohort=cohort, mentor=mentor)
    team.members.add(ada)
    published(cohort)
    assert (pending_reminder_days(cohort, ada), pending_reminder_days(cohort, bo)) == (MARCH_MONDAYS, [])

    response = client_for(UserFactory(is_staff=True)).patch(
        f"/api/v1/teams/{team.pk}/", {"members": [ada.pk, bo.pk]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (pending_reminder_days(cohort, ada), pending_reminder_days(cohort, bo)) == (
        MARCH_MONDAYS,
        MARCH_MONDAYS,
    )


def test_a_blackout_moved_to_a_mentor_of_another_cohort_frees_the_old_cohorts_day(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    cohorts, mentors, scholars = [], [], []
    for name in ("Mira", "Noor"):
        cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 31))
        mentor = MentorFactory(name=name, cadence=WEEKLY_ONE_ON_ONE.to_dict())
        AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
        scholar = ScholarFactory(cohort=cohort)
        MentorshipFactory(mentor=mentor, scholar=scholar)
        published(cohort)
        cohorts.append(cohort), mentors.append(mentor), scholars.append(scholar)
    client = client_for(UserFactory(is_staff=True))
    blackout = client.post(
        "/api/v1/blackouts/",
        {"mentor": mentors[0].pk, "start_date": "2027-03-08", "end_date": "2027-03-12", "reason": "Workshop"},
        format="json",
    ).json()
    without_the_8th = [day for day in MARCH_MONDAYS if day != dt.date(2027, 3, 8)]
    assert live_days(cohorts[0]) == without_the_8th

    response = client.patch(f"/api/v1/blackouts/{blackout['id']}/", {"mentor": mentors[1].pk}, format="json")

    assert response.status_code == 200, response.json()
    assert (live_days(cohorts[0]), pending_reminder_days(cohorts[0], scholars[0])) == (
        MARCH_MONDAYS,
        MARCH_MONDAYS,
    )
    assert (live_days(cohorts[1]), pending_reminder_days(cohorts[1], scholars[1])) == (
        without_the_8th,
        without_the_8th,
    )
