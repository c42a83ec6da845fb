"""Every mail cohortops sends, with every link in it followed to a 200 for its recipient.

Each mail is made by the code that makes it in production and read back from ``mail.outbox``:

- notification mails (every kind, and each recipient of a pair health finding): rows written by the real services
  (``sync_meeting_notifications``, the digest, escalation and health writers), rendered by ``compose_message`` and
  delivered through the email channel;
- the sign-in link a scholar or a mentor asks for at /sign-in/ (mailed by the real Celery task, run eagerly as the
  request commits);
- the invitations ``scholar_logins_create`` and ``mentor_logins_create`` mail to a new login;
- Django's admin password reset, asked for by staff at /admin/password_reset/.

Every http(s) URL in a mail's text (and in its attachments) and every href in its HTML part must point at
``PUBLIC_BASE_URL``, and opens, with a test client signed in as the recipient, to a 200 that is not a sign-in page.
Links that are how one signs in (sign-in links, invitations, password resets) are opened without a session, as the
recipient would, and completed (the *Sign in* button pressed, a password chosen): they must leave the recipient
signed in, on a 200.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.mime.base import MIMEBase
from html.parser import HTMLParser

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import mail
from django.core.mail import EmailMessage
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from cohort.models import Cohort
from mentors.models import Mentor
from mentors.services import mentor_logins_create
from scheduling.channels import deliver, loggable_webhook
from scheduling.models import Meeting, Notification, WebhookEndpoint
from scheduling.notifications.messages import compose_message
from scheduling.notifications.oversight import (
    escalate_dead_webhook,
    write_check_in_digests,
)
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.notifications.webhooks import endpoint_failed
from scheduling.services.health import cohort_health_sync
from scheduling.services.webhooks import endpoint_create
from scholars.models import BusyBlock, CalendarSource, Scholar
from scholars.services import scholar_logins_create
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    CheckInFactory,
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)
from tests.meeting_rows import cancel_meeting, move_meeting

pytestmark = pytest.mark.django_db

BASE_URL = "http://testserver"
Kind = Notification.Kind
UTC = dt.UTC
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # the Monday the cohort starts
FIRST_WEEK = dt.date(2027, 1, 4)
MEETINGS_AT = (dt.datetime(2027, 1, 6, 10, 0, tzinfo=UTC), dt.datetime(2027, 1, 13, 10, 0, tzinfo=UTC))
SLACK_WEBHOOK = "https://hooks.slack.com/services/T000/B000/not-a-real-secret"
NEW_PASSWORD = "a long passphrase nobody guesses 2027"

# Where a signed-in recipient must not end up: being asked to sign in means the link failed them.
SIGN_IN_PAGES = frozenset({"/sign-in/", "/admin/login/"})
# Link paths, as regular expressions a whole path must match.
HOME = r"/"
SIGN_IN_PAGE = r"/sign-in/"
SIGN_IN_LINK = r"/sign-in/[A-Za-z0-9_-]+/"
PASSWORD_RESET_LINK = r"/reset/[^/]+/[^/]+/"

URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")
TRAILING_PUNCTUATION = ".,;:!?)]"


# --- The scenario ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """A running cohort with one mentor and their scholar (two weekly 1-on-1s ahead), both with logins made as the
    demo makes them (no mail), and a staff user who receives escalations."""

    cohort: Cohort
    mentor: Mentor
    scholar: Scholar
    meetings: tuple[Meeting, ...]
    staff: AbstractBaseUser
    run_on_commit: Callable[..., AbstractContextManager]


def build_world(staff: AbstractBaseUser, run_on_commit: Callable[..., AbstractContextManager]) -> World:
    cohort = CohortFactory(start_date=FIRST_WEEK, end_date=dt.date(2027, 3, 26))
    mentor = MentorFactory(name="Cas Mentor", cadence=WEEKLY_ONE_ON_ONE.to_dict())
    scholar = ScholarFactory(cohort=cohort, name="Ada Scholar")
    MentorshipFactory(mentor=mentor, scholar=scholar)
    series = MeetingSeriesFactory(cohort=cohort, mentor=mentor, scholars=[scholar])
    meetings = tuple(MeetingFactory(series=series, starts_at=at) for at in MEETINGS_AT)
    mentor_logins_create(mentors=[mentor], invite=False)
    scholar_logins_create(scholars=[scholar], invite=False)
    mentor.refresh_from_db()
    scholar.refresh_from_db()
    assert mail.outbox == []
    return World(cohort, mentor, scholar, meetings, staff, run_on_commit)


@pytest.fixture
def world(admin_user, settings, django_capture_on_commit_callbacks) -> World:
    settings.PUBLIC_BASE_URL = BASE_URL
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.STAFF_ALERT_EMAILS = [admin_user.email]
    return build_world(admin_user, django_capture_on_commit_callbacks)


# --- One mail of each kind -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentMail:
    """A mail as it left, who it is for, and which paths it must link to.

    ``finish_sign_in``: for a mail whose ``sign_in_link`` is how its recipient signs in, what they do on the page
    that link opens (press *Sign in*, choose a password); such links are opened without a session.
    """

    message: EmailMessage
    recipient: AbstractBaseUser
    links_to: tuple[str, ...]
    sign_in_link: str | None = None
    finish_sign_in: Callable[[Client, HttpResponse], HttpResponse] | None = None


def only_mail() -> EmailMessage:
    [message] = mail.outbox
    return message


def notification_mail(recipient: AbstractBaseUser, *, links_to: tuple[str, ...] = (HOME,), **row) -> SentMail:
    """The email row matching ``row``, loaded as the dispatcher loads it, composed and delivered."""
    notification = (
        Notification.objects.select_related(
            "meeting__series__mentor", "recipient_mentor", "recipient_scholar"
        )
        .prefetch_related("meeting__series__scholars")
        .get(channel=Notification.Channel.EMAIL, **row)
    )
    deliver(compose_message(notification, as_of=notification.due_at))
    return SentMail(only_mail(), recipient, links_to=links_to)


def meeting_rows_written(world: World) -> None:
    sync_meeting_notifications(meetings=list(world.meetings), now=NOW)


def reminder_to_the_scholar(world: World) -> SentMail:
    meeting_rows_written(world)
    return notification_mail(
        world.scholar.user,
        kind=Kind.REMINDER,
        meeting=world.meetings[0],
        recipient_scholar=world.scholar,
        payload__offset_minutes=15,
    )


def reminder_to_the_mentor(world: World) -> SentMail:
    meeting_rows_written(world)
    return notification_mail(
        world.mentor.user,
        kind=Kind.REMINDER,
        meeting=world.meetings[0],
        recipient_mentor=world.mentor,
        payload__offset_minutes=1440,
    )


def change_notice(world: World) -> SentMail:
    meeting_rows_written(world)
    move_meeting(world.meetings[0], to=MEETINGS_AT[0] + dt.timedelta(days=1))
    meeting_rows_written(world)
    return notification_mail(world.scholar.user, kind=Kind.CHANGE, recipient_scholar=world.scholar)


def cancellation_notice(world: World) -> SentMail:
    meeting_rows_written(world)
    cancel_meeting(world.meetings[0])
    meeting_rows_written(world)
    return notification_mail(world.mentor.user, kind=Kind.CANCELLATION, recipient_mentor=world.mentor)


def check_in_prompt(world: World) -> SentMail:
    meeting_rows_written(world)
    return notification_mail(
        world.scholar.user,
        links_to=(HOME, f"/check-in/{FIRST_WEEK.isoformat()}/"),
        kind=Kind.CHECKIN_PROMPT,
        recipient_scholar=world.scholar,
        payload__week_start=FIRST_WEEK.isoformat(),
    )


def check_in_digest(world: World) -> SentMail:
    CheckInFactory(scholar=world.scholar, week_start=FIRST_WEEK, progress="Reproduced the baseline.")
    write_check_in_digests(as_of=NOW)
    return notification_mail(world.mentor.user, kind=Kind.CHECKIN_DIGEST, recipient_mentor=world.mentor)


def health_finding(world: World) -> None:
    # Four weeks in, a weekly cadence asked for a meeting each week; only the first two weeks had one.
    cohort_health_sync(cohort=world.cohort, as_of=dt.datetime(2027, 2, 1, 12, 0, tzinfo=UTC))


def health_finding_to_staff(world: World) -> SentMail:
    health_finding(world)
    return notification_mail(
        world.staff,
        links_to=(
            r"/admin/scheduling/healthfinding/\d+/change/",
            rf"/admin/cohort/cohort/{world.cohort.pk}/week/",
        ),
        kind=Kind.HEALTH_FINDING,
        recipient_email=world.staff.email,
        payload__rule="behind_cadence",
    )


def health_finding_to_the_mentor(world: World) -> SentMail:
    health_finding(world)
    return notification_mail(
        world.mentor.user,
        kind=Kind.HEALTH_FINDING,
        recipient_mentor=world.mentor,
        payload__rule="behind_cadence",
    )


def feedback_request_to_the_scholar(world: World) -> SentMail:
    meeting_rows_written(world)
    # The page the link opens rates a meeting that is over; the mail goes out once it is.
    meeting = world.meetings[0]
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=2), ends_at=timezone.now() - dt.timedelta(hours=1)
    )
    return notification_mail(
        world.scholar.user,
        links_to=(r"/feedback/[^/]+/",),
        kind=Kind.FEEDBACK_REQUEST,
        meeting=meeting,
        recipient_scholar=world.scholar,
    )


def escalation_of_a_dead_slack_webhook(world: World) -> SentMail:
    escalate_dead_webhook(
        person=world.mentor,
        webhook_url=SLACK_WEBHOOK,
        webhook=loggable_webhook(SLACK_WEBHOOK),
        detail="Slack answered 404: no_service",
        as_of=NOW,
    )
    return notification_mail(world.staff, kind=Kind.ESCALATION, payload__reason="dead_webhook")


def webhook_endpoint_switched_off(world: World) -> SentMail:
    endpoint = endpoint_create(
        endpoint=WebhookEndpoint(
            name="CRM",
            url="https://hooks.example.org/in",
            events=["meeting.planned"],
            disable_after_failures=1,
        ),
        by=world.staff,
    ).endpoint
    endpoint_failed(endpoint, detail="Endpoint HTTP 503: down", now=timezone.now())
    return notification_mail(
        world.staff,
        links_to=(r"/admin/scheduling/webhookendpoint/\d+/change/",),
        kind=Kind.ENDPOINT_DISABLED,
        recipient_email=world.staff.email,
    )


def busy_mentor(world: World) -> None:
    """The mentor's own calendar shows them busy during the first meeting; the meeting rows then flag it."""
    source = CalendarSource.objects.create(
        mentor=world.mentor, url_encrypted="-", url_hint="calendar.example/…"
    )
    BusyBlock.objects.create(
        source=source,
        starts_at=MEETINGS_AT[0] - dt.timedelta(minutes=30),
        ends_at=MEETINGS_AT[0] + dt.timedelta(hours=1),
    )
    meeting_rows_written(world)


