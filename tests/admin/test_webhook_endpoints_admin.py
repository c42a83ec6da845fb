"""Webhook endpoints in the admin: staff register one and see its secret once, on a page no cache keeps; rotate
it; switch it off and on through the services; mentors never see the page."""

import datetime as dt

import pytest
from standardwebhooks import Webhook

from cohort.models import AuditEntry
from scheduling.models import WebhookEndpoint
from scheduling.webhook_signatures import signed_headers
from tests.admin.conftest import posted_back

pytestmark = pytest.mark.django_db

ADD = "/admin/scheduling/webhookendpoint/add/"
LIST = "/admin/scheduling/webhookendpoint/"


def add_endpoint(client, **values):
    return client.post(
        ADD,
        {
            "name": "Data warehouse",
            "url": "https://10.1.2.3/in",
            "events": ["meeting.held", "mentorship.ended"],
            "disable_after_failures": "20",
            "is_active": "on",
            **values,
        },
    )


def shown_secret(response) -> str:
    (made,) = response.context["made"]
    return made.secret


def test_staff_register_an_endpoint_and_its_secret_is_shown_once_on_a_page_no_cache_keeps(
    staff_client, settings
):
    refused = add_endpoint(staff_client)
    assert refused.status_code == 200
    assert "10.1.2.3 resolves to a private address." in refused.context["adminform"].form.errors["url"][0]

    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    response = add_endpoint(staff_client, url="http://127.0.0.1:8099/in")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = shown_secret(response)
    assert secret in response.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["meeting.held", "mentorship.ended"]
    # The secret shown is the one messages are signed with.
    body = b"{}"
    headers = signed_headers(
        endpoint.secrets_in_use(now=endpoint.created_at), message_id="m", timestamp=0, body=body
    )
    assert headers["webhook-signature"] == Webhook(secret).sign(
        "m", dt.datetime.fromtimestamp(0, tz=dt.UTC), body.decode()
    )
    change_page = staff_client.get(f"{LIST}{endpoint.pk}/change/").content.decode()
    assert secret not in change_page
    assert "Shown once when it was made" in change_page


def test_rotating_from_the_list_shows_the_new_secret_and_the_old_one_overlaps(staff_client, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    old = shown_secret(add_endpoint(staff_client, url="http://127.0.0.1:8099/in"))
    endpoint = WebhookEndpoint.objects.get()

    response = staff_client.post(LIST, {"action": "rotate_secret", "_selected_action": [endpoint.pk]})

    new = shown_secret(response)
    endpoint.refresh_from_db()
    assert endpoint.secrets_in_use(now=endpoint.updated_at) == [new, old]
    assert "no-store" in response["Cache-Control"]


def test_switching_off_in_the_change_form_goes_through_the_service_and_is_audited(staff_client, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    add_endpoint(staff_client, url="http://127.0.0.1:8099/in")
    endpoint = WebhookEndpoint.objects.get()
    page = staff_client.get(f"{LIST}{endpoint.pk}/change/")
    values = posted_back(page)
    values.pop("is_active")

    response = staff_client.post(f"{LIST}{endpoint.pk}/change/", values)

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (False, "Switched off by staff.")
    assert AuditEntry.objects.filter(target_id=endpoint.pk, reason="Webhook endpoint changed.").exists()


def test_a_mentor_never_sees_the_endpoints(alice_client):
    assert alice_client.get(LIST).status_code == 403
    assert alice_client.get(ADD).status_code == 403
