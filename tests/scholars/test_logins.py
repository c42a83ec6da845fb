"""Scholar logins: made by ``scholar_logins_create``, by staff's admin actions (a whole cohort from the cohort
list, a few scholars from the scholar list) and by the demo, each mailed a first sign-in link unless told not to.

Everything goes through the real services, the admin through the test client as staff (or a mentor) would use
it, and the mailed links are followed from ``mail.outbox`` as the scholar would follow them.
"""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohort.models import SignInLink
from cohort.sign_in import LoginOutcome
from mentors.models import Mentor
from mentors.services import MENTORS_GROUP, mentor_logins_create
from scholars.demo import DEMO_SLUG
from scholars.models import Scholar
from scholars.services import scholar_logins_create
from tests.factories import CohortFactory, MentorFactory, MentorshipFactory, ScholarFactory

pytestmark = pytest.mark.django_db

BASE_URL = "http://testserver"
SIGN_IN_LINK = re.compile(rf"{re.escape(BASE_URL)}(?P<path>/sign-in/[A-Za-z0-9_-]+/)")
COHORT_LIST = "admin:cohort_cohort_changelist"
SCHOLAR_LIST = "admin:scholars_scholar_changelist"
INVITED = "login created, sign-in link sent"
INVITED_AGAIN = "has a login, not used yet, sign-in link sent"
SIGNED_IN_BEFORE = "has signed in before: nothing sent (they ask for a link at /sign-in/)"


@pytest.fixture(autouse=True)
def _links_to_the_test_server(settings) -> None:
    settings.PUBLIC_BASE_URL = BASE_URL
    settings.CELERY_TASK_ALWAYS_EAGER = True