def clash_notice_to_the_busy_mentor(world: World) -> SentMail:
    busy_mentor(world)
    return notification_mail(
        world.mentor.user,
        links_to=(HOME, f"/admin/scheduling/meeting/{world.meetings[0].pk}/change/"),
        kind=Kind.CLASH,
        recipient_mentor=world.mentor,
    )


def clash_notice_to_staff(world: World) -> SentMail:
    busy_mentor(world)
    return notification_mail(
        world.staff,
        links_to=(HOME, f"/admin/scheduling/meeting/{world.meetings[0].pk}/change/"),
        kind=Kind.CLASH,
        recipient_email=world.staff.email,
    )


def press_sign_in(client: Client, confirm_page: HttpResponse) -> HttpResponse:
    """The confirm page's only button posts back to the link it was opened from."""
    return client.post(confirm_page.request["PATH_INFO"], {"next": ""}, follow=True)


def choose_a_password(client: Client, set_password_page: HttpResponse) -> HttpResponse:
    assert set_password_page.context["validlink"]
    password = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    return client.post(set_password_page.request["PATH_INFO"], password, follow=True)


def sign_in_link_mail(recipient: AbstractBaseUser) -> SentMail:
    return SentMail(
        only_mail(),
        recipient,
        links_to=(SIGN_IN_LINK, SIGN_IN_PAGE),
        sign_in_link=SIGN_IN_LINK,
        finish_sign_in=press_sign_in,
    )


