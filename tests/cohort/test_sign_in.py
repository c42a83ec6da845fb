"""Signing in by a single-use link mailed to a scholar or a mentor (cohort.sign_in, cohort.views).

Every request goes through the test client and the real view; the link is mailed by the real Celery task, run
eagerly as the request's transaction commits, and read back from ``mail.outbox``, as a person would follow it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.utils import timezone

from cohort import throttles
from cohort.logging import ScrubSecrets, scrub_secrets
from cohort.models import SignInLink
from cohort.sign_in import LoginOutcome, person_login_ensure
from tests.factories import MentorFactory, ScholarFactory, UserFactory

pytestmark = pytest.mark.django_db

SCHOLAR_ADDRESS = "ada@example.org"
MENTOR_ADDRESS = "grace.hopper@example.org"
LINK_IN_MAIL = re.compile(r"http://testserver(?P<path>/sign-in/(?P<token>[A-Za-z0-9_\-]+)/\S*)")
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
EMAIL_FORM = re.compile(r"<form(?P<attributes>[^>]*)>(?:(?!</form>).)*?name=\"email\"", re.DOTALL)


@pytest.fixture(autouse=True)
def _sign_in_settings(settings) -> None:
    """Links mailed by the task as the request commits, pointing at the test client's host; the documented limits."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.SIGN_IN_LINK_MINUTES = 15
    settings.SIGN_IN_LINK_LIMIT_PER_CLIENT = 10
    settings.SIGN_IN_LINK_LIMIT_PER_ADDRESS = 3
    settings.FAILURE_WINDOW_SECONDS = 900


@pytest.fixture
def throttle_clock(monkeypatch) -> None:
    """The rate limits' clock, pinned 60 seconds into a 900-second window: no window ends mid-test, and a
    refused client waits exactly 840 seconds, 14 minutes."""
    pinned = 1_000 * 900 + 60
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: pinned))


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """POST the sign-in form (to ``path``, from ``using``, the default client otherwise), running the mail task
    on commit."""

    def ask(email: str, *, next: str = "", using: Client | None = None, path: str = "/sign-in/", **request):
        with django_capture_on_commit_callbacks(execute=True):
            return (using or client).post(path, {"email": email, "next": next}, **request)

    return ask


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the configured console handler writes, the one every logger's records reach."""
    [handler] = [h for h in logging.root.handlers if any(isinstance(f, ScrubSecrets) for f in h.filters)]
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


def scholar_login(email: str = SCHOLAR_ADDRESS):
    return ScholarFactory(name="Ada", email=email, user=UserFactory(username="ada", email=email)).user


def mentor_login():
    """As in the admin: a mentor's login is is_staff, with a Mentor row; here the address is only on the row."""
    user = UserFactory(username="grace", email="", is_staff=True)
    MentorFactory(name="Grace", email="Grace.Hopper@Example.org", user=user)
    return user


def the_one_link() -> tuple[str, str]:
    """The path (with its query) and the token of the link in the only mail sent."""
    [message] = mail.outbox
    match = LINK_IN_MAIL.search(message.body)
    assert match is not None, message.body
    return match["path"], match["token"]


def expired_link(user) -> str:
    """The token of a link to ``user`` that expired a minute ago, stored as the app stores one: by its hash."""
    token = "an-expired-sign-in-token-0123456789abcdefghij"
    SignInLink.objects.create(
        user=user,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    return token


def where_the_email_form_goes(page, page_path: str) -> str:
    """Where a browser sends the page's email form: its action, or the page's own URL when it has none."""
    match = EMAIL_FORM.search(page.text)
    assert match is not None, page.text
    action = re.search(r'action="([^"]*)"', match["attributes"])
    return action[1] if action else page_path


def signed_in_user_id(client: Client) -> int | None:
    user_id = client.session.get(SESSION_KEY)
    return int(user_id) if user_id is not None else None


def follow_link(path: str, client: Client | None = None):
    """What a person does with a mailed link: open it, then press the confirmation page's button."""
    client = client or Client()
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, {"next": page.context["next"]})


def page_apart_from(response, email: str) -> str:
    """The page's HTML without what differs by request: the CSRF token and the address typed."""
    return CSRF_TOKEN.sub("CSRF", response.text).replace(email, "ADDRESS")


# --- Asking for a link and following it -------------------------------------------------------------------------


def test_a_scholar_asks_in_any_case_and_the_mailed_link_signs_them_in(ask):
    user = scholar_login()

    asked = ask("ADA@Example.ORG")

    assert asked.status_code == 200
    assert "Check your mail" in asked.text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [SCHOLAR_ADDRESS]
    path, _ = the_one_link()

    client = Client()
    confirm = client.get(path)
    assert confirm.status_code == 200
    assert "pages/sign_in_confirm.html" in [t.name for t in confirm.templates]
    assert signed_in_user_id(client) is None  # opening the link (as a mail scanner does) signs nobody in

    signed_in = client.post(path, {"next": confirm.context["next"]})
    assert (signed_in.status_code, signed_in.url) == (302, "/")
    assert signed_in_user_id(client) == user.pk


