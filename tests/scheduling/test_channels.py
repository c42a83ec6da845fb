import email
import email.policy
import re

import pytest
from django.core import mail

from scheduling.channels import (
    Attachment,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    deliver,
    loggable_address,
)
from tests.integration.servers import free_port, smtp_server, webhook_server

INVITE = Attachment(
    "invite.ics", b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "text/calendar; method=REQUEST"
)


def email_to(address="ada@example.org", **fields):
    return OutgoingMessage(
        channel="email",
        address=address,
        subject=fields.pop("subject", "Reminder: 1-on-1"),
        text="Your meeting starts in 15 minutes.",
        html="<p>Your meeting starts in <strong>15 minutes</strong>.</p>",
        message_id="<abc123@cohortops.test>",
        attachments=(INVITE,),
        **fields,
    )


def slack_to(url):
    return OutgoingMessage(
        channel="slack", address=url, subject="Reminder: 1-on-1", text="Starts in 15 minutes."
    )


def use_smtp(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5


def test_email_has_text_and_html_parts_an_invitation_and_our_message_id():
    deliver(email_to())

    [sent] = mail.outbox
    assert sent.to == ["ada@example.org"]
    assert sent.body == "Your meeting starts in 15 minutes."
    assert sent.alternatives[0][1] == "text/html"
    assert sent.extra_headers["Message-ID"] == "<abc123@cohortops.test>"
    message = sent.message()
    assert message["Message-ID"] == "<abc123@cohortops.test>"
    invitation = message.get_payload()[1]
    assert invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_filename() == "invite.ics"
    assert invitation.get_payload(decode=True) == INVITE.content


def test_email_reaches_a_real_smtp_server(settings):
    with smtp_server() as (controller, received):
        use_smtp(settings, controller.port)
        deliver(email_to())

    assert list(received.message_ids().items()) == [("<abc123@cohortops.test>", 1)]


LONG_SUBJECT = (
    "Reminder: Zoë Ångström ↔ Łukasz Øvergaard, Tuesday 12 January 2027, 10:00–11:00 GMT (Europe/London) 🎓"
)


@pytest.mark.parametrize("subject", ["Reminder: 1-on-1", "Réunion", LONG_SUBJECT])
def test_a_subject_reaches_the_server_as_written_in_encoded_words_of_at_most_75_characters(settings, subject):
    with smtp_server() as (controller, received):
        use_smtp(settings, controller.port)
        deliver(email_to(subject=subject))

    [content] = received.contents()
    raw_subject = email.message_from_bytes(content, policy=email.policy.compat32)["Subject"]
    words = re.findall(r"=\?[^?]+\?[qQbB]\?[^?]*\?=", raw_subject)
    assert all(len(word) <= 75 for word in words)
    assert bool(words) == (not subject.isascii())
    [message] = received.messages
    # Python's generator folds a long subject after "Subject:"; unfolded, that is a space readers drop.
    assert message["Subject"].lstrip() == subject


def test_parts_of_a_mail_have_boundaries_of_their_own():
    deliver(email_to())
    deliver(email_to())

    boundaries = [
        part.get_boundary() for sent in mail.outbox for part in sent.message().walk() if part.is_multipart()
    ]
    # Each mail has two: the mixed part (text and invitation) and the alternative one (plain and HTML).
    assert len(set(boundaries)) == len(boundaries) == 4
    assert all(len(boundary) == 34 for boundary in boundaries)


def test_consecutive_mails_to_one_server_share_one_smtp_session(settings):
    with smtp_server() as (controller, received):
        use_smtp(settings, controller.port)
        deliver(email_to("ada@example.org"))
        deliver(email_to("bea@example.org"))

    assert (received.sessions, len(received.messages)) == (1, 2)


def test_a_kept_connection_the_server_dropped_is_replaced(settings):
    port = free_port()
    with smtp_server(port=port) as (_, first):
        use_smtp(settings, port)
        deliver(email_to())
    with smtp_server(port=port) as (_, second):
        deliver(email_to())

    assert (len(first.messages), len(second.messages)) == (1, 1)


def test_smtp_server_down_is_transient(settings):
    use_smtp(settings, free_port())

    with pytest.raises(TransientDeliveryError, match="ConnectionRefusedError"):
        deliver(email_to())


def test_recipient_refused_with_5xx_is_permanent(settings):
    with smtp_server(rcpt_reply="550 5.1.1 No such user") as (controller, _):
        use_smtp(settings, controller.port)
        with pytest.raises(PermanentDeliveryError, match="recipient refused"):
            deliver(email_to())


def test_recipient_deferred_with_4xx_is_transient(settings):
    with smtp_server(rcpt_reply="451 4.7.1 Try again later") as (controller, _):
        use_smtp(settings, controller.port)
        with pytest.raises(TransientDeliveryError, match="recipient deferred"):
            deliver(email_to())


def test_slack_webhook_receives_the_subject_and_text_as_json(local_webhooks):
    with webhook_server() as (url, hook):
        deliver(slack_to(url))

    assert hook.bodies == [{"text": "*Reminder: 1-on-1*\nStarts in 15 minutes."}]


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_slack_refusing_the_webhook_is_permanent(local_webhooks, status):
    with (
        webhook_server(status=status) as (url, _),
        pytest.raises(PermanentDeliveryError, match=f"HTTP {status}: invalid_token"),
    ):
        deliver(slack_to(url))


@pytest.mark.parametrize("status", [429, 500, 503])
def test_slack_rate_limit_or_outage_is_transient(local_webhooks, status):
    with (
        webhook_server(status=status) as (url, _),
        pytest.raises(TransientDeliveryError, match=f"HTTP {status}"),
    ):
        deliver(slack_to(url))


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_is_permanent(local_webhooks, status):
    with (
        webhook_server(status=status) as (url, hook),
        pytest.raises(PermanentDeliveryError, match=f"HTTP {status}"),
    ):
        deliver(slack_to(url))

    assert len(hook.bodies) == 1


def test_slack_unreachable_is_transient(local_webhooks):
    with pytest.raises(TransientDeliveryError, match="Slack unreachable: ConnectionRefusedError"):
        deliver(slack_to(f"http://127.0.0.1:{free_port()}/services/x"))


def test_a_webhook_on_an_internal_address_is_refused_before_any_connection(settings):
    settings.OUTBOUND_WEBHOOK_HOSTS = ["hooks.slack.com", "127.0.0.1"]
    with webhook_server() as (url, hook):
        https_url = url.replace("http://", "https://")
        with pytest.raises(PermanentDeliveryError) as refused:
            deliver(slack_to(https_url))

    assert str(refused.value) == "Slack webhook URL refused: 127.0.0.1 resolves to a loopback address."
    assert hook.bodies == []


def test_a_plain_http_webhook_is_refused_permanently():
    with webhook_server() as (url, hook), pytest.raises(PermanentDeliveryError) as refused:
        deliver(slack_to(url))

    assert str(refused.value) == "Slack webhook URL refused: Webhook URLs must start with https://."
    assert hook.bodies == []


def test_a_webhook_host_that_does_not_resolve_is_transient(settings):
    settings.OUTBOUND_WEBHOOK_HOSTS = ["hooks.cohortops.invalid"]

    with pytest.raises(
        TransientDeliveryError, match=r"Slack unreachable: hooks\.cohortops\.invalid could not be resolved"
    ):
        deliver(slack_to("https://hooks.cohortops.invalid/services/x"))


def test_the_delivery_log_shows_no_webhook_secret():
    message = slack_to("https://hooks.slack.test/services/T000/B000/verysecretpath")

    assert loggable_address(message) == "https://hooks.slack.test/…path"