def asked_for_at_the_sign_in_page(world: World, email: str) -> None:
    with world.run_on_commit(execute=True):
        response = Client().post("/sign-in/", {"email": email})
    assert response.status_code == 200


def sign_in_link_for_the_scholar(world: World) -> SentMail:
    asked_for_at_the_sign_in_page(world, world.scholar.email)
    return sign_in_link_mail(world.scholar.user)


def sign_in_link_for_the_mentor(world: World) -> SentMail:
    asked_for_at_the_sign_in_page(world, world.mentor.email)
    return sign_in_link_mail(world.mentor.user)


def invitation_of_a_new_scholar(world: World) -> SentMail:
    newcomer = ScholarFactory(cohort=world.cohort, name="Bea Newcomer")
    scholar_logins_create(scholars=[newcomer])
    newcomer.refresh_from_db()
    return sign_in_link_mail(newcomer.user)


def invitation_of_a_new_mentor(world: World) -> SentMail:
    newcomer = MentorFactory(name="Grace Newcomer")
    mentor_logins_create(mentors=[newcomer])
    newcomer.refresh_from_db()
    return sign_in_link_mail(newcomer.user)


def staff_password_reset(world: World) -> SentMail:
    response = Client().post("/admin/password_reset/", {"email": world.staff.email}, follow=True)
    assert response.status_code == 200
    return SentMail(
        only_mail(),
        world.staff,
        links_to=(PASSWORD_RESET_LINK,),
        sign_in_link=PASSWORD_RESET_LINK,
        finish_sign_in=choose_a_password,
    )


