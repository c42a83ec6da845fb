"""A scholar's and a mentor's own calendars on the shared /calendars/ page: adding one (read at once on a worker,
against a real HTTP server on 127.0.0.1), what the page shows of it, refusing an address, removing one, and the
meetings it clashes with. The secret address is never shown back: only its hint."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from cohort import encryption
from cohort.signals import busy_times_changed
from mentors.models import Mentor
from scheduling.models import CalendarClash
from scholars.calendar_sources import calendar_source_set_url
from scholars.models import BusyBlock, CalendarSource
from tests.factories import (
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    ScholarFactory,
    UserFactory,
)
from tests.integration.servers import CalendarRoute, calendar_server
from tests.scholars.calendar_files import calendar_busy_at

pytestmark = pytest.mark.django_db

SECRET = "private-3f9a77c0"  # the part of the address that is a credential
SECRET_PATH = f"/calendar/ical/ada/{SECRET}/basic.ics"
HINT = "127.0.0.1/…/basic.ics"
Status = CalendarSource.Status


def three_busy_times_ahead() -> bytes:
    """Three busy hours in the days ahead of now (whatever day the tests run), and one long past (not kept)."""
    base = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    return calendar_busy_at(
        [base - dt.timedelta(days=30), base, base + dt.timedelta(days=1), base + dt.timedelta(days=2)]
    )


@pytest.fixture
def server(settings):
    """The tests' calendar host on 127.0.0.1 (admitted by the outbound policy in tests only)."""
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.CALENDAR_TIMEOUT_SECONDS = 2
    with calendar_server() as running:
        yield running


