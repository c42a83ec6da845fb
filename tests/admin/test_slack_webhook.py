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
