import datetime as dt
import io
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cohort.dates import monday_of
from cohort.project.celery import app
from scheduling.channels import deliver
from scheduling.dispatch import (
    Claim,
    SendOutcome,
    SendReport,
    claim_notifications,
    dispatch_due_notifications,
    due_notifications,
    send_claimed_notifications,
)
from scheduling.models import DeliveryAttempt, Meeting, Notification
from scheduling.notifications.messages import compose_message, message_id_for
from scheduling.notifications.oversight import write_periodic_notifications
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.notifications.rows import person_channels
from scheduling.tasks import PERIODIC_TASKS, setup_periodic_tasks
from tests.factories import (
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)
from tests.integration.servers import free_port, smtp_server, webhook_server

pytestmark = pytest.mark.django_db

Status = Notification.Status


def meeting_in(delta, **scholar_fields):
    scholar = ScholarFactory(**scholar_fields)
    mentor = MentorFactory()
    MentorshipFactory(mentor=mentor, scholar=scholar)
    series = MeetingSeriesFactory(mentor=mentor, cohort=scholar.cohort, scholars=[scholar])
    return MeetingFactory(series=series, starts_at=timezone.now() + delta)


def reminder(*, due_in=dt.timedelta(minutes=-1), meeting_in_=dt.timedelta(hours=1), **scholar_fields):
    """A pending 15-minute-style reminder to a scholar, due ``due_in`` from now."""
    meeting = meeting_in(meeting_in_, **scholar_fields)
    scholar = meeting.series.scholars.get()
    return Notification.objects.create(
        kind=Notification.Kind.REMINDER,
        dedupe_key=f"reminder:meeting={meeting.pk}:v=1:scholar={scholar.pk}:email:offset=15",
        due_at=timezone.now() + due_in,
        meeting=meeting,
        meeting_version=1,
        recipient_scholar=scholar,
        payload={"offset_minutes": 15},
    )


def claim_all() -> Claim:
    return claim_notifications(due_notifications(as_of=timezone.now()), limit=100, now=timezone.now())


def send(claim: Claim) -> SendOutcome:
    """Send a claim of one row: that row's outcome."""
    [outcome] = send_claimed_notifications(claim).outcomes.values()
    return outcome


def test_claiming_takes_due_pending_rows_and_leaves_future_ones():
    due = reminder()
    later = reminder(due_in=dt.timedelta(hours=1), meeting_in_=dt.timedelta(hours=3))

    claim = claim_all()

    assert claim.notification_ids == (due.pk,)
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, due.claimed_at.isoformat()) == ("sending", claim.token)
    assert later.status == "pending"


def test_a_claimed_row_is_not_claimed_again():
    reminder()
    claim_all()

    assert claim_all().notification_ids == ()


def test_sending_delivers_once_marks_sent_and_logs_the_attempt():
    notification = reminder()
    claim = claim_all()

    outcome = send(claim)

    assert outcome.status == "sent"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 1, "")
    [sent] = mail.outbox
    assert sent.to == [notification.recipient_scholar.email]
    assert sent.extra_headers["Message-ID"] == message_id_for(notification.dedupe_key)
    assert list(DeliveryAttempt.objects.values_list("outcome", "recipient")) == [
        ("sent", notification.recipient_scholar.email)
    ]


def test_a_redelivered_task_for_a_sent_row_does_nothing():
    reminder()
    claim = claim_all()
    send(claim)

    outcome = send(claim)

    assert outcome.status == "not_claimed"
    assert len(mail.outbox) == 1


def test_a_stale_copy_of_the_task_does_nothing_while_another_claim_holds_the_row():
    reminder()
    first = claim_all()
    stale = Claim((timezone.now() - dt.timedelta(seconds=5)).isoformat(), first.notification_ids)

    assert send(stale).status == "not_claimed"
    assert send(first).status == "sent"
    assert len(mail.outbox) == 1


def test_an_overdue_reminder_is_still_sent_when_its_meeting_has_not_started():
    reminder(due_in=dt.timedelta(hours=-3), meeting_in_=dt.timedelta(minutes=5))
    claim = claim_all()

    assert send(claim).status == "sent"


def test_a_late_reminder_says_the_time_really_left_not_its_offset():
    reminder(due_in=dt.timedelta(minutes=-10), meeting_in_=dt.timedelta(minutes=5))
    claim = claim_all()

    send(claim)

    [sent] = mail.outbox
    assert "Your meeting starts in 5 minutes." in sent.body


