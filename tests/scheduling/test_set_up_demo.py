"""`manage.py set_up_demo`, the demo's set-up in one process, ends with commands to see the demo's mail at once,
their instants taken from the demo cohort's own meetings and prompts, never fixed dates."""

import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cohort.dates import monday_of
from cohort.models import Cohort
from mentors.models import Mentor
from scheduling.management.commands.set_up_demo import LEEWAY
from scheduling.models import HealthFinding, Meeting, MeetingSeries, Notification
from scheduling.notifications.messages import recipient_address
from scheduling.selectors import PLANNED
from scholars.busy_calendar import busy_intervals
from scholars.demo import DEMO_SLUG, HISTORY_WEEKS
from scholars.models import BusyBlock
from tests.integration.servers import CalendarRoute, calendar_server

pytestmark = pytest.mark.django_db

AS_OF = re.compile(r"send_due_notifications --as-of (\S+)")


@dataclass(frozen=True)
class SetUp:
    printed: str
    began: dt.datetime
    ended: dt.datetime


@pytest.fixture
def set_up(settings, tmp_path) -> SetUp:
    settings.VAR_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    out = io.StringIO()
    began = timezone.now()
    call_command("set_up_demo", stdout=out)
    return SetUp(out.getvalue(), began, timezone.now())


def test_set_up_plans_the_demo_and_prints_the_first_meeting_and_prompt_ahead_as_instants(set_up):
    # The command looks half an hour past its own clock, which read between began and ended.
    earliest, latest = set_up.began + LEEWAY, set_up.ended + LEEWAY
    meeting_instant, prompt_instant = (dt.datetime.fromisoformat(v) for v in AS_OF.findall(set_up.printed))
    first_start = meeting_instant + dt.timedelta(minutes=5)

    assert "(OPTIMAL, " in set_up.printed
    assert re.search(r"Plan #\d+ applied\.", set_up.printed)
    first_meetings = Meeting.objects.filter(starts_at=first_start, status__in=PLANNED)
    assert first_start > earliest
    planned = Meeting.objects.filter(status__in=PLANNED)
    assert not planned.filter(starts_at__gt=latest, starts_at__lt=first_start).exists()
    assert any(
        f"the reminders of the first meeting ahead, {meeting.series.title}" in set_up.printed
        for meeting in first_meetings
    )
    prompts = Notification.objects.filter(kind=Notification.Kind.CHECKIN_PROMPT)
    assert prompt_instant > earliest
    assert prompts.filter(due_at=prompt_instant).exists()
    assert not prompts.filter(due_at__gt=latest, due_at__lt=prompt_instant).exists()


def test_the_printed_instant_sends_the_reminders_of_the_first_meeting_ahead(set_up):
    just_before = AS_OF.findall(set_up.printed)[0]

    call_command("send_due_notifications", "--as-of", just_before, stdout=io.StringIO())

    starts_at = dt.datetime.fromisoformat(just_before) + dt.timedelta(minutes=5)
    reminders = Notification.objects.filter(meeting__starts_at=starts_at, kind=Notification.Kind.REMINDER)
    assert reminders.count() >= 2  # the mentor's and the scholar's at least
    assert set(reminders.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert {recipient_address(reminder) for reminder in reminders} <= {m.to[0] for m in mail.outbox}


def test_the_demo_has_weeks_behind_it_and_one_pair_behind_its_cadence_found_once(set_up):
    cohort = Cohort.objects.get(slug=DEMO_SLUG)
    today = timezone.localdate()
    past = Meeting.objects.filter(series__cohort=cohort, starts_at__date__lt=today)

    assert cohort.start_date == monday_of(today) - dt.timedelta(weeks=HISTORY_WEEKS)
    assert (
        past.filter(status=Meeting.Status.HELD).count()
        > past.filter(status=Meeting.Status.MISSED).count()
        > 0
    )
    assert not past.filter(status__in=PLANNED).exists()
    missed = MeetingSeries.objects.filter(meetings__status=Meeting.Status.MISSED).distinct()
    [(title, mentor, scholar)] = set(missed.values_list("title", "mentor", "scholars"))
    assert f"{title} is behind its cadence" in set_up.printed
    [finding] = HealthFinding.objects.filter(cohort=cohort)
    assert (finding.rule, finding.mentor_id, finding.scholar_id) == ("behind_cadence", mentor, scholar)

    # Set up again: the history is written once, and the finding is neither opened nor told again.
    notices = Notification.objects.filter(kind=Notification.Kind.HEALTH_FINDING).count()
    call_command("set_up_demo", stdout=io.StringIO())
    assert HealthFinding.objects.filter(cohort=cohort).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.HEALTH_FINDING).count() == notices > 0


def _overlapping(meetings, intervals) -> list:
    return [
        m for m in meetings for busy in intervals if m.starts_at < busy.ends_at and busy.starts_at < m.ends_at
    ]


def test_the_demo_plan_works_around_the_mentors_own_calendar(settings, tmp_path, monkeypatch, set_up):
    """Planned without a calendar (``set_up``), the demo's first mentor meets in hours their calendar shows busy;
    with it served on this machine and read through the real fetch path, not one of their meetings does."""
    seed = (settings.BASE_DIR / "seeds" / "calendars" / "mentor-busy.ics").read_bytes()
    mentor = (
        Mentor.objects.filter(mentorships__scholar__cohort__slug=DEMO_SLUG).distinct().order_by("slug")[0]
    )
    now = timezone.now()
    busy = busy_intervals(
        seed, time_zone=mentor.time_zone, owner_emails=[], start=now, end=now + dt.timedelta(days=365)
    )
    theirs = Meeting.objects.filter(series__mentor=mentor, status__in=PLANNED, starts_at__gt=now)
    assert _overlapping(theirs, busy), "without the calendar the plan should meet in its busy hours"
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    with calendar_server() as host:
        host.routes["/mentor-busy.ics"] = CalendarRoute(body=seed)
        monkeypatch.setenv("COHORTOPS_DEMO_CALENDAR_URL", host.url("/mentor-busy.ics"))
        out = io.StringIO()
        call_command("set_up_demo", stdout=out)

    assert re.search(
        rf"{re.escape(mentor.name)}: \d+ busy times ahead, read from 127\.0\.0\.1/…/mentor-busy\.ics",
        out.getvalue(),
    )
    stored = list(BusyBlock.objects.filter(source__mentor=mentor))
    assert len(stored) >= len(
        [interval for interval in busy if interval.starts_at > now + dt.timedelta(days=1)]
    )
    theirs = Meeting.objects.filter(series__mentor=mentor, status__in=PLANNED, starts_at__gt=timezone.now())
    assert theirs.exists()
    assert _overlapping(theirs, stored) == []
