"""Every write that shapes meetings leaves one audit entry per row: who, what, each field before and after, the
cohorts touched (the admin's writes, and who may read the trail, in tests/admin/test_audit_trail.py)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from cohort.models import AuditEntry
from cohort.services import row_snapshot
from scheduling.models import Meeting, PlanRun
from scheduling.services.planning import plan_cohort
from scholars.models import Mentorship
from tests.api.conftest import client_for
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    BlackoutFactory,
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    StreamFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def trail() -> list[tuple]:
    """Every entry as (actor, action, model, changes, cohort ids), oldest first."""
    entries = AuditEntry.objects.select_related("target_type").prefetch_related("cohorts").order_by("pk")
    return [
        (e.actor, e.action, e.target_type.model, e.changes, sorted(c.pk for c in e.cohorts.all()))
        for e in entries
    ]


def named(row) -> str:
    return f"{row} (#{row.pk})"


@pytest.fixture
def march():
    return CohortFactory(name="March", start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 31))


@pytest.fixture
def april():
    return CohortFactory(name="April", start_date=dt.date(2027, 4, 1), end_date=dt.date(2027, 4, 30))


@pytest.fixture
def mira(march):
    """A mentor with a login and one scholar in March."""
    mentor = MentorFactory(name="Mira", user=UserFactory(username="mira"))
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(name="Ada", cohort=march))
    return mentor


@pytest.fixture
def staff():
    return UserFactory(username="staff", is_staff=True)


# --- API writes ---------------------------------------------------------------------------------------------------


def test_a_blackout_a_mentor_adds_through_the_api_is_audited_as_theirs(march, mira):
    response = client_for(mira.user).post(
        "/api/v1/blackouts/", {"start_date": "2027-03-08", "end_date": "2027-03-12", "reason": "Workshop"}
    )

    assert response.status_code == 201, response.json()
    changes = {
        "mentor": [None, named(mira)],
        "start_date": [None, "2027-03-08"],
        "end_date": [None, "2027-03-12"],
        "reason": [None, "Workshop"],
    }
    assert trail() == [(mira.user, "created", "blackout", changes, [march.pk])]


def test_an_entry_still_names_its_author_after_their_login_is_deleted(march, mira):
    username = mira.user.get_username()
    client_for(mira.user).post(
        "/api/v1/blackouts/", {"start_date": "2027-03-08", "end_date": "2027-03-12", "reason": "Workshop"}
    )

    mira.user.delete()

    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.actor_name) == (None, username)


def test_a_blackout_moved_to_a_mentor_of_another_cohort_names_both_mentors_and_cohorts(
    march, april, mira, staff
):
    noor = MentorFactory(name="Noor")
    MentorshipFactory(mentor=noor, scholar=ScholarFactory(cohort=april))
    blackout = BlackoutFactory(mentor=mira, start_date=dt.date(2027, 3, 8), end_date=dt.date(2027, 3, 12))

    response = client_for(staff).patch(
        f"/api/v1/blackouts/{blackout.pk}/", {"mentor": noor.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert trail() == [
        (staff, "changed", "blackout", {"mentor": [named(mira), named(noor)]}, [march.pk, april.pk])
    ]


def test_availability_deleted_through_the_api_keeps_what_was_deleted(march, mira):
    window = AvailabilityFactory(mentor=mira, weekday=2, start_time=dt.time(9), end_time=dt.time(12))

    response = client_for(mira.user).delete(f"/api/v1/availability/{window.pk}/")

    assert response.status_code == 204
    changes = {
        "mentor": [named(mira), None],
        "weekday": ["2", None],
        "start_time": ["09:00:00", None],
        "end_time": ["12:00:00", None],
    }
    assert trail() == [(mira.user, "deleted", "availability", changes, [march.pk])]
    assert AuditEntry.objects.get().target_id == window.pk


def test_a_scholars_status_and_leaving_date_set_through_the_api_are_one_entry(march, mira, staff):
    ada = Mentorship.objects.get(mentor=mira).scholar

    response = client_for(staff).patch(
        f"/api/v1/scholars/{ada.pk}/", {"status": "withdrawn", "left_on": "2027-03-16"}, format="json"
    )

    assert response.status_code == 200, response.json()
    changes = {"status": ["research", "withdrawn"], "left_on": [None, "2027-03-16"]}
    assert trail() == [(staff, "changed", "scholar", changes, [march.pk])]


def test_a_mentorship_moved_to_a_scholar_of_another_cohort_is_audited_with_both(march, april, mira, staff):
    mentorship = Mentorship.objects.get(mentor=mira)
    ada, bo = mentorship.scholar, ScholarFactory(name="Bo", cohort=april)

    response = client_for(staff).patch(
        f"/api/v1/mentorships/{mentorship.pk}/", {"scholar": bo.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert trail() == [
        (staff, "changed", "mentorship", {"scholar": [named(ada), named(bo)]}, [march.pk, april.pk])
    ]


def test_a_cohorts_new_end_date_through_the_api_is_audited(march, staff):
    response = client_for(staff).patch(
        f"/api/v1/cohorts/{march.pk}/", {"end_date": "2027-04-09"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert trail() == [(staff, "changed", "cohort", {"end_date": ["2027-03-31", "2027-04-09"]}, [march.pk])]


def test_a_cadence_staff_set_through_the_api_is_audited_with_the_flag_that_keeps_it(march, mira, staff):
    response = client_for(staff).patch(
        f"/api/v1/mentors/{mira.pk}/", {"cadence": WEEKLY_ONE_ON_ONE.to_dict()}, format="json"
    )

    assert response.status_code == 200, response.json()
    [(actor, action, model, changes, cohorts)] = trail()
    assert (actor, action, model, cohorts) == (staff, "changed", "mentor", [march.pk])
    assert changes["cadence_edited_by_staff"] == ["False", "True"]
    assert (json.loads(changes["cadence"][0]), json.loads(changes["cadence"][1])) == (
        {},
        WEEKLY_ONE_ON_ONE.to_dict(),
    )
    assert set(changes) == {"cadence", "cadence_edited_by_staff"}


def test_a_team_member_added_through_the_api_is_audited(march, mira, staff):
    team = TeamFactory(cohort=march, mentor=mira, name="Probes")
    ada = Mentorship.objects.get(mentor=mira).scholar

    response = client_for(staff).patch(f"/api/v1/teams/{team.pk}/", {"members": [ada.pk]}, format="json")

    assert response.status_code == 200, response.json()
    assert trail() == [(staff, "changed", "team", {"members": ["", named(ada)]}, [march.pk])]


def test_a_scholars_own_new_reminder_offsets_are_audited_as_theirs(march):
    scholar = ScholarFactory(cohort=march, user=UserFactory(username="ada"))

    response = client_for(scholar.user).patch(
        "/api/v1/me/preferences/", {"reminder_offsets_minutes": [120, 10]}, format="json"
    )

    assert response.status_code == 200, response.json()
    changes = {"reminder_offsets_minutes": ["[1440, 15]", "[120, 10]"]}
    assert trail() == [(scholar.user, "changed", "scholar", changes, [march.pk])]


def test_a_write_that_changes_nothing_leaves_no_entry(mira):
    blackout = BlackoutFactory(mentor=mira, start_date=dt.date(2027, 3, 8), end_date=dt.date(2027, 3, 12))

    response = client_for(mira.user).patch(f"/api/v1/blackouts/{blackout.pk}/", {"reason": blackout.reason})

    assert response.status_code == 200, response.json()
    assert trail() == []


def test_a_refused_roster_leaves_no_entry(march, staff):
    StreamFactory(slug="interp")
    roster = "name,email,cohort,stream\nAda,ada@example.org,{0},interp\nBo,not-an-address,{0},interp\n"

    response = client_for(staff).post(
        "/api/v1/scholars/bulk/", roster.format(march.slug), content_type="text/csv"
    )

    assert response.status_code == 400
    assert trail() == []


def test_a_roster_leaves_an_entry_per_scholar_and_mentorship(march, mira, staff):
    StreamFactory(slug="interp")
    roster = f"name,email,cohort,stream,mentor\nBo,bo@example.org,{march.slug},interp,{mira.slug}\n"

    response = client_for(staff).post("/api/v1/scholars/bulk/", roster, content_type="text/csv")

    assert response.status_code == 201, response.json()
    assert [(actor, action, model, cohorts) for actor, action, model, _, cohorts in trail()] == [
        (staff, "created", "scholar", [march.pk]),
        (staff, "created", "mentorship", [march.pk]),
    ]


# --- Plans and single meetings ------------------------------------------------------------------------------------


def test_applying_a_plan_is_audited_with_who_applied_it_and_what_it_changed(settings, march, staff):
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    mentor = MentorFactory(cadence=WEEKLY_ONE_ON_ONE.to_dict())
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=march))
    run = plan_cohort(cohort=march)
    assert run.status == PlanRun.Status.SOLVED, run.error

    response = client_for(staff).post(f"/api/v1/plan-runs/{run.pk}/apply/")

    assert response.status_code == 200, response.json()
    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.action, entry.target_id, entry.reason) == (
        staff,
        "changed",
        run.pk,
        "1 series added, 0 moved, 0 removed, 0 unchanged.",
    )
    assert (set(entry.changes), entry.changes["status"]) == ({"status", "applied_at"}, ["solved", "applied"])
    assert [cohort.pk for cohort in entry.cohorts.all()] == [march.pk]
    # The plan itself stays on the run: its snapshot leaves the result and the diff out.
    assert {"result", "diff", "status"} & set(row_snapshot(run)) == {"status"}


@pytest.fixture
def future_meeting(march) -> Meeting:
    """Mira's 1-on-1 with Ada on Monday 8 March 2027, 10:00 London; both free all week, 9 to 5."""
    mentor = MentorFactory(name="Mira", user=UserFactory(username="mira"))
    for weekday in range(5):
        AvailabilityFactory(mentor=mentor, weekday=weekday)
    series = MeetingSeriesFactory(cohort=march, mentor=mentor, scholars=[ScholarFactory(cohort=march)])
    return MeetingFactory(series=series, starts_at=dt.datetime(2027, 3, 8, 10, tzinfo=dt.UTC))


