"""Signed webhooks through the real services and the real send path, to a real HTTP receiver on 127.0.0.1 that
checks every signature with the Standard Webhooks reference library: each event written once with the change it
tells of, delivered once and in order for each meeting, retried, and the endpoint switched off (staff mailed) after
its limit of failures in a row, then switched on to send what it kept back."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from cohort.services import meeting_inputs_change
from scheduling.dispatch import dispatch_due_notifications, send_claimed_notifications
from scheduling.models import Meeting, Notification, WebhookEndpoint, WebhookEvent
from scheduling.notifications.oversight import write_periodic_notifications
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.services.health import cohort_health_sync
from scheduling.services.meeting_edits import meeting_cancel, meeting_mark, meeting_move
from scheduling.services.webhooks import endpoint_create, endpoint_secret_rotate, endpoint_update
from scheduling.webhook_signatures import new_secret, signed_headers
from scholars.models import Mentorship
from tests.factories import CohortFactory, MentorFactory, MentorshipFactory, ScholarFactory
from tests.meeting_rows import miras_one_on_one_with_sam
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.django_db

Status = Notification.Status
UTC = dt.UTC
EVERY_EVENT = list(WebhookEvent.values)


@pytest.fixture(autouse=True)
def _local_receivers(settings) -> None:
    """The receiver is plain http on 127.0.0.1, which the outbound policy refuses but in tests; staff are told."""
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.STAFF_ALERT_EMAILS = ["staff@cohortops.test"]


def register(url: str, *, events=EVERY_EVENT, **fields):
    return endpoint_create(endpoint=WebhookEndpoint(name="CRM", url=url, events=events, **fields), by=None)


def send_due() -> None:
    """One tick and its sends, in this process, as the worker does them."""
    report = dispatch_due_notifications(as_of=timezone.now(), enqueue=None)
    for claim in report.claims:
        send_claimed_notifications(claim)


def time_passes() -> None:
    """Every retry, wait and pause put off comes due."""
    Notification.objects.filter(status=Status.PENDING).update(retry_at=None)
    WebhookEndpoint.objects.update(paused_until=None)


def webhook_rows(**filters):
    return Notification.objects.filter(channel=Notification.Channel.WEBHOOK, **filters).order_by("pk")


def planned_meeting() -> Meeting:
    """Mira's 1-on-1 with Sam on Monday 11 January 2027, 10:00 London: written now, so every endpoint registered
    before hears of it."""
    cohort = CohortFactory()  # 4 January to 26 March 2027
    return miras_one_on_one_with_sam(
        cohort=cohort, time_zone="Europe/London", starts_at=dt.datetime(2027, 1, 11, 10, tzinfo=UTC)
    )


# --- Signatures -----------------------------------------------------------------------------------------------


def test_the_reference_library_verifies_our_signature_and_refuses_a_changed_body():
    secret = new_secret()
    body = b'{"type":"meeting.planned"}'
    headers = signed_headers(
        [secret], message_id="msg_1", timestamp=int(timezone.now().timestamp()), body=body
    )

    assert Webhook(secret).verify(body, dict(headers)) == {"type": "meeting.planned"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"type":"meeting.held"}', dict(headers))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, dict(headers))


def test_during_an_overlap_a_receiver_holding_either_secret_verifies_and_after_it_only_the_new_one():
    old, new = new_secret(), new_secret()
    body = b"{}"
    now = int(timezone.now().timestamp())
    both = signed_headers([new, old], message_id="msg_2", timestamp=now, body=body)
    assert both["webhook-signature"].count("v1,") == 2
    Webhook(old).verify(body, dict(both))
    Webhook(new).verify(body, dict(both))

    only_new = signed_headers([new], message_id="msg_2", timestamp=now, body=body)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, dict(only_new))


# --- Events written with their changes ------------------------------------------------------------------------


def test_each_change_of_a_meeting_is_one_event_per_endpoint_however_often_its_rows_are_synced():
    endpoint = register("https://hooks.example.org/cohortops").endpoint
    meeting = planned_meeting()
    sync_meeting_notifications(meetings=[meeting])
    sync_meeting_notifications(meetings=[meeting])
    moved = meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 1, 12, 10, tzinfo=UTC))
    cancelled = meeting_cancel(meeting=moved)
    sync_meeting_notifications(meetings=[cancelled])

    rows = list(webhook_rows())
    assert [row.payload["type"] for row in rows] == ["meeting.planned", "meeting.moved", "meeting.cancelled"]
    assert {row.webhook_endpoint_id for row in rows} == {endpoint.pk}
    moved_data = rows[1].payload["data"]["meeting"]
    assert moved_data["series_uid"] == meeting.series.uid
    # The occurrence as calendars name it: the start the rule gave it, in the series' zone, and its SEQUENCE.
    assert (moved_data["recurrence_id"], moved_data["recurrence_id_tzid"]) == (
        "20270111T100000",
        "Europe/London",
    )
    assert (moved_data["starts_at"], moved_data["sequence"]) == ("2027-01-12T10:00:00+00:00", 2)
    assert rows[1].payload["data"]["scholars"] == [{"id": meeting.series.scholars.get().pk, "name": "Sam"}]


def test_a_meeting_marked_held_is_an_event(settings):
    now = timezone.now()
    cohort = CohortFactory(
        start_date=now.date() - dt.timedelta(days=14), end_date=now.date() + dt.timedelta(days=60)
    )
    meeting = miras_one_on_one_with_sam(cohort=cohort, time_zone="UTC", starts_at=now - dt.timedelta(hours=2))
    register("https://hooks.example.org/cohortops", events=["meeting.held"])

    meeting_mark(meeting=meeting, status=Meeting.Status.HELD)

    assert [row.payload["type"] for row in webhook_rows()] == ["meeting.held"]


def test_an_endpoint_hears_only_its_events_its_cohort_and_what_happened_after_it_was_registered():
    meeting = planned_meeting()
    sync_meeting_notifications(meetings=[meeting])  # before any endpoint: told to none
    other_cohort = CohortFactory()
    register("https://a.example.org/", events=["meeting.cancelled"])
    register("https://b.example.org/", cohort=other_cohort)
    off = register("https://c.example.org/").endpoint
    endpoint_update(endpoint=off, changes={"is_active": False}, by=None)
    register("https://d.example.org/", events=["meeting.moved"], cohort=meeting.series.cohort)
    register("https://e.example.org/", cohort=meeting.series.cohort)

    sync_meeting_notifications(meetings=[meeting])  # the planned version again: older than every endpoint
    meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 1, 12, 10, tzinfo=UTC))

    assert [(row.webhook_endpoint.url, row.payload["type"], row.status) for row in webhook_rows()] == [
        ("https://c.example.org/", "meeting.moved", Status.FAILED),  # kept back while it is switched off
        ("https://d.example.org/", "meeting.moved", Status.PENDING),
        ("https://e.example.org/", "meeting.moved", Status.PENDING),
    ]


def test_mentorships_created_and_removed_through_the_api_path_and_ended_by_the_calendar_are_events_once():
    register("https://hooks.example.org/", events=["mentorship.created", "mentorship.ended"])
    cohort = CohortFactory()  # ends 26 March 2027
    scholar, mentor = ScholarFactory(cohort=cohort), MentorFactory(name="Mira")
    with meeting_inputs_change() as writes:
        created = Mentorship.objects.create(mentor=mentor, scholar=scholar, role=Mentorship.Role.PRIMARY)
        writes.after_write(created)
    kept = MentorshipFactory(scholar=ScholarFactory(cohort=cohort), end_date=dt.date(2027, 2, 26))
    with meeting_inputs_change() as writes:
        writes.delete(created)

    # The periodic pass two days after the kept mentorship's last day, twice: one event.
    for _ in range(2):
        write_periodic_notifications(as_of=dt.datetime(2027, 2, 28, 9, tzinfo=UTC))

    events = [(row.payload["type"], row.payload["data"]) for row in webhook_rows()]
    assert [(kind, data["mentorship"]["id"], data.get("reason")) for kind, data in events] == [
        ("mentorship.created", events[0][1]["mentorship"]["id"], None),
        ("mentorship.ended", events[0][1]["mentorship"]["id"], "removed"),
        ("mentorship.ended", kept.pk, "last_day_passed"),
    ]
    assert events[1][1]["mentor"] == {"id": mentor.pk, "name": "Mira"}
    assert events[2][1]["last_day"] == "2027-02-26"


def test_a_health_finding_opened_is_an_event_once():
    register("https://hooks.example.org/", events=["health_finding.opened"])
    cohort = CohortFactory()
    mentorship = MentorshipFactory(scholar=ScholarFactory(cohort=cohort))
    three_weeks_in = dt.datetime(2027, 1, 25, 9, tzinfo=UTC)

    cohort_health_sync(cohort=cohort, as_of=three_weeks_in)
    cohort_health_sync(cohort=cohort, as_of=three_weeks_in + dt.timedelta(hours=1))

    (row,) = webhook_rows()
    finding = row.payload["data"]["health_finding"]
    assert (row.payload["type"], finding["rule"], finding["mentorship_id"]) == (
        "health_finding.opened",
        "no_first_meeting",
        mentorship.pk,
    )


# --- Delivery ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lease_seconds", [60, 0], ids=["lease of a minute", "lease of the batch renewed before every delivery"]
)
def test_every_message_arrives_signed_once_with_its_event_and_the_log_says_so(settings, lease_seconds):
    settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS = lease_seconds
    with webhook_receiver([]) as receiver:
        made = register(receiver.url)
        receiver.secrets.append(made.secret)
        meeting = planned_meeting()
        sync_meeting_notifications(meetings=[meeting])
        meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 1, 12, 10, tzinfo=UTC))
        send_due()
        send_due()

    assert receiver.refused == []
    assert receiver.types() == ["meeting.planned", "meeting.moved"]
    assert len(receiver.deliveries) == 2
    rows = list(webhook_rows())
    assert [row.status for row in rows] == [Status.SENT, Status.SENT]
    assert [r.body for r in receiver.unique] == [row.payload for row in rows]
    attempt = rows[0].attempts_log.get()
    # The log shows the endpoint's host, never the rest of its address.
    assert (attempt.outcome, attempt.recipient) == ("sent", f"{receiver.url.rsplit('/', 2)[0]}/…tops")


def test_a_later_message_about_a_meeting_waits_while_an_earlier_one_is_retried_and_all_arrive_in_order():
    with webhook_receiver([]) as receiver:
        receiver.secrets.append(register(receiver.url).secret)
        receiver.answer = lambda count: 503 if count == 1 else 200
        meeting = planned_meeting()
        sync_meeting_notifications(meetings=[meeting])
        moved = meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 1, 12, 10, tzinfo=UTC))
        meeting_cancel(meeting=moved)

        send_due()  # the first fails and pauses the endpoint; the two after it wait, untried
        planned, moved_row, cancelled_row = webhook_rows()
        assert (planned.status, planned.attempts, planned.last_error) == (
            Status.PENDING,
            1,
            "Endpoint HTTP 503: ok",
        )
        for waiting in (moved_row, cancelled_row):
            assert (waiting.status, waiting.attempts) == (Status.PENDING, 0)
            assert waiting.last_error.startswith("Waiting: the endpoint failed just now")
        assert receiver.requests == 1

        # The pause is over but the first message's own retry is not due: the others wait behind it.
        WebhookEndpoint.objects.update(paused_until=None)
        Notification.objects.filter(pk__in=[moved_row.pk, cancelled_row.pk]).update(retry_at=None)
        send_due()
        moved_row.refresh_from_db()
        assert moved_row.last_error == (
            f"Waiting for an earlier message about the same thing (notification {planned.pk}) to go first."
        )
        assert (moved_row.attempts, receiver.requests) == (0, 1)

        for _ in range(4):
            time_passes()
            send_due()

    assert receiver.types() == ["meeting.planned", "meeting.moved", "meeting.cancelled"]
    assert receiver.requests == 4  # the failed one, then each once
    assert set(webhook_rows().values_list("status", flat=True)) == {Status.SENT}


def test_an_endpoint_failing_its_limit_in_a_row_is_switched_off_staff_mailed_once_and_switched_on_sends_it_all():
    with webhook_receiver([]) as receiver:
        made = register(receiver.url, disable_after_failures=3)
        receiver.secrets.append(made.secret)
        receiver.answer = lambda count: 500
        meeting = planned_meeting()
        sync_meeting_notifications(meetings=[meeting])
        meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 1, 12, 10, tzinfo=UTC))
        for _ in range(5):
            send_due()
            time_passes()

        endpoint = WebhookEndpoint.objects.get()
        assert not endpoint.is_active
        assert endpoint.failures_in_a_row == 3
        assert endpoint.disabled_reason.startswith("Switched off after 3 failed attempts in a row; the last:")
        assert receiver.requests == 3
        assert set(webhook_rows().values_list("status", flat=True)) == {Status.FAILED}
        notices = Notification.objects.filter(kind=Notification.Kind.ENDPOINT_DISABLED)
        assert [n.recipient_email for n in notices] == ["staff@cohortops.test"]
        staff_mail = [m for m in mail.outbox if m.to == ["staff@cohortops.test"]]
        assert [m.subject for m in staff_mail] == ["Webhook endpoint switched off: CRM"]
        assert "2 messages wait for it" in staff_mail[0].body

        receiver.answer = lambda count: 200
        endpoint_update(endpoint=endpoint, changes={"is_active": True}, by=None)
        for _ in range(3):
            send_due()
            time_passes()

    assert receiver.types() == ["meeting.planned", "meeting.moved"]
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.failures_in_a_row, endpoint.disabled_at) == (True, 0, None)
    assert Notification.objects.filter(kind=Notification.Kind.ENDPOINT_DISABLED).count() == 1


def test_a_success_starts_the_count_of_failures_again():
    with webhook_receiver([]) as receiver:
        receiver.secrets.append(register(receiver.url, disable_after_failures=2).secret)
        receiver.answer = lambda count: 500 if count in (1, 3) else 200
        meeting = planned_meeting()
        sync_meeting_notifications(meetings=[meeting])
        send_due()  # fails: 1 in a row
        time_passes()
        send_due()  # goes: 0
        meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 1, 12, 10, tzinfo=UTC))
        send_due()  # fails: 1 in a row, under the limit of 2

    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.is_active, endpoint.failures_in_a_row) == (True, 1)


def test_after_a_rotation_messages_verify_under_the_old_secret_until_the_overlap_ends():
    with webhook_receiver([]) as receiver:
        old = register(receiver.url).secret
        endpoint = WebhookEndpoint.objects.get()
        new = endpoint_secret_rotate(endpoint=endpoint, by=None, overlap=dt.timedelta(hours=1)).secret
        receiver.secrets.extend([old, new])
        meeting = planned_meeting()
        sync_meeting_notifications(meetings=[meeting])
        send_due()
        WebhookEndpoint.objects.update(previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1))
        meeting_move(meeting=meeting, starts_at=dt.datetime(2027, 1, 12, 10, tzinfo=UTC))
        send_due()

    assert [r.signed_with for r in receiver.unique] == [(0, 1), (1,)]


def test_an_endpoint_the_policy_refuses_at_send_time_fails_the_message_for_good(settings):
    register("http://127.0.0.1:9/refused-later")
    meeting = planned_meeting()
    sync_meeting_notifications(meetings=[meeting])
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = False

    send_due()

    (row,) = webhook_rows()
    assert row.status == Status.FAILED
    assert row.last_error == "Endpoint URL refused: Endpoint URLs must start with https://."


def test_the_body_sent_is_the_event_as_written():
    with webhook_receiver([]) as receiver:
        receiver.secrets.append(register(receiver.url).secret)
        meeting = planned_meeting()
        sync_meeting_notifications(meetings=[meeting])
        Meeting.objects.filter(pk=meeting.pk).update(
            starts_at=dt.datetime(2027, 1, 13, 10, tzinfo=UTC),
            ends_at=dt.datetime(2027, 1, 13, 11, tzinfo=UTC),
        )
        send_due()

    (received,) = receiver.unique
    assert received.body["data"]["meeting"]["starts_at"] == "2027-01-11T10:00:00+00:00"
    assert json.loads(json.dumps(received.body)) == webhook_rows().get().payload


def test_an_outage_counts_one_failure_per_pause_however_many_messages_wait():
    with webhook_receiver([]) as receiver:
        receiver.secrets.append(register(receiver.url, disable_after_failures=3).secret)
        receiver.answer = lambda count: 503
        for _ in range(5):
            sync_meeting_notifications(meetings=[planned_meeting()])

        send_due()

    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.is_active, endpoint.failures_in_a_row, receiver.requests) == (True, 1, 1)
    assert endpoint.paused_until > timezone.now()
    waiting = webhook_rows(attempts=0)
    assert waiting.count() == 4
    assert {row.retry_at for row in waiting} == {endpoint.paused_until}


def test_switching_off_one_endpoint_leaves_another_at_the_same_address_alone():
    with webhook_receiver([]) as receiver:
        first = register(receiver.url, disable_after_failures=1).endpoint
        second = register(receiver.url, disable_after_failures=5).endpoint
        receiver.answer = lambda count: 500
        sync_meeting_notifications(meetings=[planned_meeting()])

        send_due()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active, second.failures_in_a_row) == (False, True, 1)
    assert webhook_rows(webhook_endpoint=first).get().status == Status.FAILED
    assert webhook_rows(webhook_endpoint=second).get().status == Status.PENDING


def test_a_webhook_message_is_retried_however_old_it_is(settings):
    settings.NOTIFICATION_RETRY_FOR_SECONDS = 0  # any other message would be given up at once
    with webhook_receiver([]) as receiver:
        receiver.secrets.append(register(receiver.url).secret)
        receiver.answer = lambda count: 500
        sync_meeting_notifications(meetings=[planned_meeting()])
        send_due()

    (row,) = webhook_rows()
    assert (row.status, row.last_error) == (Status.PENDING, "Endpoint HTTP 500: ok")
