"""The move service's limits that the API tests do not reach: how hours are read, blackouts, leavers, people's own
limits."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cohort.models import Cohort
from mentors.models import Mentor
from scheduling.models import Meeting
from scheduling.services.meeting_edits import meeting_move
from scholars.models import BusyBlock, CalendarSource, Scholar
from tests.factories import (
    AvailabilityFactory,
    BlackoutFactory,
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)
from tests.meeting_rows import miras_one_on_one_with_sam

pytestmark = pytest.mark.django_db
LONDON = "Europe/London"


@pytest.fixture
def meeting() -> Meeting:
    """Mira's 1-on-1 with Sam on Monday 1 March 2027 at 10:00 London; both work Monday to Friday, 9 to 5."""
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 31))
    return miras_one_on_one_with_sam(
        cohort=cohort, time_zone=LONDON, starts_at=dt.datetime(2027, 3, 1, 10, tzinfo=dt.UTC)
    )


def wall_clock(text: str) -> dt.datetime:
    """A time without a zone: the service reads it in the series' zone."""
    return dt.datetime.fromisoformat(text)


def refusal(**move) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        meeting_move(**move)
    return refused.value.message_dict


def test_back_to_back_availability_counts_as_one_stretch(meeting):
    mentor = meeting.series.mentor
    mentor.availability.filter(weekday=1).delete()
    AvailabilityFactory(mentor=mentor, weekday=1, start_time=dt.time(9), end_time=dt.time(12))
    AvailabilityFactory(mentor=mentor, weekday=1, start_time=dt.time(12), end_time=dt.time(17))

    moved = meeting_move(meeting=meeting, starts_at=wall_clock("2027-03-02 11:30"))

    assert (moved.starts_at, moved.ends_at) == (
        dt.datetime(2027, 3, 2, 11, 30, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 2, 12, 30, tzinfo=dt.UTC),
    )


def test_hours_are_read_in_each_persons_own_zone(meeting):
    # Sam now works 11:00 to 17:00 in New York, which is 16:00 to 22:00 in London that week.
    Scholar.objects.filter(name="Sam").update(time_zone="America/New_York", work_start=dt.time(11))

    assert refusal(meeting=meeting, starts_at=dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)) == {
        "starts_at": [
            "Tue 05:00 in America/New_York is outside Sam's working days and hours.",
            "Only staff can move it there anyway.",
        ]
    }
    moved = meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 3, 2, 16, tzinfo=dt.UTC))
    assert moved.status == Meeting.Status.MOVED


def test_a_meeting_running_past_midnight_is_outside_everyones_day(meeting):
    assert refusal(
        meeting=meeting, starts_at=wall_clock("2027-03-02 16:30"), ends_at=wall_clock("2027-03-03 00:30")
    ) == {
        "starts_at": [
            "Tue 16:30 in Europe/London is outside Mira's availability.",
            "Tue 16:30 in Europe/London is outside Sam's working days and hours.",
            "Only staff can move it there anyway.",
        ]
    }


def test_a_day_someone_is_away_needs_staff_to_force_it(meeting):
    BlackoutFactory(
        mentor=None,
        scholar=meeting.series.scholars.get(),
        start_date=dt.date(2027, 3, 2),
        end_date=dt.date(2027, 3, 3),
        reason="Conference",
    )

    assert refusal(meeting=meeting, starts_at=wall_clock("2027-03-02 10:00"), by_staff=True) == {
        "starts_at": ["Sam is away on 2027-03-02 (Conference).", "Force the move and say why."]
    }
    moved = meeting_move(
        meeting=meeting,
        starts_at=wall_clock("2027-03-02 10:00"),
        by_staff=True,
        force=True,
        reason="Sam asked",
    )
    assert moved.private_notes.endswith("Reason: Sam asked")


def test_a_scholar_who_left_does_not_hold_a_move_back(meeting):
    Scholar.objects.filter(name="Sam").update(status=Scholar.Status.WITHDRAWN, work_days=[0])

    moved = meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC))

    assert moved.starts_at == dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)


def test_an_end_the_clocks_repeat_is_refused(meeting):
    Cohort.objects.filter(pk=meeting.series.cohort_id).update(end_date=dt.date(2027, 10, 31))

    assert refusal(
        meeting=meeting,
        starts_at=wall_clock("2027-10-31 00:30"),
        ends_at=wall_clock("2027-10-31 01:30"),
        by_staff=True,
        force=True,
        reason="Night shift",
    ) == {
        "ends_at": [
            "2027-10-31 01:30 happens twice in Europe/London: the clocks go back that night, so calendars "
            "could show either. Choose another time."
        ]
    }