def test_an_overdue_reminder_of_a_meeting_that_has_started_is_skipped_with_the_reason():
    notification = reminder(due_in=dt.timedelta(hours=-3), meeting_in_=dt.timedelta(minutes=-5))
    claim = claim_all()

    outcome = send(claim)

    notification.refresh_from_db()
    assert (notification.status, outcome.status) == ("skipped", "skipped")
    assert notification.last_error.startswith("Not sent: the meeting had started at ")
    assert mail.outbox == []


def test_a_reminder_of_an_older_meeting_version_is_superseded_at_send_time():
    notification = reminder()
    Meeting.objects.filter(pk=notification.meeting_id).update(version=2, status=Meeting.Status.MOVED)
    claim = claim_all()

    assert send(claim).status == "superseded"
    assert mail.outbox == []


def test_a_reminder_to_a_scholar_who_withdrew_is_skipped():
    notification = reminder()
    notification.recipient_scholar.status = "withdrawn"
    notification.recipient_scholar.save()
    claim = claim_all()

    assert send(claim).status == "skipped"


def test_prompts_for_weeks_over_before_the_worker_sends_them_are_skipped_and_never_count_as_missed(settings):
    """After an outage: asked for a check-in only once its week had ended, the scholar had no time to write one."""
    settings.STAFF_ALERT_EMAILS = ["staff@cohortops.test"]
    scholar = ScholarFactory(time_zone="UTC")
    this_monday = monday_of(timezone.now().date())
    for weeks_ago in (3, 2):
        week = this_monday - dt.timedelta(weeks=weeks_ago)
        Notification.objects.create(
            kind=Notification.Kind.CHECKIN_PROMPT,
            dedupe_key=f"checkin_prompt:scholar={scholar.pk}:week={week.isoformat()}:email",
            due_at=dt.datetime.combine(week + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC),
            recipient_scholar=scholar,
            payload={"week_start": week.isoformat()},
        )

    # What the beat's two ticks do at one instant: send what is due, then write the escalations.
    outcomes = list(send_claimed_notifications(claim_all()).outcomes.values())
    write_periodic_notifications(as_of=timezone.now())

    assert [o.status for o in outcomes] == ["skipped", "skipped"]
    assert outcomes[0].detail.startswith(
        f"Not sent: the week of {this_monday - dt.timedelta(weeks=3)} had ended"
    )
    assert mail.outbox == []
    assert not Notification.objects.filter(kind=Notification.Kind.ESCALATION).exists()


def claimed_reminders(count: int) -> tuple[list[Notification], Claim]:
    reminders = [reminder() for _ in range(count)]
    return reminders, claim_all()


def queries_to_send(claim: Claim) -> int:
    with CaptureQueriesContext(connection) as queries:
        send_claimed_notifications(claim)
    return sum(1 for query in queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))


def test_a_batch_costs_fixed_queries_plus_one_update_per_row_sent():
    _, two = claimed_reminders(2)
    _, six = claimed_reminders(6)
    # Each row sent is checked just before delivery (still ours, its meeting unchanged) and marked sent at once;
    # SQLite, with no row locks, also starts each row's attempt alone.
    per_row = 2 if connection.features.has_select_for_update_skip_locked else 3

    assert queries_to_send(six) - queries_to_send(two) == 4 * per_row
    assert Notification.objects.filter(status=Status.SENT).count() == 8
    assert DeliveryAttempt.objects.filter(outcome="sent").count() == 8
    assert len(mail.outbox) == 8


def test_a_batch_records_each_rows_own_outcome_and_reason():
    sent, superseded, withdrawn, started = (reminder() for _ in range(4))
    too_late = reminder(due_in=dt.timedelta(hours=-3), meeting_in_=dt.timedelta(minutes=-5))
    Meeting.objects.filter(pk=superseded.meeting_id).update(version=2, status=Meeting.Status.MOVED)
    withdrawn.recipient_scholar.status = "withdrawn"
    withdrawn.recipient_scholar.save()
    claim = claim_all()
    send(claim_notifications(Notification.objects.filter(pk=started.pk), limit=1, now=timezone.now()))

    report = send_claimed_notifications(claim)

    assert {pk: o.status for pk, o in report.outcomes.items()} == {
        sent.pk: "sent",
        superseded.pk: "superseded",
        withdrawn.pk: "skipped",
        too_late.pk: "skipped",
        started.pk: "not_claimed",
    }
    rows = {n.pk: n for n in Notification.objects.all()}
    assert (rows[sent.pk].status, rows[sent.pk].last_error, rows[sent.pk].attempts) == ("sent", "", 1)
    assert rows[superseded.pk].last_error == "The meeting changed (now version 2, moved)."
    assert rows[withdrawn.pk].last_error == "Not sent: the scholar is withdrawn."
    assert rows[too_late.pk].last_error.startswith("Not sent: the meeting had started at ")
    assert rows[started.pk].attempts == 1
    assert sorted(DeliveryAttempt.objects.values_list("notification_id", flat=True)) == [sent.pk, started.pk]
    assert report.requeue is None


