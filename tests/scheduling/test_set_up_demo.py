"""`manage.py set_up_demo`, the demo's set-up in one process, ends with commands to see the demo's mail at once,
their instants taken from the demo cohort's own meetings and prompts, never fixed dates."""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from scheduling.models import Meeting, Notification
from scheduling.notifications.messages import recipient_address

pytestmark = pytest.mark.django_db

AS_OF = re.compile(r"send_due_notifications --as-of (\S+)")


@pytest.fixture
def printed(settings, tmp_path) -> str:
    settings.VAR_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    out = io.StringIO()
    call_command("set_up_demo", stdout=out)
    return out.getvalue()


def test_set_up_plans_the_demo_and_prints_the_first_meeting_and_prompt_ahead_as_instants(printed):
    now = timezone.now()
    first_meeting = Meeting.objects.filter(starts_at__gt=now).order_by("starts_at", "pk").first()
    first_prompt = (
        Notification.objects.filter(kind=Notification.Kind.CHECKIN_PROMPT, due_at__gt=now)
        .order_by("due_at")
        .first()
    )

    assert "(OPTIMAL, " in printed
    assert "Plan #1 applied." in printed
    instants = [dt.datetime.fromisoformat(value) for value in AS_OF.findall(printed)]
    assert instants == [first_meeting.starts_at - dt.timedelta(minutes=5), first_prompt.due_at]
    assert f"the reminders of the first meeting ahead, {first_meeting.series.title}" in printed


def test_the_printed_instant_sends_the_reminders_of_the_first_meeting_ahead(printed):
    just_before = AS_OF.findall(printed)[0]

    call_command("send_due_notifications", "--as-of", just_before, stdout=io.StringIO())

    starts_at = dt.datetime.fromisoformat(just_before) + dt.timedelta(minutes=5)
    reminders = Notification.objects.filter(meeting__starts_at=starts_at, kind=Notification.Kind.REMINDER)
    assert reminders.count() >= 2  # the mentor's and the scholar's at least
    assert set(reminders.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert {recipient_address(reminder) for reminder in reminders} <= {m.to[0] for m in mail.outbox}