# Each mail kind, and the notification kind it is a row of (None: not a notification).
MAILS: dict[str, tuple[Callable[[World], SentMail], str | None]] = {
    "reminder to a scholar": (reminder_to_the_scholar, Kind.REMINDER),
    "reminder to a mentor": (reminder_to_the_mentor, Kind.REMINDER),
    "change notice": (change_notice, Kind.CHANGE),
    "cancellation notice": (cancellation_notice, Kind.CANCELLATION),
    "check-in prompt": (check_in_prompt, Kind.CHECKIN_PROMPT),
    "check-in digest": (check_in_digest, Kind.CHECKIN_DIGEST),
    "feedback request to a scholar": (feedback_request_to_the_scholar, Kind.FEEDBACK_REQUEST),
    "pair health finding to staff": (health_finding_to_staff, Kind.HEALTH_FINDING),
    "pair health finding to the mentor": (health_finding_to_the_mentor, Kind.HEALTH_FINDING),
    "escalation: dead Slack webhook": (escalation_of_a_dead_slack_webhook, Kind.ESCALATION),
    "webhook endpoint switched off": (webhook_endpoint_switched_off, Kind.ENDPOINT_DISABLED),
    "calendar clash to the busy mentor": (clash_notice_to_the_busy_mentor, Kind.CLASH),
    "calendar clash to staff": (clash_notice_to_staff, Kind.CLASH),
    "sign-in link for a scholar": (sign_in_link_for_the_scholar, None),
    "sign-in link for a mentor": (sign_in_link_for_the_mentor, None),
    "scholar invitation": (invitation_of_a_new_scholar, None),
    "mentor invitation": (invitation_of_a_new_mentor, None),
    "staff password reset": (staff_password_reset, None),
}


# --- Reading links out of a mail -------------------------------------------------------------------------------


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(value for name, value in attrs if name in ("href", "src") and value)


def urls_in_text(text: str) -> list[str]:
    return [url.rstrip(TRAILING_PUNCTUATION) for url in URL_IN_TEXT.findall(text)]


def hrefs_in_html(html: str) -> list[str]:
    parser = _Hrefs()
    parser.feed(html)
    parser.close()
    return parser.found