def test_a_time_against_someones_limits_needs_staff_to_force_it(meeting):
    Scholar.objects.filter(name="Sam").update(
        earliest_meeting_start=dt.time(11), latest_meeting_end=dt.time(16), meeting_free_days=[2]
    )

    assert refusal(meeting=meeting, starts_at=wall_clock("2027-03-02 10:00"), by_staff=True) == {
        "starts_at": [
            "Tue 10:00 in Europe/London: Sam takes no meetings before 11:00.",
            "Force the move and say why.",
        ]
    }
    assert refusal(meeting=meeting, starts_at=wall_clock("2027-03-02 15:30"))["starts_at"][0] == (
        "Tue 15:30 in Europe/London: Sam takes no meetings after 16:00."
    )
    assert refusal(meeting=meeting, starts_at=wall_clock("2027-03-03 12:00"))["starts_at"][0] == (
        "Wed 12:00 in Europe/London: Sam takes no meetings on Wed."
    )
    moved = meeting_move(meeting=meeting, starts_at=wall_clock("2027-03-02 11:00"))
    assert moved.starts_at == dt.datetime(2027, 3, 2, 11, tzinfo=dt.UTC)


def test_a_move_next_to_another_meeting_keeps_the_persons_buffer_and_caps(meeting):
    """Mira has another meeting on Tuesday 9 March 14:00-15:00; she keeps 30 minutes around meetings and has at most
    one a day and 90 minutes a week."""
    mentor = meeting.series.mentor
    other = MeetingFactory(
        series=MeetingSeriesFactory(cohort=meeting.series.cohort, mentor=mentor, title="Group meeting"),
        starts_at=dt.datetime(2027, 3, 9, 14, tzinfo=dt.UTC),
    )
    Mentor.objects.filter(pk=mentor.pk).update(
        meeting_buffer_minutes=30, max_meetings_per_day=1, max_meeting_minutes_per_week=90
    )

    assert refusal(meeting=meeting, starts_at=wall_clock("2027-03-09 12:45")) == {
        "starts_at": [
            "Mira keeps 30 min free around meetings; “Group meeting” is at Tue 14:00.",
            "Mira has 2 meetings on 2027-03-09, above their limit of 1 meeting a day.",
            "Mira has 120 minutes in the week of 2027-03-08, above their limit of 1 h 30 min of meetings a week.",
            "Only staff can move it there anyway.",
        ]
    }
    assert refusal(meeting=meeting, starts_at=wall_clock("2027-03-10 10:00"))["starts_at"] == [
        "Mira has 120 minutes in the week of 2027-03-08, above their limit of 1 h 30 min of meetings a week.",
        "Only staff can move it there anyway.",
    ]
    # A week already over the cap is not this move's doing when the meeting stays in it.
    MeetingFactory(series=other.series, starts_at=dt.datetime(2027, 3, 4, 14, tzinfo=dt.UTC))
    MeetingFactory(series=other.series, starts_at=dt.datetime(2027, 3, 5, 14, tzinfo=dt.UTC))
    moved = meeting_move(meeting=meeting, starts_at=wall_clock("2027-03-03 10:00"))
    assert moved.starts_at == dt.datetime(2027, 3, 3, 10, tzinfo=dt.UTC)
    # A cancelled meeting holds no time.
    other.status = Meeting.Status.CANCELLED
    other.save()
    moved = meeting_move(meeting=meeting, starts_at=wall_clock("2027-03-09 13:00"))
    assert moved.starts_at == dt.datetime(2027, 3, 9, 13, tzinfo=dt.UTC)


def test_a_move_near_a_busy_time_keeps_the_persons_buffer(meeting):
    mentor = meeting.series.mentor
    Mentor.objects.filter(pk=mentor.pk).update(meeting_buffer_minutes=30)
    source = CalendarSource.objects.create(
        mentor=mentor, url_encrypted="-", url_hint="calendar.example.org/…"
    )
    BusyBlock.objects.create(
        source=source,
        starts_at=dt.datetime(2027, 3, 2, 11, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 2, 12, tzinfo=dt.UTC),
    )

    assert refusal(meeting=meeting, starts_at=wall_clock("2027-03-02 12:15"))["starts_at"] == [
        "Mira's own calendar shows them busy 11:00–12:00, within their 30 min buffer.",
        "Only staff can move it there anyway.",
    ]
    assert refusal(meeting=meeting, starts_at=wall_clock("2027-03-02 11:30"))["starts_at"][0] == (
        "Mira's own calendar shows them busy 11:00–12:00."
    )
    moved = meeting_move(meeting=meeting, starts_at=wall_clock("2027-03-02 12:30"))
    assert moved.starts_at == dt.datetime(2027, 3, 2, 12, 30, tzinfo=dt.UTC)
