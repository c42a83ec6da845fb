"""Each role sees what it should in the admin: a mentor only their own rows, staff everything, scholars nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.admin.conftest import MentorRows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Each admin a mentor may open, and the row of MentorRows it lists.
MENTOR_PAGES = [
    ("mentors", "mentor", "mentor"),
    ("mentors", "availability", "availability"),
    ("scholars", "blackout", "blackout"),
    ("scholars", "scholar", "scholar"),
    ("scholars", "mentorship", "mentorship"),
    ("scholars", "team", "team"),
    ("scholars", "checkin", "check_in"),
    ("scheduling", "meetingseries", "series"),
    ("scheduling", "meeting", "meeting"),
]
STAFF_ONLY_PAGES = [
    ("cohort", "cohort"),
    ("cohort", "stream"),
    ("mentors", "importwarning"),
    ("scheduling", "planrun"),
    ("scheduling", "notification"),
    ("scheduling", "deliveryattempt"),
    ("scheduling", "feedtoken"),
]


def listed_ids(client: Client, app: str, model: str) -> set[int]:
    response = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize(("app", "model", "field"), MENTOR_PAGES)
def test_a_mentor_lists_only_their_own_rows(
    alice_client, alice: MentorRows, bob: MentorRows, app, model, field
):
    assert listed_ids(alice_client, app, model) == {getattr(alice, field).pk}


@pytest.mark.parametrize(("app", "model", "field"), MENTOR_PAGES)
def test_a_mentor_opens_their_own_row(alice_client, alice: MentorRows, app, model, field):
    response = alice_client.get(reverse(f"admin:{app}_{model}_change", args=[getattr(alice, field).pk]))

    assert response.status_code == 200


@pytest.mark.parametrize(("app", "model", "field"), MENTOR_PAGES)
def test_another_mentors_row_does_not_exist_for_a_mentor(alice_client, bob: MentorRows, app, model, field):
    response = alice_client.get(
        reverse(f"admin:{app}_{model}_change", args=[getattr(bob, field).pk]), follow=True
    )

    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert "doesn’t exist" in next(str(m) for m in response.context["messages"])


@pytest.mark.parametrize(("app", "model", "field"), MENTOR_PAGES)
def test_staff_list_every_mentors_rows(staff_client, alice: MentorRows, bob: MentorRows, app, model, field):
    assert listed_ids(staff_client, app, model) == {getattr(alice, field).pk, getattr(bob, field).pk}


def test_a_mentor_cannot_change_another_mentors_availability_by_posting(alice_client, bob: MentorRows):
    url = reverse("admin:mentors_mentor_change", args=[bob.mentor.pk])

    response = alice_client.post(url, {"name": "Taken over", "availability-TOTAL_FORMS": "0"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    bob.mentor.refresh_from_db()
    assert bob.mentor.name == "Bob"


def test_a_mentor_cannot_move_another_mentors_meeting(alice_client, bob: MentorRows):
    response = alice_client.get(reverse("admin:scheduling_meeting_move", args=[bob.meeting.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize(("app", "model"), STAFF_ONLY_PAGES)
def test_a_mentor_is_refused_the_staff_pages(alice_client, app, model):
    response = alice_client.get(reverse(f"admin:{app}_{model}_changelist"))

    assert response.status_code == 403


def test_a_mentor_is_not_offered_the_staff_actions(alice_client):
    response = alice_client.get(reverse("admin:mentors_mentor_changelist"))

    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert actions == ["", "rotate_feed_links"]


def test_a_mentor_sees_the_admin_index_with_only_their_models(alice_client):
    response = alice_client.get(reverse("admin:index"))

    models = {
        (app["app_label"], m["object_name"]) for app in response.context["app_list"] for m in app["models"]
    }
    # Their hours and time away are edited on their home and their mentor page: no read-only list of them.
    assert models == {
        ("mentors", "Mentor"),
        ("scholars", "Scholar"),
        ("scholars", "Mentorship"),
        ("scholars", "Team"),
        ("scholars", "CheckIn"),
        ("scheduling", "MeetingSeries"),
        ("scheduling", "Meeting"),
        ("scheduling", "CalendarClash"),
        ("scheduling", "MeetingFeedback"),
    }


def test_a_scholar_cannot_enter_the_admin(alice: MentorRows):
    user = UserFactory(username="scholar-login")
    alice.scholar.user = user
    alice.scholar.save()
    client = Client()
    client.force_login(user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
