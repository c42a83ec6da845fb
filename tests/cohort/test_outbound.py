"""The outbound-URL policy for webhooks: https, allowlisted hosts, public addresses only."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers

from cohort.outbound import OutboundTarget, RefusedURL, UnresolvableHost, check_webhook_url
from mentors.models import Mentor
from tests.factories import MentorFactory

SLACK = ["hooks.slack.com"]


def resolving_to(*addresses):
    return lambda host, port: list(addresses)


def check(url, *addresses, allowed_hosts=SLACK, allow_loopback=False):
    return check_webhook_url(
        url, allowed_hosts=allowed_hosts, allow_loopback=allow_loopback, resolve=resolving_to(*addresses)
    )


def test_a_slack_webhook_on_a_public_address_is_admitted_with_the_addresses_to_connect_to():
    target = check("https://hooks.slack.com/services/T0/B0/secret?x=1", "34.1.2.3", "2600:1f18::1")

    assert target == OutboundTarget(
        scheme="https",
        host="hooks.slack.com",
        port=443,
        path="/services/T0/B0/secret?x=1",
        addresses=("34.1.2.3", "2600:1f18::1"),
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.slack.com/services/x", "Webhook URLs must start with https://."),
        ("ftp://hooks.slack.com/services/x", "Webhook URLs must start with https://."),
        (
            "https://evil.example/services/x",
            "evil.example is not an allowed webhook host; allowed: hooks.slack.com.",
        ),
        (
            "https://hooks.slack.com.evil.example/x",
            "hooks.slack.com.evil.example is not an allowed webhook host; allowed: hooks.slack.com.",
        ),
        ("https://user:pw@hooks.slack.com/x", "Webhook URLs must not carry a user name or password."),
        ("https://hooks.slack.com:99999/x", "Not a valid URL: Port out of range 0-65535."),
    ],
)
def test_urls_breaking_the_shape_rules_are_refused_with_the_reason(url, message):
    with pytest.raises(RefusedURL) as refused:
        check(url, "34.1.2.3")

    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.0.0.5", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("0.0.0.0", "an unspecified address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "a loopback address inside an IPv6 address"),
        ("::ffff:10.0.0.1", "a private address inside an IPv6 address"),
        ("2002:a9fe:a9fe::", "a link-local address inside an IPv6 address"),
        ("64:ff9b::a9fe:a9fe", "a link-local address inside an IPv6 address"),
    ],
)
def test_hosts_resolving_to_a_non_public_address_are_refused(address, reason):
    with pytest.raises(RefusedURL) as refused:
        check("https://hooks.slack.com/services/x", address)

    assert str(refused.value) == f"hooks.slack.com resolves to {reason}."


def test_one_private_answer_among_public_ones_is_enough_to_refuse():
    with pytest.raises(RefusedURL, match=r"resolves to a private address"):
        check("https://hooks.slack.com/services/x", "34.1.2.3", "10.0.0.1")


def test_a_host_without_addresses_is_unresolvable_not_refused():
    with pytest.raises(UnresolvableHost):
        check("https://hooks.slack.com/services/x")


def test_the_test_flag_admits_loopback_and_plain_http_to_it_only():
    target = check(
        "http://127.0.0.1:8199/services/x", "127.0.0.1", allowed_hosts=["127.0.0.1"], allow_loopback=True
    )

    assert (target.scheme, target.port, target.addresses) == ("http", 8199, ("127.0.0.1",))
    with pytest.raises(RefusedURL, match="private address"):
        check("https://hooks.slack.com/x", "10.0.0.1", allow_loopback=True)
    with pytest.raises(RefusedURL, match="must start with https"):
        check("http://hooks.slack.com/x", "34.1.2.3", allow_loopback=True)


@pytest.mark.django_db
def test_a_mentor_saving_an_internal_address_gets_a_field_error(settings):
    settings.OUTBOUND_WEBHOOK_HOSTS = ["hooks.slack.com", "127.0.0.1"]
    mentor = MentorFactory(slack_webhook_url="https://127.0.0.1:8199/internal-admin/hook")

    with pytest.raises(ValidationError) as refused:
        mentor.full_clean()

    assert refused.value.message_dict == {"slack_webhook_url": ["127.0.0.1 resolves to a loopback address."]}


@pytest.mark.django_db
def test_a_host_that_does_not_resolve_now_may_be_saved(settings):
    settings.OUTBOUND_WEBHOOK_HOSTS = ["hooks.cohortops.invalid"]

    MentorFactory(slack_webhook_url="https://hooks.cohortops.invalid/services/x").full_clean()


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Mentor
        fields = ["slack_webhook_url"]


@pytest.mark.django_db
def test_an_api_serializer_of_the_field_answers_with_a_field_level_error():
    serializer = WebhookSerializer(data={"slack_webhook_url": "http://127.0.0.1:8199/internal-admin/hook"})

    assert not serializer.is_valid()
    assert serializer.errors == {"slack_webhook_url": ["Webhook URLs must start with https://."]}