def test_a_mentor_signs_in_by_link_and_lands_on_their_home(ask):
    user = mentor_login()

    ask("Grace.HOPPER@example.org")
    path, _ = the_one_link()
    client = Client()
    signed_in = follow_link(path, client)

    assert mail.outbox[0].to == [MENTOR_ADDRESS]
    assert (signed_in.status_code, signed_in.url) == (302, "/")
    assert signed_in_user_id(client) == user.pk
    assert client.get("/").templates[0].name == "pages/mentor_home.html"


def test_the_link_leads_to_the_page_that_asked_for_a_sign_in(ask):
    scholar_login()

    ask(SCHOLAR_ADDRESS, next="/calendars/")
    path, _ = the_one_link()
    signed_in = follow_link(path)

    assert "next=%2Fcalendars%2F" in path
    assert signed_in.url == "/calendars/"


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example", "https://testserver.evil.example/"]
)
def test_a_next_on_another_site_is_ignored(ask, elsewhere):
    scholar_login()

    ask(SCHOLAR_ADDRESS, next=elsewhere)
    path, token = the_one_link()
    # Whether it came through the form or was added to the link afterwards.
    signed_in = Client().post(f"/sign-in/{token}/?next={elsewhere}", {"next": elsewhere})

    assert "next" not in path
    assert (signed_in.status_code, signed_in.url) == (302, "/")


def test_a_link_works_once(ask):
    scholar_login()
    ask(SCHOLAR_ADDRESS)
    path, _ = the_one_link()
    follow_link(path)

    again = Client()
    opened, pressed = again.get(path), again.post(path)

    assert (opened.status_code, pressed.status_code) == (410, 410)
    assert "That sign-in link has expired or was already used" in pressed.text
    assert signed_in_user_id(again) is None


def test_an_expired_link_is_gone():
    token = expired_link(scholar_login())
    client = Client()

    opened, pressed = client.get(f"/sign-in/{token}/"), client.post(f"/sign-in/{token}/")

    assert (opened.status_code, pressed.status_code) == (410, 410)
    assert "That sign-in link has expired or was already used" in opened.text
    assert signed_in_user_id(client) is None


def test_the_page_of_an_expired_link_mails_a_new_one(ask):
    """The page says "Ask for a new one below": its form must ask /sign-in/ for one."""
    page_path = f"/sign-in/{expired_link(scholar_login())}/"
    client = Client()
    page = client.get(page_path)

    asked = ask(SCHOLAR_ADDRESS, using=client, path=where_the_email_form_goes(page, page_path))

    assert (asked.status_code, len(mail.outbox)) == (200, 1)
    assert "Check your mail" in asked.text


def test_an_unknown_link_is_gone():
    client = Client()

    pressed = client.post("/sign-in/no-such-sign-in-token-0123456789abcdefghij/")

    assert pressed.status_code == 410
    assert signed_in_user_id(client) is None


def test_using_a_link_retires_the_logins_other_links(ask):
    user = scholar_login()
    ask(SCHOLAR_ADDRESS)
    first, _ = the_one_link()
    mail.outbox.clear()
    ask(SCHOLAR_ADDRESS)
    second, _ = the_one_link()

    follow_link(second)

    assert Client().post(first).status_code == 410
    assert not SignInLink.objects.filter(user=user, used_at__isnull=True).exists()


def test_only_the_hash_of_the_token_is_stored(ask):
    scholar_login()

    ask(SCHOLAR_ADDRESS)
    _, token = the_one_link()

    [link] = SignInLink.objects.all()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(link, field.attname)) for field in SignInLink._meta.concrete_fields]
    assert not [value for value in stored if token in value]


def test_the_mail_names_how_many_minutes_the_link_works(ask, settings):
    settings.SIGN_IN_LINK_MINUTES = 20
    scholar_login()

    asked = ask(SCHOLAR_ADDRESS)

    [message] = mail.outbox
    assert message.subject == "Your cohortops sign-in link"
    assert "It works once, within 20 minutes." in message.body
    assert "within 20 minutes" in asked.text
    [link] = SignInLink.objects.all()
    assert abs(link.expires_at - link.created_at - dt.timedelta(minutes=20)) < dt.timedelta(seconds=5)


# --- No account enumeration ---------------------------------------------------------------------------------------


def unknown_address() -> str:
    return "nobody@example.org"


def staff_without_a_mentor_row() -> str:
    return UserFactory(username="staff", email="staff@example.org", is_staff=True).email


def superuser_who_is_also_a_mentor() -> str:
    user = UserFactory(username="root", email="root@example.org", is_staff=True, is_superuser=True)
    MentorFactory(email="root@example.org", user=user)
    return user.email


def inactive_scholar_login() -> str:
    user = UserFactory(username="gone", email="gone@example.org", is_active=False)
    ScholarFactory(email="gone@example.org", user=user)
    return user.email


