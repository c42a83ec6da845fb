"""A mentor's own page refuses a webhook URL the outbound policy does not admit, with the reason."""

import pytest
from django.urls import reverse

from tests.admin.conftest import MentorRows, posted_back

pytestmark = pytest.mark.django_db


def test_a_mentor_cannot_point_their_webhook_at_an_internal_address(alice_client, alice: MentorRows):
    url = reverse("admin:mentors_mentor_change", args=[alice.mentor.pk])
    data = posted_back(alice_client.get(url)) | {
        "slack_webhook_url": "http://127.0.0.1:8199/internal-admin/hook"
    }

    response = alice_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "slack_webhook_url": ["Webhook URLs must start with https://."]
    }
    alice.mentor.refresh_from_db()
    assert alice.mentor.slack_webhook_url == ""


def test_a_mentor_sees_why_their_webhook_was_switched_off(alice_client, alice: MentorRows):
    type(alice.mentor).objects.filter(pk=alice.mentor.pk).update(
        slack_webhook_disabled_reason="Slack HTTP 404: no_service"
    )

    page = alice_client.get(reverse("admin:mentors_mentor_change", args=[alice.mentor.pk]))

    assert page.status_code == 200
    assert "Slack HTTP 404: no_service" in page.content.decode()
    assert "slack_webhook_disabled_reason" not in page.context["adminform"].form.fields