def test_a_meeting_moved_then_cancelled_through_the_api_leaves_an_entry_for_each(
    march, future_meeting, staff
):
    client = client_for(staff)

    moved = client.post(
        f"/api/v1/meetings/{future_meeting.pk}/move/", {"starts_at": "2027-03-09T11:00:00Z"}, format="json"
    )
    cancelled = client.post(f"/api/v1/meetings/{future_meeting.pk}/cancel/")

    assert (moved.status_code, cancelled.status_code) == (200, 200)
    assert trail() == [
        (
            staff,
            "changed",
            "meeting",
            {
                "starts_at": ["2027-03-08T10:00:00+00:00", "2027-03-09T11:00:00+00:00"],
                "ends_at": ["2027-03-08T11:00:00+00:00", "2027-03-09T12:00:00+00:00"],
                "status": ["scheduled", "moved"],
                "version": ["1", "2"],
            },
            [march.pk],
        ),
        (staff, "changed", "meeting", {"status": ["moved", "cancelled"], "version": ["2", "3"]}, [march.pk]),
    ]


def test_a_mentor_marking_their_meeting_held_is_audited_as_theirs(march, future_meeting):
    Meeting.objects.filter(pk=future_meeting.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=2), ends_at=timezone.now() - dt.timedelta(hours=1)
    )
    mentor = future_meeting.series.mentor

    response = client_for(mentor.user).post(
        f"/api/v1/meetings/{future_meeting.pk}/mark/", {"status": "held"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert trail() == [
        (
            mentor.user,
            "changed",
            "meeting",
            {"status": ["scheduled", "held"], "version": ["1", "2"]},
            [march.pk],
        )
    ]