@pytest.mark.parametrize(
    "address_of",
    [unknown_address, staff_without_a_mentor_row, superuser_who_is_also_a_mentor, inactive_scholar_login],
)
def test_an_address_without_a_link_login_gets_the_same_page_and_no_mail(ask, address_of):
    scholar_login()
    known = ask(SCHOLAR_ADDRESS, using=Client())
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    address = address_of()

    other = ask(address, using=Client())

    assert other.status_code == known.status_code == 200
    assert page_apart_from(other, address) == page_apart_from(known, SCHOLAR_ADDRESS)
    assert mail.outbox == []
    assert not SignInLink.objects.exclude(user__username="ada").exists()


# --- Rate limits ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("has_a_login", [True, False])
def test_a_fourth_link_for_one_address_in_the_window_is_refused(ask, throttle_clock, has_a_login):
    if has_a_login:
        scholar_login()
    spellings = ["ada@example.org", "ADA@example.org", "Ada@Example.org", "ada@EXAMPLE.ORG"]

    answers = [
        ask(spelling, using=Client(REMOTE_ADDR=f"192.0.2.{n}")) for n, spelling in enumerate(spellings)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert "Too many sign-in links asked for lately. Try again in 14 minutes." in answers[-1].text
    assert len(mail.outbox) == (3 if has_a_login else 0)
    assert ask("someone.else@example.org").status_code == 200


def test_an_eleventh_link_from_one_client_is_refused(ask, throttle_clock):
    answers = [ask(f"person{n}@example.org") for n in range(11)]

    assert [answer.status_code for answer in answers] == [200] * 10 + [429]
    assert "Try again in 14 minutes." in answers[-1].text
    assert ask("person10@example.org", using=Client(REMOTE_ADDR="192.0.2.99")).status_code == 200


def test_an_invalid_address_is_refused_by_the_field(ask):
    asked = ask("not an address")

    assert asked.status_code == 400
    assert asked.context["form"].errors == {"email": ["That is not an email address."]}
    assert "That is not an email address." in asked.text
    assert mail.outbox == []


# --- Signing out, and logs --------------------------------------------------------------------------------------


def test_signing_out_takes_a_post(client):
    user = scholar_login()
    client.force_login(user)

    assert client.get("/sign-out/").status_code == 405
    assert signed_in_user_id(client) == user.pk

    signed_out = client.post("/sign-out/")
    assert (signed_out.status_code, signed_out.url) == (302, "/sign-in/")
    assert signed_in_user_id(client) is None
    assert "You are signed out." in client.get(signed_out.url).text


def test_the_token_of_a_sign_in_link_is_scrubbed_from_a_log_line():
    token = "Zm9vYmFyLXNpZ24taW4tc2VjcmV0LTAxMjM0NTY3ODk"

    line = scrub_secrets(f'"POST /sign-in/{token}/?next=%2Fcalendars%2F HTTP/1.1" 302 0')

    assert line == '"POST /sign-in/[token]/?next=%2Fcalendars%2F HTTP/1.1" 302 0'


def test_a_refused_link_is_logged_without_its_token(ask, console_log):
    scholar_login()
    ask(SCHOLAR_ADDRESS)
    path, token = the_one_link()
    follow_link(path)

    assert Client().post(path).status_code == 410  # Django's request logger writes a warning for it

    written = console_log.getvalue()
    assert "Gone: /sign-in/[token]/" in written
    assert token not in written


# --- Who may sign in by a link, checked again when it is used -------------------------------------------------------


def _give_staff_rights(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="change_user"))


def _make_superuser(user) -> None:
    user.is_superuser = True
    user.save()


def _deactivate(user) -> None:
    user.is_active = False
    user.save()


@pytest.mark.parametrize("change", [_give_staff_rights, _make_superuser, _deactivate])
def test_a_link_stops_working_once_its_login_could_do_more_than_a_mentor_or_is_gone(ask, change):
    user = mentor_login()
    ask(MENTOR_ADDRESS)
    path, _ = the_one_link()

    change(user)
    client = Client()

    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    assert signed_in_user_id(client) is None


def test_a_mentor_login_with_any_other_group_gets_no_link(ask):
    user = mentor_login()
    user.groups.add(Group.objects.create(name="Programme staff"))

    ask(MENTOR_ADDRESS)

    assert mail.outbox == []


def test_the_old_address_left_on_a_login_gets_no_link_once_staff_correct_the_person(ask):
    """Staff correct a mistyped address on the scholar's row: the one the login still carries stops working."""
    user = scholar_login()
    user.email = "ada-old@example.org"
    user.save()

    ask("ada-old@example.org")

    assert mail.outbox == []
    ask(SCHOLAR_ADDRESS)
    assert [message.to for message in mail.outbox] == [[SCHOLAR_ADDRESS]]


def test_a_staff_login_linked_to_a_person_is_reported_and_left_alone():
    staff = UserFactory(username="ops", email="ops@example.org", is_staff=True)
    _give_staff_rights(staff)
    scholar = ScholarFactory(name="Ops Person", email="ops-new@example.org", user=staff)

    login = person_login_ensure(scholar, username="ignored")

    assert login.outcome == LoginOutcome.STAFF_LOGIN
    staff.refresh_from_db()
    assert (staff.email, list(staff.groups.all())) == ("ops@example.org", [])
