"""Mentor logins: made by a command or an admin action, each mailed a first sign-in link (cohort.sign_in)."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from cohort.sign_in import LoginOutcome
from mentors.services import MENTORS_GROUP, mentor_logins_create, mentors_group_ensure
from tests.factories import MentorFactory, UserFactory

pytestmark = pytest.mark.django_db


def sign_in_link(message) -> str:
    return re.search(r"https?://\S+/sign-in/\S+/", message.body).group(0)


def test_the_command_gives_a_mentor_a_staff_login_in_the_mentors_group(settings):
    settings.PUBLIC_BASE_URL = "https://cohortops.example"
    mentor = MentorFactory(slug="ada", email="ada@example.org")

    call_command("create_mentor_logins", "--mentor", "ada", stdout=StringIO())

    mentor.refresh_from_db()
    user = mentor.user
    assert (user.username, user.email, user.is_staff, user.is_superuser) == (
        "ada",
        "ada@example.org",
        True,
        False,
    )
    assert not user.has_usable_password()
    assert [group.name for group in user.groups.all()] == [MENTORS_GROUP]
    assert [message.to for message in mail.outbox] == [["ada@example.org"]]
    assert sign_in_link(mail.outbox[0]).startswith("https://cohortops.example/sign-in/")
    assert "7 days" in mail.outbox[0].body


def test_the_mentors_group_may_edit_availability_and_only_view_scholars():
    group = mentors_group_ensure()

    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "add_availability",
        "add_blackout",
        "add_calendarsource",
        "add_extrahours",
        "change_availability",
        "change_blackout",
        "change_calendarsource",
        "change_extrahours",
        "change_meeting",
        "change_meetingseries",
        "change_mentor",
        "delete_availability",
        "delete_blackout",
        "delete_calendarsource",
        "delete_extrahours",
        "view_availability",
        "view_blackout",
        "view_calendarclash",
        "view_calendarsource",
        "view_checkin",
        "view_extrahours",
        "view_meeting",
        "view_meetingfeedback",
        "view_meetingseries",
        "view_mentor",
        "view_mentorship",
        "view_scholar",
        "view_team",
    ]


def test_the_mailed_link_signs_the_mentor_in_on_their_home():
    mentor = MentorFactory()
    mentor_logins_create(mentors=[mentor])
    client = Client()
    path = "/" + sign_in_link(mail.outbox[0]).split("://", 1)[1].split("/", 1)[1]

    response = client.post(path, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    assert response.status_code == 200
    assert response.context["user"] == mentor.user
    assert response.templates[0].name == "pages/mentor_home.html"


def test_a_login_used_before_gets_nothing():
    mentor = MentorFactory()
    mentor_logins_create(mentors=[mentor])
    mentor.refresh_from_db()
    Client().force_login(mentor.user)
    mail.outbox.clear()

    [login] = mentor_logins_create(mentors=[mentor])

    assert (login.outcome, login.emailed) == (LoginOutcome.SIGNED_IN_BEFORE, False)
    assert mail.outbox == []


def test_a_login_never_used_gets_a_fresh_link_at_its_current_address():
    mentor = MentorFactory(email="old@example.org")
    mentor_logins_create(mentors=[mentor])
    mentor.refresh_from_db()
    mentor.email = "new@example.org"
    mentor.save()

    [login] = mentor_logins_create(mentors=[mentor])

    assert (login.outcome, login.emailed) == (LoginOutcome.NOT_SIGNED_IN_YET, True)
    assert [message.to for message in mail.outbox] == [["old@example.org"], ["new@example.org"]]
    mentor.user.refresh_from_db()
    assert mentor.user.email == "new@example.org"


def test_a_mentor_without_an_email_gets_no_login():
    mentor = MentorFactory(email="")

    [login] = mentor_logins_create(mentors=[mentor])

    mentor.refresh_from_db()
    assert (login.outcome, mentor.user, mail.outbox) == (LoginOutcome.NO_EMAIL, None, [])


def test_a_username_taken_by_someone_else_is_reported_not_taken_over():
    mentor = MentorFactory(slug="grace")
    someone = UserFactory(username="grace")

    [login] = mentor_logins_create(mentors=[mentor])

    mentor.refresh_from_db()
    assert (login.outcome, mentor.user) == (LoginOutcome.USERNAME_TAKEN, None)
    assert not someone.groups.exists()


def test_the_command_refuses_an_unknown_slug():
    with pytest.raises(CommandError, match=r"No mentor with slug 'nobody'\."):
        call_command("create_mentor_logins", "--mentor", "nobody", stdout=StringIO())


def test_the_command_without_slugs_covers_every_mentor():
    MentorFactory(name="Ada", slug="ada")
    MentorFactory(name="Grace", slug="grace")
    output = StringIO()

    call_command("create_mentor_logins", stdout=output)

    assert output.getvalue().splitlines() == [
        "Ada (ada): login created, sign-in link sent",
        "Grace (grace): login created, sign-in link sent",
    ]


def test_staff_create_logins_from_the_mentor_list(staff_client):
    mentor = MentorFactory(name="Ada", slug="ada")

    response = staff_client.post(
        reverse("admin:mentors_mentor_changelist"),
        {"action": "create_logins", "_selected_action": [mentor.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["Ada (ada): login created, sign-in link sent"]
    assert Group.objects.get(name=MENTORS_GROUP).user_set.get().username == "ada"