@pytest.fixture
def worker(settings, django_capture_on_commit_callbacks):
    """Runs what a request hands the worker once its transaction commits: Celery eager, on_commit executed."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def run(call):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = call()
        return response, callbacks

    return run


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def a_scholar(name: str = "Ada"):
    return ScholarFactory(name=name, user=UserFactory(username=f"scholar-{name.lower()}"))


def a_mentor(name: str = "Mira"):
    return MentorFactory(name=name, user=UserFactory(username=f"mentor-{name.lower()}"))


PEOPLE = {"scholar": a_scholar, "mentor": a_mentor}


def source_of(person, *, url: str = "https://calendar.example.org/secret-xyz/basic.ics", **fields):
    owner = {"mentor" if isinstance(person, Mentor) else "scholar": person}
    source = CalendarSource(**owner, label=fields.pop("label", ""))
    calendar_source_set_url(source, url)
    for name, value in fields.items():
        setattr(source, name, value)
    source.save()
    return source


def sources_section(page) -> str:
    text = page.content.decode()
    start = text.index('id="busy-calendars"')
    return text[start : text.index("</section>", start)]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Adding one's own calendar -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", PEOPLE)
def test_a_person_adds_their_calendar_and_it_is_read_at_once(role, server, worker):
    person = PEOPLE[role]()
    server.routes[SECRET_PATH] = CalendarRoute(body=three_busy_times_ahead())
    client = client_of(person.user)

    response, callbacks = worker(
        lambda: client.post("/calendars/busy/", {"url": server.url(SECRET_PATH), "label": "Work"})
    )

    assert (response.status_code, response.url) == (302, "/calendars/")
    assert len(callbacks) >= 1
    [source] = CalendarSource.objects.all()
    assert source.owner == person
    assert (source.mentor_id is not None) == (role == "mentor")
    assert encryption.decrypt(source.url_encrypted) == server.url(SECRET_PATH)
    assert [path for path, _ in server.requests] == [SECRET_PATH]
    assert (source.status, source.status_detail) == (Status.OK, "")
    assert source.busy_blocks.count() == 3
    page = client.get("/calendars/")
    assert messages_of(page) == [f"Calendar added ({HINT}): it is read in a moment, then every so often."]
    section = sources_section(page)
    assert re.search(r"Read \w{3} \d{1,2} \w{3}, \d\d:\d\d: 3 busy times ahead\.", section), section
    assert '<span class="what">Work</span>' in section
    assert f'<span class="who">{escape(HINT)}</span>' in section


@pytest.mark.parametrize("role", PEOPLE)
def test_the_secret_part_of_the_address_never_appears_on_a_page(role, server, worker):
    person = PEOPLE[role]()
    server.routes[SECRET_PATH] = CalendarRoute(body=three_busy_times_ahead())
    client = client_of(person.user)

    response, _ = worker(
        lambda: client.post("/calendars/busy/", {"url": server.url(SECRET_PATH)}, follow=True)
    )

    assert response.status_code == 200
    assert CalendarSource.objects.get().status == Status.OK
    pages = [response, client.get("/calendars/"), client.get("/")]
    for page in pages:
        assert page.status_code == 200
        assert SECRET not in page.content.decode()
    # Without a label the hint names the calendar.
    assert f'<span class="what">{escape(HINT)}</span>' in sources_section(pages[1])


def test_a_calendar_added_before_the_worker_reads_it_is_waiting():
    scholar = a_scholar()
    client = client_of(scholar.user)
    client.post("/calendars/busy/", {"url": "https://calendar.example.org/secret-xyz/basic.ics"})

    page = client.get("/calendars/")

    [source] = CalendarSource.objects.all()
    assert source.status == Status.PENDING
    assert "Waiting to be read." in sources_section(page)
    assert "secret-xyz" not in page.content.decode()
    assert "calendar.example.org/…/basic.ics" in page.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.org/x.ics", "Calendar URLs must start with https://."),
        ("https://10.0.0.1/x.ics", "10.0.0.1 resolves to a private address."),
        ("https://127.0.0.1/x.ics", "127.0.0.1 resolves to a loopback address."),
        (
            "https://user:pw@calendar.example.org/x.ics",
            "Calendar URLs must not carry a user name or password.",
        ),
        ("", "This field is required."),
    ],
)
@pytest.mark.parametrize("role", PEOPLE)
def test_a_refused_address_is_a_field_error_and_nothing_is_saved(role, url, message, worker):
    person = PEOPLE[role]()
    client = client_of(person.user)

    response, callbacks = worker(lambda: client.post("/calendars/busy/", {"url": url, "label": "Work"}))

    assert response.status_code == 400
    form = response.context["source_form"]
    assert form.errors == {"url": [message]}
    assert escape(message) in sources_section(response)
    assert not CalendarSource.objects.exists()
    assert callbacks == []


# --- What the page shows of a calendar -----------------------------------------------------------------------------


def test_a_calendar_its_server_refuses_shows_its_status_and_why(server, worker):
    """A real read of an address the server answers 404 for."""
    mentor = a_mentor()
    client = client_of(mentor.user)

    worker(lambda: client.post("/calendars/busy/", {"url": server.url("/gone/basic.ics")}))

    source = CalendarSource.objects.get()
    assert source.status == Status.HTTP_ERROR
    assert source.failing_since is not None
    detail = (
        "The server answered 404: the address may have been reset or the calendar unshared. "
        "Paste its current secret address."
    )
    section = sources_section(client.get("/calendars/"))
    assert 'class="aside status-http_error"' in section
    assert re.search(
        r"Refused by its server since \w{3} \d{1,2} \w{3}, \d\d:\d\d: " + re.escape(detail), section
    )
    assert "still count" not in section  # never read successfully


@pytest.mark.parametrize(
    ("route", "limits", "shown"),
    [
        (
            {"pause_per_chunk": 0.4, "chunk": 100},
            {"CALENDAR_TIMEOUT_SECONDS": 1},
            (
                "status-unreachable",
                "Could not be read",
                "The server took more than 1 s to send the calendar.",
            ),
        ),
        (
            {},
            {"CALENDAR_MAX_BYTES": 200},
            ("status-too_large", "Too large", "bytes; at most 200 are read."),
        ),
    ],
    ids=["slow", "oversized"],
)
@pytest.mark.parametrize("kind", PEOPLE)
def test_a_slow_or_oversized_calendar_shows_the_person_its_status_and_why(
    server, worker, settings, kind, route, limits, shown
):
    """Real reads through the fetch path: a server dripping the file past the time limit, and a file past the size
    limit; each person sees on their page what went wrong, and nothing of the file is kept."""
    for name, value in limits.items():
        setattr(settings, name, value)
    person = PEOPLE[kind]()
    server.routes[SECRET_PATH] = CalendarRoute(body=three_busy_times_ahead(), **route)
    client = client_of(person.user)

    worker(lambda: client.post("/calendars/busy/", {"url": server.url(SECRET_PATH)}))

    css_class, label, detail = shown
    section = sources_section(client.get("/calendars/"))
    assert f'class="aside {css_class}"' in section
    assert re.search(
        rf"{label} since \w{{3}} \d{{1,2}} \w{{3}}, \d\d:\d\d: [^<]*{re.escape(detail)}", section
    )
    assert not BusyBlock.objects.exists()


def test_a_failing_calendar_read_before_says_its_old_busy_times_still_count():
    scholar = a_scholar()
    read_at = timezone.now() - dt.timedelta(hours=5)
    source_of(
        scholar,
        status=Status.TOO_LARGE,
        status_detail="The server sends 9,000,000 bytes; at most 5,242,880 are read.",
        read_at=read_at,
        failing_since=read_at + dt.timedelta(hours=1),
    )

    section = sources_section(client_of(scholar.user).get("/calendars/"))

    assert "Too large since" in section
    assert "The server sends 9,000,000 bytes; at most 5,242,880 are read." in section
    assert "still count." in section


def test_only_the_persons_own_calendars_are_listed():
    ada, mira = a_scholar(), a_mentor()
    source_of(ada, label="Ada's own")
    source_of(mira, label="Mira's own")

    page = client_of(ada.user).get("/calendars/")

    assert [source.label for source in page.context["sources"]] == ["Ada's own"]
    assert escape("Mira's own") not in page.content.decode()


def test_the_page_has_csrf_tokens_in_its_forms_and_refuses_a_post_without_one():
    ada = a_scholar()
    source = source_of(ada)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada.user)

    section = sources_section(client.get("/calendars/"))

    for action in ("/calendars/busy/", f"/calendars/busy/{source.pk}/remove/"):
        form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', section, re.S)
        assert form, action
        assert 'name="csrfmiddlewaretoken"' in form[0]
    refused = client.post("/calendars/busy/", {"url": "https://calendar.example.org/a/b.ics"})
    assert refused.status_code == 403
    assert CalendarSource.objects.count() == 1
    assert client.post(f"/calendars/busy/{source.pk}/remove/").status_code == 403
    assert CalendarSource.objects.filter(pk=source.pk).exists()


# --- Removing one ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", PEOPLE)
def test_a_person_removes_their_own_calendar(role):
    person = PEOPLE[role]()
    source = source_of(person)
    BusyBlock.objects.create(
        source=source,
        starts_at=timezone.now() + dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=1, hours=1),
    )
    client = client_of(person.user)

    response = client.post(f"/calendars/busy/{source.pk}/remove/")

    assert (response.status_code, response.url) == (302, "/calendars/")
    assert not CalendarSource.objects.filter(pk=source.pk).exists()
    assert not BusyBlock.objects.exists()
    assert messages_of(client.get("/calendars/")) == [
        "Calendar removed (calendar.example.org/…/basic.ics): its busy times are forgotten."
    ]


@pytest.mark.parametrize("owner_role", PEOPLE)
@pytest.mark.parametrize("role", PEOPLE)
def test_another_persons_calendar_cannot_be_removed(role, owner_role):
    person = PEOPLE[role]("Ada")
    theirs = source_of(PEOPLE[owner_role]("Other"))

    response = client_of(person.user).post(f"/calendars/busy/{theirs.pk}/remove/")

    assert response.status_code == 404
    assert CalendarSource.objects.filter(pk=theirs.pk).exists()


def test_a_mentors_calendar_is_not_the_scholar_with_the_same_id():
    """Sources of mentors and of scholars share one table: a pk is looked up among the viewer's own only."""
    ada = a_scholar()
    mira = a_mentor()
    mine = source_of(mira)

    assert client_of(ada.user).post(f"/calendars/busy/{mine.pk}/remove/").status_code == 404
    assert client_of(ada.user).post("/calendars/busy/999999/remove/").status_code == 404
    assert CalendarSource.objects.filter(pk=mine.pk).exists()