def html_part(message: EmailMessage) -> str | None:
    html = [content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"]
    assert len(html) <= 1
    return html[0] if html else None


def text_attachments(message: EmailMessage) -> Iterator[str]:
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            if attachment.get_content_maintype() == "text":
                yield attachment.get_payload(decode=True).decode()
        elif isinstance(attachment.content, str):
            yield attachment.content


def links_in(message: EmailMessage) -> list[str]:
    """Every http(s) URL in the text part and text attachments, and every href (or src) in the HTML part."""
    links = urls_in_text(message.body)
    for text in text_attachments(message):
        links += urls_in_text(text)
    html = html_part(message)
    return links + (hrefs_in_html(html) if html is not None else [])


def path_of(link: str) -> str:
    return "/" + link.removeprefix(BASE_URL).lstrip("/").split("?", 1)[0]


def signed_in_as(user: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def final_path(response: HttpResponse) -> str:
    return response.request["PATH_INFO"]


# --- The tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(MAILS))
def test_every_link_in_the_mail_opens_for_its_recipient(kind, world):
    make_mail, _ = MAILS[kind]
    sent = make_mail(world)
    message = sent.message
    links = links_in(message)

    assert message.to == [sent.recipient.email]
    assert [link for link in links if not link.startswith(f"{BASE_URL}/")] == []
    for wanted in sent.links_to:
        assert any(re.fullmatch(wanted, path_of(link)) for link in links), (wanted, links)
    html = html_part(message)
    if html is not None:
        # Whoever reads the plain text is sent to the same places as whoever reads the HTML.
        assert set(hrefs_in_html(html)) == set(urls_in_text(message.body))

    for link in dict.fromkeys(links):
        if sent.sign_in_link is None:
            response = signed_in_as(sent.recipient).get(link, follow=True)
            assert (link, response.status_code) == (link, 200)
            assert final_path(response) not in SIGN_IN_PAGES, (link, response.redirect_chain)
            assert response.wsgi_request.user == sent.recipient
            continue
        client = Client()
        response = client.get(link, follow=True)
        assert (link, response.status_code) == (link, 200)
        if re.fullmatch(sent.sign_in_link, path_of(link)):
            response = sent.finish_sign_in(client, response)
            assert (link, response.status_code) == (link, 200)
            assert final_path(response) not in SIGN_IN_PAGES, (link, response.redirect_chain)
            assert response.wsgi_request.user == sent.recipient


def test_every_kind_of_notification_has_a_mail_above():
    covered = {notification_kind for _, notification_kind in MAILS.values() if notification_kind}

    # A webhook event is a signed POST to an integration, never a mail (tests/scheduling/test_webhooks.py).
    assert covered == set(Kind.values) - {Kind.WEBHOOK_EVENT}


def test_a_sign_in_link_lands_a_scholar_and_a_mentor_on_their_own_page(world):
    landings = {}
    for person in (world.scholar, world.mentor):
        mail.outbox.clear()
        asked_for_at_the_sign_in_page(world, person.email)
        [link] = [link for link in links_in(only_mail()) if re.fullmatch(SIGN_IN_LINK, path_of(link))]
        client = Client()

        response = press_sign_in(client, client.get(link))

        landings[person.name] = (final_path(response), response.templates[0].name)

    assert landings == {
        world.scholar.name: ("/", "pages/scholar_home.html"),
        world.mentor.name: ("/", "pages/mentor_home.html"),
    }


def test_the_password_reset_link_follows_the_public_base_url_not_the_host_asked_from(world, settings):
    """A staff member who asks from another name of the server (an internal one a proxy forwards as, say) is
    still mailed a link at the public address, as every other mail is."""
    settings.PUBLIC_BASE_URL = "https://cohortops.example"
    settings.ALLOWED_HOSTS = ["cohortops.example", "internal.cohortops.test"]

    Client().post("/admin/password_reset/", {"email": world.staff.email}, HTTP_HOST="internal.cohortops.test")

    [link] = urls_in_text(only_mail().body)
    assert link.startswith("https://cohortops.example/reset/")
