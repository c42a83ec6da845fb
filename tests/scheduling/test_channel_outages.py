"""A channel whose server is down: staff see it, since when and why; and once it delivers again, the rows that
failed meanwhile and are still worth sending go out."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.dispatch import dispatch_due_notifications, send_claimed_notifications
from scheduling.models import DeliveryAttempt, Notification
from scheduling.selectors import channels_down, last_outage
from tests.integration.servers import free_port, smtp_server
from tests.scheduling.test_dispatch import claim_all, reminder

pytestmark = pytest.mark.django_db

Status = Notification.Status
Outcome = DeliveryAttempt.Outcome
EMAIL = Notification.Channel.EMAIL


def logged(notification, outcome, *, minutes_ago, detail=""):
    """A delivery-log entry of ``notification``, written ``minutes_ago``."""
    attempt = DeliveryAttempt.objects.create(
        notification=notification, channel=notification.channel, recipient="x", outcome=outcome, detail=detail
    )
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        attempted_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


def failed(notification, outcome, *, minutes_ago):
    """``notification`` failed ``minutes_ago``, its last attempt ending in ``outcome``."""
    logged(notification, outcome, minutes_ago=minutes_ago, detail="mail server down")
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.FAILED, updated_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


def test_a_channel_is_down_from_its_first_unreachable_attempt_since_it_last_delivered():
    row = reminder()
    logged(row, Outcome.UNREACHABLE, minutes_ago=50, detail="an outage long over")
    logged(row, Outcome.SENT, minutes_ago=40)
    logged(row, Outcome.UNREACHABLE, minutes_ago=30, detail="mail server smtp:25 unreachable: timed out")
    # A recipient's mailbox being full says nothing about the server.
    logged(row, Outcome.TRANSIENT_ERROR, minutes_ago=20, detail="SMTP 452: mailbox full")
    logged(
        row, Outcome.UNREACHABLE, minutes_ago=10, detail="Not tried: mail server smtp:25 unreachable: refused"
    )

    [down] = channels_down(now=timezone.now())

    assert (down.channel, down.label, down.waiting) == (EMAIL, "Email", 1)
    assert timezone.now() - down.since == pytest.approx(dt.timedelta(minutes=30), abs=dt.timedelta(seconds=5))
    assert down.last_error == "mail server smtp:25 unreachable: refused"
    assert last_outage(EMAIL).recovered_at is None


def test_a_channel_that_delivered_after_its_outage_is_up_and_says_when_the_outage_began_and_ended():
    row = reminder()
    logged(row, Outcome.SENT, minutes_ago=50)
    logged(row, Outcome.UNREACHABLE, minutes_ago=40)
    logged(row, Outcome.UNREACHABLE, minutes_ago=30)
    logged(row, Outcome.SENT, minutes_ago=20)
    logged(row, Outcome.SENT, minutes_ago=10)

    assert channels_down(now=timezone.now()) == ()
    outage = last_outage(EMAIL)
    now = timezone.now()
    assert now - outage.since == pytest.approx(dt.timedelta(minutes=40), abs=dt.timedelta(seconds=5))
    assert now - outage.recovered_at == pytest.approx(dt.timedelta(minutes=20), abs=dt.timedelta(seconds=5))


def test_a_channel_never_down_has_had_no_outage():
    logged(reminder(), Outcome.SENT, minutes_ago=1)

    assert (channels_down(now=timezone.now()), last_outage(EMAIL)) == ((), None)


def test_a_batch_that_finds_the_server_unreachable_shows_the_channel_down(settings):
    reminder()
    reminder()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()

    send_claimed_notifications(claim_all())

    assert set(DeliveryAttempt.objects.values_list("outcome", flat=True)) == {Outcome.UNREACHABLE}
    [down] = channels_down(now=timezone.now())
    assert down.waiting == 2
    assert down.last_error.startswith(f"mail server 127.0.0.1:{settings.EMAIL_PORT} unreachable: ")


def test_once_the_channel_delivers_again_the_rows_that_failed_meanwhile_and_are_worth_it_are_due_again():
    outage_victim = reminder(meeting_in_=dt.timedelta(days=3))
    refused = reminder(meeting_in_=dt.timedelta(days=3))
    started = reminder(meeting_in_=dt.timedelta(minutes=-5))
    failed(outage_victim, Outcome.UNREACHABLE, minutes_ago=30)
    failed(refused, Outcome.PERMANENT_ERROR, minutes_ago=30)
    failed(started, Outcome.UNREACHABLE, minutes_ago=30)
    logged(reminder(), Outcome.SENT, minutes_ago=10)  # the server is back

    report = dispatch_due_notifications(as_of=timezone.now(), enqueue=None)

    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert report.redriven == 1
    assert [statuses[outage_victim.pk], statuses[refused.pk], statuses[started.pk]] == [
        Status.SENDING,  # claimed by the same tick
        Status.FAILED,
        Status.FAILED,
    ]


def test_a_row_recorded_as_failed_after_the_server_came_back_is_still_re_driven():
    row = reminder(meeting_in_=dt.timedelta(days=3))
    # Its batch found the server unreachable 30 minutes ago, another delivered 20 minutes ago, and the batch
    # recorded the row only afterwards.
    failed(row, Outcome.UNREACHABLE, minutes_ago=30)
    logged(reminder(), Outcome.SENT, minutes_ago=20)
    Notification.objects.filter(pk=row.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=5))

    assert dispatch_due_notifications(as_of=timezone.now(), enqueue=None).redriven == 1


def test_a_row_of_one_outage_is_re_driven_though_a_second_one_began():
    row = reminder(meeting_in_=dt.timedelta(days=3))
    failed(row, Outcome.UNREACHABLE, minutes_ago=40)
    logged(reminder(), Outcome.SENT, minutes_ago=30)
    logged(reminder(), Outcome.UNREACHABLE, minutes_ago=20)  # down again, before a tick re-drove the row

    assert dispatch_due_notifications(as_of=timezone.now(), enqueue=None).redriven == 1


def test_a_row_that_failed_before_the_outage_began_is_left_alone():
    row = reminder(meeting_in_=dt.timedelta(days=3))
    failed(row, Outcome.TRANSIENT_ERROR, minutes_ago=60)  # a mailbox full, say, while the server was up
    logged(reminder(), Outcome.UNREACHABLE, minutes_ago=30)
    logged(reminder(), Outcome.SENT, minutes_ago=10)

    assert dispatch_due_notifications(as_of=timezone.now(), enqueue=None).redriven == 0


def test_a_row_that_fails_again_after_the_recovery_waits_for_the_next_one():
    row = reminder(meeting_in_=dt.timedelta(days=3))
    logged(reminder(), Outcome.SENT, minutes_ago=10)  # the channel is up: this row's own failure came later
    logged(row, Outcome.UNREACHABLE, minutes_ago=20)
    failed(row, Outcome.TRANSIENT_ERROR, minutes_ago=5)

    assert dispatch_due_notifications(as_of=timezone.now(), enqueue=None).redriven == 0
    row.refresh_from_db()
    assert row.status == Status.FAILED


def test_a_mail_outage_re_drives_no_slack_row():
    slack = reminder(meeting_in_=dt.timedelta(days=3))
    Notification.objects.filter(pk=slack.pk).update(channel=Notification.Channel.SLACK)
    slack.refresh_from_db()
    email = reminder(meeting_in_=dt.timedelta(days=3))
    logged(email, Outcome.UNREACHABLE, minutes_ago=40)
    failed(slack, Outcome.TRANSIENT_ERROR, minutes_ago=30)
    logged(reminder(), Outcome.SENT, minutes_ago=10)

    assert dispatch_due_notifications(as_of=timezone.now(), enqueue=None).redriven == 0


def test_a_re_driven_row_goes_out_once_the_server_is_back(settings):
    row = reminder(meeting_in_=dt.timedelta(days=3))
    failed(row, Outcome.UNREACHABLE, minutes_ago=30)
    logged(reminder(due_in=dt.timedelta(days=1)), Outcome.SENT, minutes_ago=10)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"

    with smtp_server() as (controller, received):
        settings.EMAIL_PORT = controller.port
        report = dispatch_due_notifications(as_of=timezone.now(), enqueue=None)
        [claim] = report.claims
        outcomes = send_claimed_notifications(claim).outcomes

    assert outcomes[row.pk].status == Status.SENT
    assert received.count == 1