class Clock:
    """``django.utils.timezone.now``, pinned: the tests move it, nothing waits."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    pinned = Clock(dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC))
    monkeypatch.setattr(timezone, "now", pinned)
    return pinned


# --- Helpers -----------------------------------------------------------------------------------------------------


def signed_in_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(admin_user) -> Client:
    return signed_in_as(admin_user)


def mentor_client(mentor: Mentor) -> Client:
    """Signed in as a mentor, through a login made as staff make them."""
    mentor_logins_create(mentors=[mentor], invite=False)
    mentor.refresh_from_db()
    return signed_in_as(mentor.user)


def run_action(client: Client, changelist: str, action: str, *rows):
    return client.post(
        reverse(changelist), {"action": action, "_selected_action": [row.pk for row in rows]}, follow=True
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


def action_names(client: Client, changelist: str) -> list[str]:
    """The actions the changelist offers (none at all: the admin shows no action form)."""
    response = client.get(reverse(changelist))
    assert response.status_code == 200
    form = response.context["action_form"]
    return [name for name, _ in form.fields["action"].choices if name] if form is not None else []


def mail_to(address: str):
    [message] = [message for message in mail.outbox if message.to == [address]]
    return message


def link_path_in(message) -> str:
    return SIGN_IN_LINK.search(message.body).group("path")


def follow_sign_in_link(path: str, client: Client | None = None):
    """Open a mailed link and press *Sign in*, as a person does: the page, then the button."""
    client = client or Client()
    confirm = client.get(path)
    if confirm.status_code != 200:
        return confirm
    return client.post(path, {"next": ""}, follow=True)


def usernames(people) -> dict[str, str | None]:
    return {person.name: person.user.username if person.user else None for person in people}


def reloaded(*people):
    for person in people:
        person.refresh_from_db()
    return people


# --- scholar_logins_create -------------------------------------------------------------------------------------


def test_a_scholar_login_is_named_after_their_cohort_and_has_no_password_and_no_admin():
    scholar = ScholarFactory(
        cohort=CohortFactory(slug="spring-27"), slug="ada-lovelace", email="ada@example.org"
    )

    [login] = scholar_logins_create(scholars=[scholar])

    scholar.refresh_from_db()
    user = scholar.user
    assert (login.outcome, login.username, login.emailed) == (
        LoginOutcome.CREATED,
        "spring-27-ada-lovelace",
        True,
    )
    assert (user.username, user.email, user.is_staff, user.is_superuser, user.is_active) == (
        "spring-27-ada-lovelace",
        "ada@example.org",
        False,
        False,
        True,
    )
    assert not user.has_usable_password()
    assert not user.groups.exists()
    assert user.scholar == scholar


def test_scholars_with_the_same_slug_in_two_cohorts_get_a_login_each():
    spring = ScholarFactory(cohort=CohortFactory(slug="spring"), slug="ada")
    autumn = ScholarFactory(cohort=CohortFactory(slug="autumn"), slug="ada")

    logins = scholar_logins_create(scholars=[spring, autumn])

    assert [(login.outcome, login.username) for login in logins] == [
        (LoginOutcome.CREATED, "spring-ada"),
        (LoginOutcome.CREATED, "autumn-ada"),
    ]
    assert {s.user.username for s in reloaded(spring, autumn)} == {"spring-ada", "autumn-ada"}


def test_the_invitation_mails_the_scholar_a_sign_in_link_that_works_for_seven_days(clock):
    scholar = ScholarFactory(name="Ada", email="ada@example.org")

    scholar_logins_create(scholars=[scholar])

    [message] = mail.outbox
    assert (message.to, message.subject) == (["ada@example.org"], "Your cohortops login")
    assert message.body.startswith("Hello Ada,\n")
    assert "within 7 days" in message.body
    assert f"ask for a new link at {BASE_URL}/sign-in/" in message.body
    [link] = SignInLink.objects.filter(user__scholar=scholar)
    assert link.expires_at == clock.now + dt.timedelta(days=7)
    clock.now += dt.timedelta(days=7, minutes=-1)
    assert Client().get(link_path_in(message)).status_code == 200


def test_an_invitation_link_opened_after_seven_days_signs_nobody_in(clock):
    scholar = ScholarFactory()
    scholar_logins_create(scholars=[scholar])
    clock.now += dt.timedelta(days=7, minutes=1)

    response = follow_sign_in_link(link_path_in(mail.outbox[0]))

    assert response.status_code == 410
    assert "_auth_user_id" not in response.client.session


def test_the_invitation_link_signs_the_scholar_in_on_their_own_page():
    scholar = ScholarFactory(name="Ada")
    scholar_logins_create(scholars=[scholar])
    client = Client()

    response = follow_sign_in_link(link_path_in(mail.outbox[0]), client)

    scholar.refresh_from_db()
    assert response.redirect_chain == [("/", 302)]
    assert response.status_code == 200
    assert "pages/scholar_home.html" in [template.name for template in response.templates]
    assert (response.context["user"], response.context["scholar"]) == (scholar.user, scholar)
    assert client.get("/").status_code == 200


def test_an_invitation_link_works_once():
    scholar_logins_create(scholars=[ScholarFactory()])
    path = link_path_in(mail.outbox[0])
    follow_sign_in_link(path)

    assert follow_sign_in_link(path).status_code == 410


def test_without_invite_logins_are_made_and_nobody_is_mailed():
    scholars = [ScholarFactory(name="Ada"), ScholarFactory(name="Bea")]

    logins = scholar_logins_create(scholars=scholars, invite=False)

    assert [(login.outcome, login.emailed) for login in logins] == [(LoginOutcome.CREATED, False)] * 2
    assert all(scholar.user is not None for scholar in reloaded(*scholars))
    assert mail.outbox == []
    assert not SignInLink.objects.exists()


def test_a_scholar_who_has_signed_in_is_not_mailed_again():
    scholar = ScholarFactory()
    scholar_logins_create(scholars=[scholar])
    follow_sign_in_link(link_path_in(mail.outbox[0]))
    mail.outbox.clear()

    # Read afresh, as the admin and the command read the scholars they are given.
    [login] = scholar_logins_create(scholars=Scholar.objects.filter(pk=scholar.pk))

    assert (login.outcome, login.emailed, str(login.outcome)) == (
        LoginOutcome.SIGNED_IN_BEFORE,
        False,
        SIGNED_IN_BEFORE,
    )
    assert mail.outbox == []


# --- Staff's actions in the admin --------------------------------------------------------------------------------


@pytest.fixture
def cohort_people():
    """A cohort with two mentors, two scholars still in the programme and two who left; another cohort beside it."""
    cohort = CohortFactory(slug="spring")
    ada = ScholarFactory(cohort=cohort, name="Ada", slug="ada", status=Scholar.Status.RESEARCH)
    bea = ScholarFactory(cohort=cohort, name="Bea", slug="bea", status=Scholar.Status.TRAINING)
    withdrawn = ScholarFactory(cohort=cohort, name="Cy", slug="cy", status=Scholar.Status.WITHDRAWN)
    alumna = ScholarFactory(cohort=cohort, name="Dee", slug="dee", status=Scholar.Status.ALUMNI)
    cas = MentorFactory(name="Cas", slug="cas")
    grace = MentorFactory(name="Grace", slug="grace")
    for mentor, scholar in ((cas, ada), (cas, withdrawn), (grace, bea), (grace, alumna)):
        MentorshipFactory(mentor=mentor, scholar=scholar)
    elsewhere = MentorshipFactory(
        mentor=MentorFactory(name="Otto"), scholar=ScholarFactory(cohort=CohortFactory(), name="Olga")
    )
    return {
        "cohort": cohort,
        "active": [ada, bea],
        "left": [withdrawn, alumna],
        "mentors": [cas, grace],
        "elsewhere": [elsewhere.mentor, elsewhere.scholar],
    }


def test_inviting_a_cohort_gives_its_mentors_and_active_scholars_logins_and_mails_each(
    staff_client, cohort_people
):
    response = run_action(staff_client, COHORT_LIST, "invite_cohort_people", cohort_people["cohort"])

    assert response.status_code == 200
    assert messages_of(response) == [
        ("success", f"Cas (cas): {INVITED}"),
        ("success", f"Grace (grace): {INVITED}"),
        ("success", f"Ada (spring-ada): {INVITED}"),
        ("success", f"Bea (spring-bea): {INVITED}"),
    ]
    invited = [*cohort_people["mentors"], *cohort_people["active"]]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(person.email for person in invited)
    assert usernames(reloaded(*invited, *cohort_people["left"], *cohort_people["elsewhere"])) == {
        "Cas": "cas",
        "Grace": "grace",
        "Ada": "spring-ada",
        "Bea": "spring-bea",
        "Cy": None,
        "Dee": None,
        "Otto": None,
        "Olga": None,
    }
    cas, _ = cohort_people["mentors"]
    assert (cas.user.is_staff, [group.name for group in cas.user.groups.all()]) == (True, [MENTORS_GROUP])


def test_inviting_a_cohort_again_mails_only_logins_never_used(staff_client, cohort_people):
    run_action(staff_client, COHORT_LIST, "invite_cohort_people", cohort_people["cohort"])
    ada, bea = cohort_people["active"]
    follow_sign_in_link(link_path_in(mail_to(ada.email)))
    mail.outbox.clear()

    response = run_action(staff_client, COHORT_LIST, "invite_cohort_people", cohort_people["cohort"])

    assert messages_of(response) == [
        ("success", f"Cas (cas): {INVITED_AGAIN}"),
        ("success", f"Grace (grace): {INVITED_AGAIN}"),
        ("warning", f"Ada (spring-ada): {SIGNED_IN_BEFORE}"),
        ("success", f"Bea (spring-bea): {INVITED_AGAIN}"),
    ]
    assert ada.email not in {message.to[0] for message in mail.outbox}
    assert len(mail.outbox) == 3
    # The fresh link works like the first one would have.
    response = follow_sign_in_link(link_path_in(mail_to(bea.email)))
    assert (response.status_code, response.context["scholar"]) == (200, bea)


def test_staff_create_logins_for_chosen_scholars_from_the_scholar_list(staff_client):
    cohort = CohortFactory(slug="spring")
    ada = ScholarFactory(cohort=cohort, name="Ada", slug="ada")
    no_address = ScholarFactory(cohort=cohort, name="Bea", slug="bea", email="")
    not_chosen = ScholarFactory(cohort=cohort, name="Cy", slug="cy")

    response = run_action(staff_client, SCHOLAR_LIST, "create_logins", ada, no_address)

    assert messages_of(response) == [
        ("success", f"Ada (spring-ada): {INVITED}"),
        ("warning", "Bea (): no email address: no login created"),
    ]
    assert usernames(reloaded(ada, no_address, not_chosen)) == {"Ada": "spring-ada", "Bea": None, "Cy": None}
    assert [message.to for message in mail.outbox] == [[ada.email]]


def test_staff_are_offered_both_actions(staff_client):
    assert "invite_cohort_people" in action_names(staff_client, COHORT_LIST)
    assert "create_logins" in action_names(staff_client, SCHOLAR_LIST)


def test_a_mentor_is_not_offered_the_scholar_lists_create_logins_and_cannot_post_it():
    mentor = MentorFactory()
    scholar = MentorshipFactory(mentor=mentor).scholar  # theirs: on the mentor's own scholar list
    client = mentor_client(mentor)

    assert "create_logins" not in action_names(client, SCHOLAR_LIST)
    run_action(client, SCHOLAR_LIST, "create_logins", scholar)

    scholar.refresh_from_db()
    assert scholar.user is None
    assert mail.outbox == []


def test_a_mentor_cannot_invite_a_cohort():
    mentor = MentorFactory()
    scholar = MentorshipFactory(mentor=mentor).scholar
    client = mentor_client(mentor)

    response = run_action(client, COHORT_LIST, "invite_cohort_people", scholar.cohort)

    assert response.status_code == 403
    scholar.refresh_from_db()
    assert scholar.user is None
    assert mail.outbox == []


# --- The demo ----------------------------------------------------------------------------------------------------


@pytest.fixture
def demo_output(settings, tmp_path) -> str:
    # The demo writes its admin password under VAR_DIR: here, not over a real demo's.
    settings.VAR_DIR = tmp_path
    call_command("import_seeds", verbosity=0)
    out = StringIO()
    call_command("demo_cohort", stdout=out, no_color=True)
    return out.getvalue()


def test_the_demo_gives_every_sample_scholar_and_mentor_a_login_and_mails_nobody(demo_output):
    scholars = Scholar.objects.filter(cohort__slug=DEMO_SLUG, is_sample=True).select_related("user")
    mentors = (
        Mentor.objects.filter(mentorships__scholar__cohort__slug=DEMO_SLUG).distinct().select_related("user")
    )

    printed = re.search(r"(\d+) mentors, (\d+) sample scholars", demo_output)
    assert (mentors.count(), scholars.count()) == (int(printed[1]), int(printed[2]))
    assert mentors.exists()
    assert scholars.exists()
    assert [s.name for s in scholars if s.user is None] == []
    assert [m.name for m in mentors if m.user is None] == []
    assert {s.user.username for s in scholars} == {f"{DEMO_SLUG}-{s.slug}" for s in scholars}
    assert not any(s.user.is_staff for s in scholars)
    assert all(m.user.is_staff for m in mentors)
    assert mail.outbox == []
    assert not SignInLink.objects.exists()


def test_the_demo_says_how_to_sign_in_as_a_sample_scholar_and_it_works(
    demo_output, django_capture_on_commit_callbacks
):
    first = Scholar.objects.get(cohort__slug=DEMO_SLUG, slug="sample-scholar-01")

    assert f"Sign in as a scholar: open {BASE_URL}/sign-in/, type {first.email} " in demo_output
    mentor_address = re.search(r"\(as a mentor: (\S+)\)\.", demo_output)[1]
    assert Mentor.objects.get(email=mentor_address).user is not None
    # Doing as it says: ask for a link with that address, open the mail, press Sign in.
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/sign-in/", {"email": first.email})
    response = follow_sign_in_link(link_path_in(mail_to(first.email)), client)
    assert (response.status_code, response.context["scholar"]) == (200, first)
