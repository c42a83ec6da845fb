"""/api/v1/webhook-endpoints/: staff register, change, rotate and remove integrations' endpoints; the secret is in
the answer to a create or a rotation only; bad input is a 400 by field; nobody else reaches them."""

import datetime as dt
import socket

import pytest

from cohort.models import AuditEntry
from scheduling.models import Notification, WebhookEndpoint
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.services.webhooks import endpoint_create
from tests.api.conftest import client_for
from tests.factories import CohortFactory, MentorFactory, ScholarFactory, UserFactory
from tests.meeting_rows import miras_one_on_one_with_sam

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"
NEW = {
    "name": "CRM",
    "url": "https://hooks.example.org/cohortops",
    "events": ["meeting.moved", "meeting.planned"],
}


@pytest.fixture
def staff():
    return client_for(UserFactory(username="staff", is_staff=True))


def public_dns(monkeypatch) -> None:
    """Every host name resolves to a public address, without asking a DNS server; an address is itself."""

    def getaddrinfo(host, port, *args, **kwargs):
        address = host if host.replace(".", "").isdigit() else "93.184.215.14"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_staff_register_an_endpoint_and_see_its_secret_once(staff, monkeypatch):
    public_dns(monkeypatch)
    created = staff.post(URL, NEW, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["meeting.moved", "meeting.planned"]
    assert (body["is_active"], body["failures_in_a_row"], body["disable_after_failures"]) == (True, 0, 20)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secrets_in_use(now=endpoint.created_at) == [body["secret"]]
    assert body["secret"] not in endpoint.secret_encrypted
    assert staff.get(f"{URL}{endpoint.pk}/").json()["secret"] is None
    assert staff.get(URL).json()["results"][0]["secret"] is None
    entry = AuditEntry.objects.get(target_id=endpoint.pk)
    assert body["secret"] not in str(entry.changes)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "http://hooks.example.org/x"}, "url", "Endpoint URLs must start with https://."),
        ({"url": "https://10.0.0.8/x"}, "url", "10.0.0.8 resolves to a private address."),
        (
            {"url": "https://hooks.example.org:8443/x"},
            "url",
            "Endpoint URLs must use the standard https port",
        ),
        ({"events": ["meeting.exploded"]}, "events", '"meeting.exploded" is not a valid choice.'),
        ({"events": []}, "events", "Pick at least one event."),
        ({"disable_after_failures": 0}, "disable_after_failures", "greater than or equal to 1"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_registers_nothing(
    staff, monkeypatch, settings, changes, field, message
):
    public_dns(monkeypatch)
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = False
    response = staff.post(URL, {**NEW, **changes}, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not WebhookEndpoint.objects.exists()


def test_rotating_returns_the_new_secret_and_the_old_one_keeps_signing_for_the_overlap(staff, monkeypatch):
    public_dns(monkeypatch)
    old = staff.post(URL, NEW, format="json").json()
    rotated = staff.post(f"{URL}{old['id']}/rotate-secret/", {"overlap_hours": 2}, format="json")

    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_")
    assert new != old["secret"]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secrets_in_use(now=endpoint.updated_at) == [new, old["secret"]]
    assert endpoint.secrets_in_use(now=endpoint.previous_secret_expires_at) == [new]
    assert (
        staff.post(f"{URL}{old['id']}/rotate-secret/", {"overlap_hours": -1}, format="json").status_code
        == 400
    )


def test_switching_an_endpoint_on_again_sends_what_its_switching_off_kept_back(staff, monkeypatch):
    public_dns(monkeypatch)
    endpoint = endpoint_create(endpoint=WebhookEndpoint(**NEW), by=None).endpoint
    off = staff.patch(f"{URL}{endpoint.pk}/", {"is_active": False}, format="json")
    assert (off.json()["is_active"], off.json()["disabled_reason"]) == (False, "Switched off by staff.")
    meeting = miras_one_on_one_with_sam(
        cohort=CohortFactory(), time_zone="UTC", starts_at=dt.datetime(2027, 1, 11, 10, tzinfo=dt.UTC)
    )
    sync_meeting_notifications(meetings=[meeting])  # planned while it is off: kept back
    (kept,) = Notification.objects.filter(webhook_endpoint=endpoint)
    assert (kept.status, kept.payload["type"]) == (Notification.Status.FAILED, "meeting.planned")

    on = staff.patch(f"{URL}{endpoint.pk}/", {"is_active": True}, format="json")

    assert (on.json()["is_active"], on.json()["disabled_at"]) == (True, None)
    kept.refresh_from_db()
    assert kept.status == Notification.Status.PENDING


def test_an_endpoint_registered_switched_off_can_be_switched_on(staff, monkeypatch):
    public_dns(monkeypatch)
    created = staff.post(URL, {**NEW, "is_active": False}, format="json").json()
    assert (created["is_active"], created["disabled_reason"]) == (False, "Switched off by staff.")

    on = staff.patch(f"{URL}{created['id']}/", {"is_active": True}, format="json")

    assert (on.status_code, on.json()["is_active"]) == (200, True)


@pytest.mark.parametrize("role", ["mentor", "scholar", "anonymous"])
def test_nobody_but_staff_reaches_endpoints(monkeypatch, role):
    public_dns(monkeypatch)
    endpoint = endpoint_create(endpoint=WebhookEndpoint(**NEW), by=None).endpoint
    user = None
    if role == "mentor":
        user = UserFactory(is_staff=True)
        MentorFactory(user=user)
    elif role == "scholar":
        user = UserFactory()
        ScholarFactory(user=user)
    client = client_for(user)

    assert client.get(URL).status_code in (401, 403)
    assert client.get(f"{URL}{endpoint.pk}/").status_code in (401, 403)
    assert client.post(f"{URL}{endpoint.pk}/rotate-secret/", {}, format="json").status_code in (401, 403)
    assert client.delete(f"{URL}{endpoint.pk}/").status_code in (401, 403)
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).exists()


def test_removing_an_endpoint_is_audited(staff, monkeypatch):
    public_dns(monkeypatch)
    endpoint = endpoint_create(endpoint=WebhookEndpoint(**NEW), by=None).endpoint

    assert staff.delete(f"{URL}{endpoint.pk}/").status_code == 204

    assert not WebhookEndpoint.objects.exists()
    assert AuditEntry.objects.filter(
        target_id=endpoint.pk, action=AuditEntry.Action.DELETED, reason="Webhook endpoint removed."
    ).exists()