def test_a_tick_enqueues_its_claims_in_send_batches_under_one_token(django_capture_on_commit_callbacks):
    reminders = [reminder() for _ in range(5)]
    enqueued = []

    with django_capture_on_commit_callbacks(execute=True):
        report = dispatch_due_notifications(as_of=timezone.now(), enqueue=enqueued.append, send_batch_size=2)

    assert [len(claim.notification_ids) for claim in enqueued] == [2, 2, 1]
    assert len({claim.token for claim in enqueued}) == 1
    assert sorted(pk for claim in enqueued for pk in claim.notification_ids) == [r.pk for r in reminders]
    assert (report.claimed, report.enqueued, report.claims) == (5, 5, enqueued)


def test_a_batch_out_of_time_sends_one_row_and_hands_the_rest_back_untried(monkeypatch):
    # No time at all: the batch still sends its first row, so it always makes progress.
    monkeypatch.setattr("scheduling.dispatch.BATCH_DELIVERY_SECONDS", 0)
    first, *rest = (reminder() for _ in range(3))
    claim = claim_all()

    report = send_claimed_notifications(claim)

    assert list(report.outcomes) == [first.pk]
    requeue = report.requeue
    assert sorted(requeue.notification_ids) == sorted(r.pk for r in rest)
    back = Notification.objects.filter(pk__in=requeue.notification_ids)
    assert {(n.status, n.claimed_at.isoformat(), n.attempts) for n in back} == {("sending", requeue.token, 0)}
    assert all(n.lease_expires_at > timezone.now() for n in back)

    monkeypatch.setattr("scheduling.dispatch.BATCH_DELIVERY_SECONDS", 30)
    assert [o.status for o in send_claimed_notifications(requeue).outcomes.values()] == ["sent", "sent"]
    assert len(mail.outbox) == 3


def test_what_a_batch_delivered_before_its_time_limit_struck_is_recorded(monkeypatch):
    """Celery's soft time limit raises inside the task: the rows already delivered must not go out again."""
    delivered, struck, unreached = (reminder() for _ in range(3))
    claim = claim_all()
    calls = []

    def deliver_then_time_out(message):
        calls.append(message)
        if len(calls) == 2:
            raise SoftTimeLimitExceeded()
        deliver(message)

    monkeypatch.setattr("scheduling.dispatch.deliver", deliver_then_time_out)
    with pytest.raises(SoftTimeLimitExceeded):
        send_claimed_notifications(claim)

    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses == {delivered.pk: "sent", struck.pk: "sending", unreached.pk: "sending"}
    assert list(DeliveryAttempt.objects.values_list("notification_id", flat=True)) == [delivered.pk]
    assert len(mail.outbox) == 1


def test_a_mail_the_backend_refuses_outright_fails_alone_and_the_rows_after_it_go_out(settings):
    before, malformed, after = (reminder() for _ in range(3))
    # Django's SMTP backend refuses an address it cannot parse with a ValueError, before the server sees it.
    malformed.recipient_scholar.email = "ada@"
    malformed.recipient_scholar.save()
    claim = claim_all()
    with smtp_server() as (controller, received):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port

        report = send_claimed_notifications(claim)

    assert {pk: o.status for pk, o in report.outcomes.items()} == {
        before.pk: "sent",
        malformed.pk: "failed",
        after.pk: "sent",
    }
    assert report.outcomes[malformed.pk].detail.startswith("Could not deliver the message: ValueError: ")
    assert received.count == 2
    assert DeliveryAttempt.objects.get(notification=malformed).outcome == "permanent_error"


def test_a_mail_delivered_after_its_lease_ran_out_is_still_marked_sent_so_no_one_sends_it_again(monkeypatch):
    notification = reminder()
    claim = claim_all()
    taken_over = []

    def deliver_while_the_sweeper_takes_over(message):
        deliver(message)
        taken_over.append(
            claim_notifications(Notification.objects.filter(pk=notification.pk), limit=1, now=timezone.now())
        )

    monkeypatch.setattr("scheduling.dispatch.deliver", deliver_while_the_sweeper_takes_over)
    assert send(claim).status == "sent"
    monkeypatch.undo()

    notification.refresh_from_db()
    assert notification.status == "sent"
    assert send(taken_over[0]).status == "not_claimed"
    assert len(mail.outbox) == 1