def test_removing_needs_a_post():
    ada = a_scholar()
    source = source_of(ada)

    assert client_of(ada.user).get(f"/calendars/busy/{source.pk}/remove/").status_code == 405
    assert client_of(ada.user).get("/calendars/busy/").status_code == 405
    assert CalendarSource.objects.filter(pk=source.pk).exists()


# --- Clashes ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def clash_world():
    """Mira's and Sam's 1-on-1 a week ahead, and another mentor's meeting; Mira's calendar shows her busy then."""
    cohort = CohortFactory(
        start_date=timezone.localdate() - dt.timedelta(days=7),
        end_date=timezone.localdate() + dt.timedelta(days=70),
    )
    mira, sam = a_mentor("Mira"), a_scholar("Sam")
    sam.cohort = cohort
    sam.save()
    starts_at = (timezone.now() + dt.timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    series = MeetingSeriesFactory(cohort=cohort, mentor=mira, scholars=[sam], title="Mira and Sam weekly")
    meeting = MeetingFactory(series=series, starts_at=starts_at)
    other = a_mentor("Otto")
    other_series = MeetingSeriesFactory(cohort=cohort, mentor=other, title="Otto's group")
    MeetingFactory(series=other_series, starts_at=starts_at)
    for person in (mira, other):
        source = source_of(person, status=Status.OK)
        BusyBlock.objects.create(
            source=source,
            starts_at=starts_at - dt.timedelta(minutes=30),
            ends_at=starts_at + dt.timedelta(minutes=30),
        )
        busy_times_changed.send(sender=CalendarSource, person=person)
    assert CalendarClash.objects.filter(resolved_at__isnull=True).count() == 2
    return {"mira": mira, "sam": sam, "other": other, "meeting": meeting}


def test_open_clashes_are_listed_with_the_meetings_title(clash_world):
    page = client_of(clash_world["mira"].user).get("/calendars/")

    section = sources_section(page)
    assert "Meetings your calendar now shows you busy for" in section
    clashes = re.search(r'<div class="clashes" role="alert">.*?</div>', section, re.S)[0]
    assert '<span class="what">Mira and Sam weekly</span>' in clashes
    assert "Otto" not in clashes
    assert [clash.meeting for clash in page.context["clashes"]] == [clash_world["meeting"]]


def test_a_person_without_clashes_sees_none_of_another_attendees(clash_world):
    """Sam attends the meeting Mira is busy for; the clash is Mira's, not Sam's."""
    page = client_of(clash_world["sam"].user).get("/calendars/")

    assert list(page.context["clashes"]) == []
    assert 'class="clashes"' not in page.content.decode()


def test_removing_the_calendar_resolves_its_clashes_and_the_page_stops_listing_them(clash_world):
    mira = clash_world["mira"]
    client = client_of(mira.user)
    source = mira.calendar_sources.get()

    client.post(f"/calendars/busy/{source.pk}/remove/")

    assert CalendarClash.objects.get(mentor=mira).resolved_at is not None
    assert CalendarClash.objects.get(mentor=clash_world["other"]).resolved_at is None
    assert 'class="clashes"' not in client.get("/calendars/").content.decode()


# --- Who may use these pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/calendars/"), ("post", "/calendars/busy/"), ("post", "/calendars/busy/1/remove/")],
)
def test_an_anonymous_visitor_is_sent_to_sign_in_and_nothing_changes(client, method, path):
    source = source_of(ScholarFactory())
    data = {"url": "https://calendar.example.org/a/b.ics"} if path == "/calendars/busy/" else {}

    response = getattr(client, method)(path.replace("/1/", f"/{source.pk}/"), data)

    assert response.status_code == 302
    assert response.url == f"/sign-in/?next={quote(path.replace('/1/', f'/{source.pk}/'))}"
    assert list(CalendarSource.objects.values_list("pk", flat=True)) == [source.pk]


def test_a_login_with_no_scholar_or_mentor_is_sent_home():
    staff = UserFactory(username="staff", is_staff=True)

    response = client_of(staff).post("/calendars/busy/", {"url": "https://calendar.example.org/a/b.ics"})

    assert response.status_code == 302
    assert not CalendarSource.objects.exists()
