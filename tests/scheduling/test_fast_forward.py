"""``send_due_notifications --as-of``: each run does what the beat tick would do at its instant and judges every
row by that instant, so an instant run twice, a later one or an earlier one never sends what another run settled.

The scenario: three weekly 1-on-1s on Wednesdays at 10:00 UTC, starting next week, written as the real clock
reads now. The scholar is asked for a check-in on each Tuesday at 09:00 and writes none.
"""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cohort.dates import monday_of
from scheduling.models import Meeting, Notification
from scheduling.notifications.reminders import sync_meeting_notifications
from tests.factories import (
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)

pytestmark = pytest.mark.django_db

MISSED = "Check-ins missed: "


@pytest.fixture
def weeks(settings) -> list[dt.date]:
    """The Mondays of the scenario's three weeks, its meetings and notifications written."""
    settings.STAFF_ALERT_EMAILS = ["staff@cohortops.test"]
    first = monday_of(timezone.now().date()) + dt.timedelta(weeks=1)
    mondays = [first + dt.timedelta(weeks=week) for week in range(3)]
    cohort = CohortFactory(start_date=first, end_date=mondays[-1] + dt.timedelta(days=4), time_zone="UTC")
    scholar = ScholarFactory(cohort=cohort, time_zone="UTC")
    mentor = MentorFactory(time_zone="UTC", email="mentor@cohortops.test")
    MentorshipFactory(mentor=mentor, scholar=scholar)
    series = MeetingSeriesFactory(mentor=mentor, cohort=cohort, scholars=[scholar], time_zone="UTC")
    meetings = [MeetingFactory(series=series, starts_at=at(monday, 2, 10)) for monday in mondays]
    sync_meeting_notifications(meetings=meetings)
    return mondays


def at(monday: dt.date, weekday: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(monday + dt.timedelta(days=weekday), dt.time(hour), tzinfo=dt.UTC)


def fast_forward(instant: dt.datetime) -> tuple[str, list]:
    """Run the command at ``instant``: what it printed and the mails it sent."""
    out = io.StringIO()
    already = len(mail.outbox)
    call_command("send_due_notifications", "--as-of", instant.isoformat(), stdout=out)
    return out.getvalue(), mail.outbox[already:]


def test_running_one_instant_twice_sends_nothing_the_second_time(weeks):
    third_tuesday_noon = at(weeks[2], 1, 12)
    _, first = fast_forward(third_tuesday_noon)

    printed, second = fast_forward(third_tuesday_noon)

    assert second == []
    assert printed.endswith("wrote 0 digests/escalations; claimed 0: nothing.\n")
    # The first run asked only for the week still open; the two weeks already over are not asked for, so are
    # not missed.
    assert [m.subject for m in first if m.subject.startswith("Your check-in")] == [
        f"Your check-in for the week of Monday {weeks[2].day} {weeks[2]:%B %Y}"
    ]
    assert Notification.objects.filter(kind=Notification.Kind.ESCALATION).count() == 0


def test_a_later_instant_sends_nothing_about_what_an_earlier_run_settled(weeks):
    fast_forward(at(weeks[2], 1, 12))
    fourth_monday_early = at(weeks[2], 7, 6)  # the third week is over; its digest is not due before 08:00

    printed, sent = fast_forward(fourth_monday_early)

    # The 15-minute reminders of the third meeting came due in between and are too late at this instant; its
    # feedback requests, due after it ended, are not.
    assert "claimed 4: 2 sent, 2 skipped." in printed
    assert [m.subject.startswith("How was it? ") for m in sent] == [True, True]


def test_an_earlier_instant_after_a_later_one_sends_nothing_new(weeks):
    fast_forward(at(weeks[2], 1, 12))
    third_monday = at(weeks[2], 0, 9)  # the first two weeks are over

    printed, sent = fast_forward(third_monday)

    assert printed.endswith("wrote 0 digests/escalations; claimed 0: nothing.\n")
    assert sent == []


def test_fast_forwarding_week_by_week_tells_of_two_missed_check_ins_once(weeks):
    fast_forward(at(weeks[0], 1, 12))
    fast_forward(at(weeks[1], 1, 12))
    _, third_monday = fast_forward(at(weeks[2], 0, 9))
    _, again = fast_forward(at(weeks[2], 0, 9))

    told = [m for m in third_monday if m.subject.startswith(MISSED)]
    assert sorted(m.to[0] for m in told) == ["mentor@cohortops.test", "staff@cohortops.test"]
    assert again == []


def test_a_reminder_sent_at_a_fast_forwarded_instant_says_the_time_left_then(weeks):
    meeting = Meeting.objects.order_by("starts_at").first()
    three_hours_ten_before = meeting.starts_at - dt.timedelta(hours=3, minutes=10)

    _, sent = fast_forward(three_hours_ten_before)

    reminders = [m for m in sent if m.subject.startswith("Reminder: ")]
    assert len(reminders) == 2
    assert all("Your meeting starts in 3 hours 10 minutes." in m.body for m in reminders)
