"""Moving one meeting through the API: only to a real, single wall-clock time inside the cohort, with nobody
double-booked; outside usual hours only when staff force it and say why."""

import datetime as dt

import pytest

from scheduling.models import Meeting
from tests.api.conftest import client_for
from tests.factories import (
    BreakFactory,
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    UserFactory,
)
from tests.meeting_rows import miras_one_on_one_with_sam

pytestmark = pytest.mark.django_db
NEW_YORK = "America/New_York"


@pytest.fixture
def meeting() -> Meeting:
    """Mira's Monday 10:00 (New York) 1-on-1 with Sam on 8 March 2027; both work Monday to Friday, 9 to 5."""
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 11, 30), time_zone=NEW_YORK)
    BreakFactory(
        cohort=cohort, name="Summer break", start_date=dt.date(2027, 7, 5), end_date=dt.date(2027, 7, 9)
    )
    return miras_one_on_one_with_sam(
        cohort=cohort,
        time_zone=NEW_YORK,
        starts_at=dt.datetime(2027, 3, 8, 15, tzinfo=dt.UTC),
        mentor_user=UserFactory(),
    )


@pytest.fixture
def staff():
    return UserFactory(is_staff=True)


def move(user, meeting: Meeting, **data):
    return client_for(user).post(f"/api/v1/meetings/{meeting.pk}/move/", data, format="json")


def test_an_instant_with_an_offset_moves_the_meeting_there(meeting, staff):
    response = move(staff, meeting, starts_at="2027-03-09T11:00:00-05:00")

    assert response.status_code == 200, response.json()
    assert (response.json()["starts_at"], response.json()["ends_at"], response.json()["version"]) == (
        "2027-03-09T16:00:00Z",
        "2027-03-09T17:00:00Z",
        2,
    )


def test_a_time_without_an_offset_is_read_in_the_meetings_own_zone(meeting, staff):
    # 1 April is after the clocks went forward in New York: 11:00 there is 15:00 UTC.
    response = move(staff, meeting, starts_at="2027-04-01T11:00")

    assert response.status_code == 200, response.json()
    assert response.json()["starts_at"] == "2027-04-01T15:00:00Z"


def test_a_time_the_clocks_repeat_is_refused_with_the_reason(meeting, staff):
    # 01:30 on Sunday 7 November 2027 happens twice in New York; this is the first of them.
    response = move(staff, meeting, starts_at="2027-11-07T01:30:00-04:00", force=True, reason="Only slot")

    assert response.status_code == 400
    assert response.json() == {
        "starts_at": [
            "2027-11-07 01:30 happens twice in America/New_York: the clocks go back that night, so calendars "
            "could show either. Choose another time."
        ]
    }
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED


def test_a_time_the_clocks_skip_is_refused_with_the_reason(meeting, staff):
    response = move(staff, meeting, starts_at="2027-03-14T02:30")

    assert response.status_code == 400
    assert response.json() == {
        "starts_at": [
            "2027-03-14 02:30 does not exist in America/New_York: the clocks skip that hour when daylight "
            "saving time starts. Choose another time."
        ]
    }


def test_a_day_after_the_cohort_is_refused(meeting, staff):
    response = move(staff, meeting, starts_at="2027-12-06T15:00:00Z")

    assert response.status_code == 400
    assert response.json() == {"starts_at": ["2027-12-06 is outside the cohort (2027-03-01 to 2027-11-30)."]}


def test_a_day_in_a_break_is_refused(meeting, staff):
    response = move(staff, meeting, starts_at="2027-07-06T14:00:00Z")

    assert response.status_code == 400
    assert response.json() == {
        "starts_at": ["2027-07-06 is in the cohort's break “Summer break” (2027-07-05 to 2027-07-09)."]
    }


def test_a_date_beyond_the_calendar_is_a_400_not_a_server_error(meeting, staff):
    response = move(staff, meeting, starts_at="9999-12-31T23:30")

    assert response.status_code == 400
    assert response.json() == {"starts_at": ["That date is out of range."]}


def test_a_time_that_double_books_the_mentor_is_refused_even_when_forced(meeting, staff):
    other = MeetingSeriesFactory(cohort=meeting.series.cohort, mentor=meeting.series.mentor, title="Group")
    MeetingFactory(series=other, starts_at=dt.datetime(2027, 3, 9, 15, 30, tzinfo=dt.UTC))

    response = move(staff, meeting, starts_at="2027-03-09T15:00:00Z", force=True, reason="Urgent")

    assert response.status_code == 400
    assert response.json() == {"starts_at": ["That time overlaps “Group” at 2027-03-09 15:30 UTC."]}


def test_a_mentor_cannot_move_a_meeting_to_a_saturday(meeting):
    response = move(meeting.series.mentor.user, meeting, starts_at="2027-03-13T15:00:00Z")

    assert response.status_code == 400
    assert response.json() == {
        "starts_at": [
            "Sat 10:00 in America/New_York is outside Mira's availability.",
            "Sat 10:00 in America/New_York is outside Sam's working days and hours.",
            "Only staff can move it there anyway.",
        ]
    }


def test_a_mentor_cannot_force_a_move(meeting):
    response = move(
        meeting.series.mentor.user, meeting, starts_at="2027-03-13T15:00:00Z", force=True, reason="Busy week"
    )

    assert response.status_code == 400
    assert response.json() == {
        "force": ["Only staff can move a meeting outside someone's availability or working hours."]
    }


def test_staff_are_told_to_force_a_move_after_hours(meeting, staff):
    response = move(staff, meeting, starts_at="2027-03-09T23:00:00Z")

    assert response.status_code == 400
    assert response.json() == {
        "starts_at": [
            "Tue 18:00 in America/New_York is outside Mira's availability.",
            "Tue 18:00 in America/New_York is outside Sam's working days and hours.",
            "Force the move and say why.",
        ]
    }


def test_forcing_a_move_needs_a_reason(meeting, staff):
    response = move(staff, meeting, starts_at="2027-03-09T23:00:00Z", force=True, reason="  ")

    assert response.status_code == 400
    assert response.json() == {"reason": ["Say why the meeting is moved outside the usual hours."]}


def test_staff_force_a_move_after_hours_and_the_reason_is_kept_in_the_notes(meeting, staff):
    response = move(
        staff, meeting, starts_at="2027-03-09T23:00:00Z", force=True, reason="Mira flies out early"
    )

    assert response.status_code == 200, response.json()
    moved = Meeting.objects.get(pk=meeting.pk)
    assert (moved.starts_at, moved.status, moved.version) == (
        dt.datetime(2027, 3, 9, 23, tzinfo=dt.UTC),
        Meeting.Status.MOVED,
        2,
    )
    assert moved.private_notes.endswith(
        f"moved by {staff} although: Tue 18:00 in America/New_York is outside Mira's availability. "
        "Tue 18:00 in America/New_York is outside Sam's working days and hours. Reason: Mira flies out early"
    )