def test_a_row_that_cannot_be_judged_fails_alone_and_the_rows_after_it_go_out():
    sent_before, broken, sent_after = (reminder() for _ in range(3))
    # A prompt whose week cannot be read: judging it raises.
    Notification.objects.filter(pk=broken.pk).update(
        kind=Notification.Kind.CHECKIN_PROMPT, payload={"week_start": "not a date"}
    )
    claim = claim_all()

    report = send_claimed_notifications(claim)

    assert {pk: o.status for pk, o in report.outcomes.items()} == {
        sent_before.pk: "sent",
        broken.pk: "failed",
        sent_after.pk: "sent",
    }
    broken.refresh_from_db()
    assert broken.last_error.startswith("Could not compose the message: ValueError: ")
    # Logged as failed for good, so no re-drive after an outage takes it for a transient failure.
    assert DeliveryAttempt.objects.get(notification=broken).outcome == "permanent_error"
    assert len(mail.outbox) == 2


@pytest.fixture
def dead_smtp(settings) -> None:
    """Mail goes to a local port nobody listens on: every send fails to connect, a transient failure."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2


def only(report: SendReport) -> SendOutcome:
    [outcome] = report.outcomes.values()
    return outcome


def test_a_transient_failure_puts_the_row_back_with_a_jittered_exponential_backoff(settings, dead_smtp):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    notification = reminder()

    first = timezone.now()
    assert only(send_claimed_notifications(claim_all())).status == "pending"
    notification.refresh_from_db()
    assert (notification.status, notification.lease_expires_at) == ("pending", None)
    assert (
        first + dt.timedelta(seconds=15) <= notification.retry_at <= timezone.now() + dt.timedelta(seconds=30)
    )
    assert "ConnectionRefusedError" in notification.last_error
    # Not due again until its retry is: the tick leaves it alone till then.
    assert not due_notifications(as_of=timezone.now()).exists()

    second = timezone.now()
    retry = claim_notifications(
        due_notifications(as_of=second, now=notification.retry_at), limit=1, now=second
    )
    assert only(send_claimed_notifications(retry)).status == "pending"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 2)
    assert (
        second + dt.timedelta(seconds=30)
        <= notification.retry_at
        <= timezone.now() + dt.timedelta(seconds=60)
    )
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == ["unreachable"] * 2


def test_rows_failing_together_come_back_spread_over_their_backoff(settings, dead_smtp):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    for _ in range(20):
        reminder()

    send_claimed_notifications(claim_all())

    retries = sorted(Notification.objects.values_list("retry_at", flat=True))
    # Drawn between 30 and 60 s after the attempt: twenty rows all landing within one second is not spread.
    assert retries[-1] - retries[0] > dt.timedelta(seconds=1)


def test_the_backoff_stops_growing_at_its_maximum(settings, dead_smtp):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 100
    notification = reminder()
    # The seventh attempt's backoff would be 30 × 2⁶ s = 32 minutes.
    Notification.objects.filter(pk=notification.pk).update(attempts=6)

    start = timezone.now()
    assert only(send_claimed_notifications(claim_all())).status == "pending"

    notification.refresh_from_db()
    assert (
        start + dt.timedelta(seconds=50)
        <= notification.retry_at
        <= timezone.now() + dt.timedelta(seconds=100)
    )


def test_a_transient_failure_is_final_only_once_its_retry_would_come_too_long_after_it_fell_due(
    settings, dead_smtp
):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_FOR_SECONDS = 20 * 60
    notification = reminder(due_in=dt.timedelta(minutes=-19, seconds=-50))

    outcome = only(send_claimed_notifications(claim_all()))

    notification.refresh_from_db()
    assert (outcome.status, notification.status, notification.retry_at) == ("failed", "failed", None)
    assert notification.last_error.startswith("Gave up at attempt 1: mail server 127.0.0.1:")


def test_a_reminder_retried_through_an_outage_is_skipped_not_failed_once_its_meeting_starts(
    settings, dead_smtp
):
    notification = reminder(meeting_in_=dt.timedelta(minutes=1))
    assert only(send_claimed_notifications(claim_all())).status == "pending"
    notification.refresh_from_db()

    # The retry falls due after the meeting started.
    later = notification.meeting.starts_at + dt.timedelta(seconds=1)
    retry = claim_notifications(due_notifications(as_of=later, now=later), limit=1, now=timezone.now())
    outcome = send_claimed_notifications(retry, as_of=later).outcomes[notification.pk]

    assert outcome.status == "skipped"
    assert outcome.detail.startswith("Not sent: the meeting had started at ")


def test_once_the_mail_server_proves_unreachable_the_batch_puts_off_its_other_mails_untried(dead_smtp):
    first, second, third = (reminder() for _ in range(3))

    report = send_claimed_notifications(claim_all())

    assert {o.status for o in report.outcomes.values()} == {"pending"}
    # The mails put off are logged at the verdict's time: a delivery elsewhere meanwhile ends the outage.
    assert DeliveryAttempt.objects.values("attempted_at").distinct().count() == 1
    details = dict(DeliveryAttempt.objects.values_list("notification_id", "detail"))
    assert details[first.pk].startswith("mail server 127.0.0.1:")
    assert "ConnectionRefusedError" in details[first.pk]
    assert details[second.pk] == details[third.pk] == f"Not tried: {details[first.pk]}"


def test_the_sweeper_enqueues_again_under_their_own_claim_the_rows_whose_lease_ran_out():
    stuck, from_before_leases, live = (reminder() for _ in range(3))
    claimed_at = timezone.now() - dt.timedelta(minutes=2)
    Notification.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING,
        claimed_at=claimed_at,
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    Notification.objects.filter(pk=from_before_leases.pk).update(status=Status.SENDING, claimed_at=claimed_at)
    Notification.objects.filter(pk=live.pk).update(
        status=Status.SENDING,
        claimed_at=claimed_at,
        lease_expires_at=timezone.now() + dt.timedelta(seconds=30),
    )
    enqueued = []

    report = dispatch_due_notifications(as_of=timezone.now(), enqueue=enqueued.append)

    assert (report.reclaimed, report.claimed) == (2, 0)
    [claim] = report.claims
    assert (claim.token, sorted(claim.notification_ids)) == (
        claimed_at.isoformat(),
        sorted([stuck.pk, from_before_leases.pk]),
    )
    renewed = Notification.objects.filter(pk__in=claim.notification_ids)
    assert all(n.lease_expires_at > timezone.now() for n in renewed)
    # Under the same claim, the lost task, were it only late, and the new one are one: the first to run sends.
    assert {o.status for o in send_claimed_notifications(claim).outcomes.values()} == {"sent"}
    assert {o.status for o in send_claimed_notifications(claim).outcomes.values()} == {"not_claimed"}
    assert len(mail.outbox) == 2


def test_a_running_batch_keeps_the_lease_of_the_rows_it_has_not_reached_or_not_yet_recorded(
    settings, monkeypatch
):
    settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS = 4
    # The first row is skipped: decided at once, recorded only when the batch ends.
    rows = [reminder(due_in=dt.timedelta(minutes=-2), status="withdrawn"), *(reminder() for _ in range(3))]
    claim = claim_all()
    # A quick delivery, then one nearly three quarters of the lease (the most a delivery may take): 4.4 s in all,
    # beyond the 4 s the attempt started with.
    seconds = iter([1.5, 2.9, 0])
    lost_while_sending = []

    def slow_deliver(message):
        time.sleep(next(seconds))
        deliver(message)
        lost = Notification.objects.filter(pk__in=[r.pk for r in rows], status=Status.SENDING)
        lost_while_sending.append(
            set(lost.filter(lease_expires_at__lt=timezone.now()).values_list("pk", flat=True))
        )

    monkeypatch.setattr("scheduling.dispatch.deliver", slow_deliver)
    report = send_claimed_notifications(claim)

    # Renewed before a delivery once a quarter of the lease had passed: no row was ever up for grabs.
    assert [o.status for o in report.outcomes.values()] == ["skipped", "sent", "sent", "sent"]
    assert lost_while_sending == [set()] * 3
    # The delivery log says when each was attempted, not when the batch ended.
    logged = sorted(DeliveryAttempt.objects.filter(outcome="sent").values_list("attempted_at", flat=True))
    assert logged[1] - logged[0] >= dt.timedelta(seconds=2.8)


def test_within_a_quarter_of_the_lease_a_delivery_renews_only_its_own_rows_lease(settings, monkeypatch):
    settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS = 60
    rows = [reminder() for _ in range(3)]
    claim = claim_all()
    leases_at_delivery = []

    def deliver_and_note_the_leases(message):
        leases_at_delivery.append(dict(Notification.objects.values_list("pk", "lease_expires_at")))
        deliver(message)

    monkeypatch.setattr("scheduling.dispatch.deliver", deliver_and_note_the_leases)
    report = send_claimed_notifications(claim)

    assert [o.status for o in report.outcomes.values()] == ["sent"] * 3
    # The batch started moments ago: each check renews the lease of the row it lets go, and leaves the others'
    # as the attempt's start set them, so a delivery writes one row, not the batch.
    started = leases_at_delivery[0][rows[1].pk]
    for delivered, leases in zip(rows, leases_at_delivery, strict=True):
        assert leases[delivered.pk] > started
        assert [leases[r.pk] for r in rows if r.pk > delivered.pk] == [started] * (2 - rows.index(delivered))


def test_a_live_attempt_whose_rows_the_tick_took_over_sends_none_of_them(settings, monkeypatch):
    first, second = reminder(), reminder()
    claim = claim_all()
    taken_over = []

    attempt_claims = []

    def deliver_while_the_tick_takes_the_second_row(message):
        if not taken_over:
            # The attempt stalled past the second row's lease (a pause, a slow reply): the tick takes it over.
            attempt_claims.append(Notification.objects.get(pk=second.pk).claimed_at)
            Notification.objects.filter(pk=second.pk).update(
                lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
            )
            taken_over.extend(dispatch_due_notifications(as_of=timezone.now(), enqueue=None).claims)
        deliver(message)

    monkeypatch.setattr("scheduling.dispatch.deliver", deliver_while_the_tick_takes_the_second_row)
    stalled = send_claimed_notifications(claim)
    monkeypatch.undo()

    # The tick gave the row a new claim: the stalled attempt finds it no longer its own.
    assert {pk: o.status for pk, o in stalled.outcomes.items()} == {
        first.pk: "sent",
        second.pk: "not_claimed",
    }
    [takeover] = taken_over
    assert takeover.notification_ids == (second.pk,)
    assert takeover.token != attempt_claims[0].isoformat()
    assert only(send_claimed_notifications(takeover)).status == "sent"
    assert len(mail.outbox) == 2


def test_a_meeting_moved_after_its_reminder_was_judged_is_not_announced_at_its_old_time(monkeypatch):
    notification = reminder()
    claim = claim_all()

    def compose_then_move(row, **kwargs):
        message = compose_message(row, **kwargs)
        Meeting.objects.filter(pk=row.meeting_id).update(version=2, status=Meeting.Status.MOVED)
        return message

    monkeypatch.setattr("scheduling.dispatch.compose_message", compose_then_move)
    outcome = only(send_claimed_notifications(claim))

    assert (outcome.status, outcome.detail) == (
        "superseded",
        "The meeting changed while the message was being sent.",
    )
    notification.refresh_from_db()
    assert notification.status == "superseded"
    assert mail.outbox == []


def test_a_row_taken_over_while_its_batch_ran_is_left_to_the_attempt_that_took_it(monkeypatch):
    notification = reminder()
    claim = claim_all()
    taken_over = []

    def compose_while_another_attempt_takes_over(row, **kwargs):
        taken_over.append(
            claim_notifications(Notification.objects.filter(pk=row.pk), limit=1, now=timezone.now())
        )
        return compose_message(row, **kwargs)

    monkeypatch.setattr("scheduling.dispatch.compose_message", compose_while_another_attempt_takes_over)
    assert only(send_claimed_notifications(claim)).status == "not_claimed"
    monkeypatch.undo()

    assert mail.outbox == []
    notification.refresh_from_db()
    assert (notification.status, notification.claimed_at.isoformat()) == ("sending", taken_over[0].token)
    assert only(send_claimed_notifications(taken_over[0])).status == "sent"
    assert DeliveryAttempt.objects.filter(notification=notification).count() == 1


def test_the_tick_enqueues_each_claim_after_its_transaction_commits(django_capture_on_commit_callbacks):
    reminder()
    reminder()
    enqueued = []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = dispatch_due_notifications(as_of=timezone.now(), enqueue=enqueued.append, batch_size=1)
    assert enqueued == []

    for callback in callbacks:
        callback()
    assert enqueued == report.claims
    assert len(enqueued) == 2


@pytest.mark.django_db(transaction=True)
def test_a_broker_failure_stops_the_tick_and_leaves_the_rows_claimed():
    reminder()
    reminder()

    def broker_down(claim):
        raise ConnectionError("broker unreachable")

    report = dispatch_due_notifications(as_of=timezone.now(), enqueue=broker_down, batch_size=1)

    assert (report.claimed, report.enqueued, report.enqueue_failed) == (1, 0, True)
    assert list(Notification.objects.order_by("pk").values_list("status", flat=True)) == [
        "sending",
        "pending",
    ]


def test_send_due_notifications_as_of_sends_tomorrows_reminders_now():
    meeting = meeting_in(dt.timedelta(days=2))
    sync_meeting_notifications(meetings=[meeting])
    out = io.StringIO()

    call_command(
        "send_due_notifications",
        "--as-of",
        (meeting.starts_at - dt.timedelta(minutes=10)).isoformat(),
        stdout=out,
    )

    # The day-ahead and 15-minute reminders to both attendees, and the scholar's check-in prompt.
    assert "claimed 5: 5 sent" in out.getvalue()
    reminders = [m for m in mail.outbox if m.subject.startswith(f"Reminder: {meeting.series.title},")]
    assert len(reminders) == 4


def test_the_beat_schedule_ticks_every_minute_and_installs_once():
    setup_periodic_tasks()
    setup_periodic_tasks()

    tick = PeriodicTask.objects.get(task="scheduling.tasks.dispatch_due_notifications")
    assert (tick.interval.every, tick.interval.period, tick.enabled) == (60, "seconds", True)
    assert set(
        PeriodicTask.objects.filter(task__startswith="scheduling.tasks.").values_list("task", flat=True)
    ) == {
        "scheduling.tasks.dispatch_due_notifications",
        "scheduling.tasks.write_periodic_notifications",
        "scheduling.tasks.recover_lost_plan_runs",
    }
    assert PeriodicTask.objects.filter(task__startswith="scheduling.tasks.").count() == 3
    assert PeriodicTask.objects.filter(task="mentors.tasks.recover_lost_import_jobs").count() == 1


def test_every_periodic_task_goes_to_the_tick_queue_and_sends_do_not(settings):
    route = app.amqp.router.route

    for _, task, _ in PERIODIC_TASKS:
        assert route({}, task)["queue"].name == settings.TICK_QUEUE
    assert route({}, "scheduling.tasks.send_notifications")["queue"].name != settings.TICK_QUEUE


def slack_reminder(url, **scholar_fields):
    """A pending reminder to a scholar on Slack, alone: the transport is what these tests look at."""
    notification = reminder(meeting_in_=dt.timedelta(minutes=14), slack_webhook_url=url, **scholar_fields)
    Notification.objects.filter(pk=notification.pk).update(
        channel=Notification.Channel.SLACK, dedupe_key=notification.dedupe_key.replace(":email:", ":slack:")
    )
    notification.refresh_from_db()
    return notification


def test_a_slack_reminder_is_posted_to_the_persons_webhook(local_webhooks):
    with webhook_server() as (url, hook):
        notification = slack_reminder(url)
        claim = claim_all()

        assert send(claim).status == "sent"

    [body] = hook.bodies
    assert body["text"].startswith(f"*Reminder: {notification.meeting.series.title}, ")
    assert list(DeliveryAttempt.objects.values_list("channel", "recipient")) == [
        ("slack", f"{url.split('/services')[0]}/…path")
    ]


def row_like(notification: Notification, **changes) -> Notification:
    """Another row for the same meeting and recipient, as due, differing in ``changes`` (its dedupe key at least)."""
    fields = {
        "kind": notification.kind,
        "channel": notification.channel,
        "due_at": notification.due_at,
        "meeting": notification.meeting,
        "meeting_version": notification.meeting_version,
        "recipient_scholar": notification.recipient_scholar,
        "payload": notification.payload,
    }
    return Notification.objects.create(**{**fields, **changes})


def keys_and_statuses():
    return sorted(Notification.objects.values_list("dedupe_key", "status"))


def test_a_dead_webhook_is_switched_off_staff_are_told_once_and_the_email_reminder_still_goes(
    settings, local_webhooks
):
    settings.STAFF_ALERT_EMAILS = ["staff@example.org"]
    with webhook_server(status=410) as (url, hook):
        # As sync writes them for a person with both: the email reminder and its Slack twin.
        by_email = reminder(slack_webhook_url=url)
        by_slack = row_like(
            by_email,
            channel=Notification.Channel.SLACK,
            dedupe_key=by_email.dedupe_key.replace(":email:", ":slack:"),
        )
        send_claimed_notifications(claim_all())
        send_claimed_notifications(claim_all())

    scholar = by_email.recipient_scholar
    scholar.refresh_from_db()
    assert (scholar.slack_webhook_url, scholar.slack_webhook_disabled_reason) == (
        "",
        "Slack HTTP 410: invalid_token",
    )
    assert scholar.slack_webhook_disabled_at is not None
    assert len(hook.bodies) == 1
    assert (
        Notification.objects.filter(recipient_scholar=scholar, kind=Notification.Kind.REMINDER).count() == 2
    )
    by_slack.refresh_from_db()
    assert by_slack.status == "failed"
    reminder_mail, staff_mail = sorted(mail.outbox, key=lambda m: m.to)
    assert reminder_mail.to == [scholar.email]
    assert reminder_mail.subject.startswith(f"Reminder: {by_email.meeting.series.title}, ")
    assert staff_mail.to == ["staff@example.org"]
    assert staff_mail.subject == f"Slack webhook of {scholar.name} switched off"
    # Named by its end, never as a URL a mail client would make a link of.
    assert (
        f"Slack refused the webhook of {scholar.name} (the one ending in …path) for good: " in staff_mail.body
    )
    assert url.split("/services")[0] not in staff_mail.body


def test_in_one_batch_a_dead_webhook_is_tried_once_per_person_who_has_it(settings, local_webhooks):
    settings.STAFF_ALERT_EMAILS = ["staff@example.org"]
    with webhook_server(status=410) as (url, hook):
        first = slack_reminder(url)
        again = row_like(
            first,
            dedupe_key=first.dedupe_key.replace("offset=15", "offset=60"),
            payload={"offset_minutes": 60},
        )
        other = slack_reminder(url)

        report = send_claimed_notifications(claim_all())

    assert len(hook.bodies) == 2
    assert {pk: o.status for pk, o in report.outcomes.items()} == {
        first.pk: "failed",
        again.pk: "skipped",
        other.pk: "failed",
    }
    assert (
        report.outcomes[again.pk].detail == "Not sent: the recipient's Slack webhook was just switched off."
    )
    scholars = [first.recipient_scholar, other.recipient_scholar]
    for scholar in scholars:
        scholar.refresh_from_db()
    assert [s.slack_webhook_url for s in scholars] == ["", ""]
    escalations = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert sorted(e.payload["person"] for e in escalations) == sorted(f"scholar={s.pk}" for s in scholars)


def test_later_reminders_do_not_try_the_dead_webhook_and_staff_hear_once(settings, local_webhooks):
    settings.STAFF_ALERT_EMAILS = ["staff@example.org"]
    with webhook_server(status=404) as (url, hook):
        meeting = meeting_in(dt.timedelta(days=2), slack_webhook_url=url)
        sync_meeting_notifications(meetings=[meeting])
        day_ahead = meeting.starts_at - dt.timedelta(minutes=1439)
        send_claimed_notifications(
            claim_notifications(due_notifications(as_of=day_ahead), limit=100, now=timezone.now())
        )
        fifteen_minutes_ahead = meeting.starts_at - dt.timedelta(minutes=10)
        send_claimed_notifications(
            claim_notifications(due_notifications(as_of=fifteen_minutes_ahead), limit=100, now=timezone.now())
        )

    # Whichever Slack row came due first failed; the rest were skipped (claimed already) or superseded.
    assert len(hook.bodies) == 1
    slack_rows = Notification.objects.filter(channel=Notification.Channel.SLACK)
    statuses = list(slack_rows.values_list("status", flat=True))
    assert statuses.count("failed") == 1
    assert set(statuses) <= {"failed", "skipped", "superseded"}
    assert slack_rows.get(payload__offset_minutes=15).status == "superseded"
    scholar = meeting.series.scholars.get()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [scholar.email] * 3 + [meeting.series.mentor.email] * 2 + ["staff@example.org"]
    )


def test_a_webhook_the_policy_refuses_at_send_time_is_switched_off(settings):
    settings.STAFF_ALERT_EMAILS = ["staff@example.org"]
    with webhook_server() as (url, hook):
        notification = slack_reminder(url)
        claim = claim_all()

        outcome = send(claim)

    assert (outcome.status, outcome.detail) == (
        "failed",
        "Slack webhook URL refused: Webhook URLs must start with https://.",
    )
    assert hook.bodies == []
    scholar = notification.recipient_scholar
    scholar.refresh_from_db()
    assert (scholar.slack_webhook_url, scholar.slack_webhook_disabled_reason) == (
        "",
        "Slack webhook URL refused: Webhook URLs must start with https://.",
    )


def test_a_slack_outage_does_not_switch_the_webhook_off(local_webhooks):
    with webhook_server(status=503) as (url, _):
        notification = slack_reminder(url)
        claim = claim_all()

        assert send(claim).status == "pending"

    scholar = notification.recipient_scholar
    scholar.refresh_from_db()
    assert (scholar.slack_webhook_url, scholar.slack_webhook_disabled_at) == (url, None)
    assert Notification.objects.count() == 1


def test_saving_a_new_webhook_url_switches_slack_back_on(settings, local_webhooks):
    with webhook_server(status=404) as (url, _):
        notification = slack_reminder(url)
        claim = claim_all()
        send(claim)
    scholar = notification.recipient_scholar
    scholar.refresh_from_db()

    scholar.slack_webhook_url = "https://hooks.slack.com/services/T0/B0/new"
    scholar.save(update_fields=["slack_webhook_url"])

    scholar.refresh_from_db()
    assert (scholar.slack_webhook_disabled_at, scholar.slack_webhook_disabled_reason) == (None, "")
    assert person_channels(scholar) == ["email", "slack"]
