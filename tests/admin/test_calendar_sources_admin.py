"""People's own calendars in the admin: a mentor's (and a scholar's) page adds, readdresses and removes them
through an inline whose address is write-only; staff list them all and have them read now; clashes and failing
calendars on the staff dashboard and the clash list; the deploy check on the demo's local calendar origins; and the
Mentors group following MENTOR_PERMISSIONS after a migrate."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.checks import Error
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cohort import encryption
from cohort.checks import local_calendar_origins_outside_debug
from cohort.selectors import MENTORS_GROUP
from cohort.signals import busy_times_changed
from mentors.apps import mentor_permissions_follow_code
from mentors.models import Mentor
from scheduling.models import CalendarClash
from scholars.calendar_sources import calendar_source_set_url
from scholars.models import BusyBlock, CalendarSource
from tests.admin.conftest import MentorRows, posted_back
from tests.integration.servers import CalendarRoute, calendar_server
from tests.scholars.calendar_files import calendar_busy_at

pytestmark = pytest.mark.django_db

Status = CalendarSource.Status
SECRET = "private-77aa01"
SECRET_PATH = f"/calendar/ical/alice/{SECRET}/basic.ics"
HINT = "127.0.0.1/…/basic.ics"
KEPT_URL = "https://calendar.example.org/calendar/ical/kept-secret-5e2b/basic.ics"
KEPT_HINT = "calendar.example.org/…/basic.ics"
PREFIX = "calendar_sources"


def three_busy_times_ahead() -> bytes:
    """Three busy hours two to four days ahead (clear of the fixtures' meetings, a week ahead)."""
    base = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    return calendar_busy_at([base + dt.timedelta(days=day) for day in range(3)])


@pytest.fixture
def server(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.CALENDAR_TIMEOUT_SECONDS = 2
    with calendar_server() as running:
        running.routes[SECRET_PATH] = CalendarRoute(body=three_busy_times_ahead())
        yield running


@pytest.fixture
def worker(settings, django_capture_on_commit_callbacks):
    """Runs what a request hands the worker once its transaction commits: Celery eager, on_commit executed."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def source_of(person, *, url: str = KEPT_URL, **fields) -> CalendarSource:
    owner = {"mentor" if isinstance(person, Mentor) else "scholar": person}
    source = CalendarSource(**owner, label=fields.pop("label", "Work"))
    calendar_source_set_url(source, url)
    for name, value in fields.items():
        setattr(source, name, value)
    source.save()
    return source


def busy_during(person, meeting) -> CalendarSource:
    """A read calendar of ``person`` showing them busy across ``meeting``'s start, and the clash it opens."""
    source = source_of(person, status=Status.OK, read_at=timezone.now())
    BusyBlock.objects.create(
        source=source,
        starts_at=meeting.starts_at - dt.timedelta(minutes=30),
        ends_at=meeting.starts_at + dt.timedelta(minutes=30),
    )
    busy_times_changed.send(sender=CalendarSource, person=person)
    return source


def profile_url(rows: MentorRows) -> str:
    return reverse("admin:mentors_mentor_change", args=[rows.mentor.pk])


def with_new_source(client, url: str, *, label: str = "Work", page: str) -> dict[str, object]:
    """The change form as posted back, with one new calendar row after the saved ones."""
    data = posted_back(client.get(page))
    index = int(data[f"{PREFIX}-INITIAL_FORMS"])
    data |= {
        f"{PREFIX}-{index}-url": url,
        f"{PREFIX}-{index}-label": label,
        f"{PREFIX}-TOTAL_FORMS": str(index + 1),
    }
    return data


def inline_errors(response) -> list[str]:
    [inline] = [i for i in response.context["inline_admin_formsets"] if i.formset.prefix == PREFIX]
    return [str(e) for form in inline.formset.forms for errors in form.errors.values() for e in errors]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def section(page, html_id: str) -> str:
    text = page.content.decode()
    start = text.index(f'id="{html_id}"')
    ends = (text.find(marker, start + 1) for marker in ('id="dashboard-', '<div id="content-main"'))
    return text[start : min(end for end in ends if end != -1)]


# --- A mentor's own page --------------------------------------------------------------------------------------------


def test_a_mentor_adds_their_calendar_on_their_page_and_it_is_read(
    alice_client, alice: MentorRows, server, worker
):
    page = profile_url(alice)

    response = worker(
        lambda: alice_client.post(page, with_new_source(alice_client, server.url(SECRET_PATH), page=page))
    )

    assert response.status_code == 302
    [source] = CalendarSource.objects.all()
    assert (source.mentor, source.scholar, source.label) == (alice.mentor, None, "Work")
    assert encryption.decrypt(source.url_encrypted) == server.url(SECRET_PATH)
    assert SECRET not in source.url_encrypted
    assert source.url_hint == HINT
    assert [path for path, _ in server.requests] == [SECRET_PATH]
    assert (source.status, source.busy_blocks.count()) == (Status.OK, 3)


def test_the_change_page_never_renders_the_address_back(alice_client, alice: MentorRows):
    source_of(alice.mentor, url=KEPT_URL, status=Status.OK)

    response = alice_client.get(profile_url(alice))

    text = response.content.decode()
    assert "kept-secret-5e2b" not in text
    assert KEPT_HINT in text
    [url_input] = re.findall(rf'<input[^>]*name="{PREFIX}-0-url"[^>]*>', text)
    assert "value=" not in url_input
    assert f"{PREFIX}-0-url" not in posted_back(response)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://10.0.0.1/x.ics", "10.0.0.1 resolves to a private address."),
        ("http://example.org/x.ics", "Calendar URLs must start with https://."),
        ("", "Give the calendar's secret address."),
    ],
)
def test_a_refused_address_is_an_inline_field_error_and_nothing_is_saved(
    alice_client, alice: MentorRows, url, message, worker
):
    page = profile_url(alice)

    response = worker(lambda: alice_client.post(page, with_new_source(alice_client, url, page=page)))

    assert response.status_code == 200
    assert inline_errors(response) == [message]
    assert not CalendarSource.objects.exists()


def test_an_empty_address_on_a_saved_calendar_keeps_it(alice_client, alice: MentorRows, worker):
    read_at = timezone.now() - dt.timedelta(minutes=5)
    source = source_of(alice.mentor, status=Status.OK, read_at=read_at, etag='"v7"', busy_digest="d" * 64)
    data = posted_back(alice_client.get(profile_url(alice)))
    assert data[f"{PREFIX}-0-id"] == str(source.pk)
    data[f"{PREFIX}-0-label"] = "Home"

    response = worker(lambda: alice_client.post(profile_url(alice), data))

    assert response.status_code == 302
    source.refresh_from_db()
    assert source.label == "Home"
    assert encryption.decrypt(source.url_encrypted) == KEPT_URL
    assert (source.url_hint, source.status, source.etag, source.read_at) == (
        KEPT_HINT,
        Status.OK,
        '"v7"',
        read_at,
    )


def test_a_new_address_on_a_saved_calendar_replaces_it_and_is_read(
    alice_client, alice: MentorRows, server, worker
):
    source = source_of(alice.mentor, status=Status.HTTP_ERROR, status_detail="The server answered 404: …")
    data = posted_back(alice_client.get(profile_url(alice))) | {f"{PREFIX}-0-url": server.url(SECRET_PATH)}

    response = worker(lambda: alice_client.post(profile_url(alice), data))

    assert response.status_code == 302
    source.refresh_from_db()
    assert encryption.decrypt(source.url_encrypted) == server.url(SECRET_PATH)
    assert (source.url_hint, source.status, source.status_detail) == (HINT, Status.OK, "")
    assert source.busy_blocks.count() == 3


def test_deleting_a_calendar_through_the_inline_resolves_the_clashes_it_made(
    alice_client, alice: MentorRows, worker
):
    source = busy_during(alice.mentor, alice.meeting)
    [clash] = CalendarClash.objects.filter(resolved_at__isnull=True)
    assert (clash.meeting, clash.mentor) == (alice.meeting, alice.mentor)
    data = posted_back(alice_client.get(profile_url(alice))) | {f"{PREFIX}-0-DELETE": "on"}

    response = worker(lambda: alice_client.post(profile_url(alice), data))

    assert response.status_code == 302
    assert not CalendarSource.objects.filter(pk=source.pk).exists()
    assert not BusyBlock.objects.exists()
    clash.refresh_from_db()
    assert clash.resolved_at is not None


def test_a_mentors_page_lists_only_their_own_calendars(alice_client, alice: MentorRows, bob: MentorRows):
    source_of(alice.mentor, label="Alice's work")
    source_of(bob.mentor, label="Bob's work")

    response = alice_client.get(profile_url(alice))

    [inline] = [i for i in response.context["inline_admin_formsets"] if i.formset.prefix == PREFIX]
    assert [form.instance.label for form in inline.formset.forms] == ["Alice's work"]
    assert escape("Bob's work") not in response.content.decode()


# --- Another mentor's calendars ---------------------------------------------------------------------------------------


def test_a_mentor_lists_only_their_own_calendars(alice_client, alice: MentorRows, bob: MentorRows):
    mine = source_of(alice.mentor)
    source_of(bob.mentor)

    response = alice_client.get(reverse("admin:scholars_calendarsource_changelist"))

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [mine.pk]


def test_another_mentors_calendar_does_not_exist_for_a_mentor(alice_client, bob: MentorRows):
    theirs = source_of(bob.mentor)

    response = alice_client.get(
        reverse("admin:scholars_calendarsource_change", args=[theirs.pk]), follow=True
    )

    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert "doesn’t exist" in next(str(m) for m in response.context["messages"])


def test_a_mentor_cannot_delete_another_mentors_calendar_by_posting_to_their_page(
    alice_client, alice: MentorRows, bob: MentorRows
):
    theirs = source_of(bob.mentor)
    data = posted_back(alice_client.get(profile_url(alice))) | {
        f"{PREFIX}-0-id": str(theirs.pk),
        f"{PREFIX}-0-DELETE": "on",
        f"{PREFIX}-INITIAL_FORMS": "1",
        f"{PREFIX}-TOTAL_FORMS": "1",
    }

    alice_client.post(profile_url(alice), data)

    assert CalendarSource.objects.filter(pk=theirs.pk).exists()


def test_a_mentor_is_not_offered_the_calendar_list_nor_the_read_action(alice_client, alice: MentorRows):
    index = alice_client.get(reverse("admin:index"))
    listed = {(a["app_label"], m["object_name"]) for a in index.context["app_list"] for m in a["models"]}
    assert ("scholars", "CalendarSource") not in listed

    response = alice_client.get(reverse("admin:scholars_calendarsource_changelist"))

    action_form = response.context["action_form"]
    assert action_form is None or "read_calendars_now" not in dict(action_form.fields["action"].choices)


def test_a_mentor_posting_the_read_action_has_nothing_read(alice_client, alice: MentorRows, server, worker):
    mine = source_of(alice.mentor, url=server.url(SECRET_PATH))

    worker(
        lambda: alice_client.post(
            reverse("admin:scholars_calendarsource_changelist"),
            {"action": "read_calendars_now", "_selected_action": [mine.pk]},
        )
    )

    mine.refresh_from_db()
    assert mine.status == Status.PENDING
    assert server.requests == []


# --- Staff ---------------------------------------------------------------------------------------------------------


def test_staff_list_every_calendar(staff_client, alice: MentorRows, bob: MentorRows):
    sources = {source_of(alice.mentor).pk, source_of(bob.mentor).pk, source_of(alice.scholar).pk}

    response = staff_client.get(reverse("admin:scholars_calendarsource_changelist"))

    assert response.status_code == 200
    assert {row.pk for row in response.context["cl"].result_list} == sources
    assert "kept-secret-5e2b" not in response.content.decode()


def test_staff_have_the_selected_calendars_read_now(
    staff_client, alice: MentorRows, bob: MentorRows, server, worker
):
    chosen = [
        source_of(alice.mentor, url=server.url(SECRET_PATH)),
        source_of(bob.mentor, url=server.url(SECRET_PATH)),
    ]
    left = source_of(alice.scholar, url=server.url(SECRET_PATH))

    response = worker(
        lambda: staff_client.post(
            reverse("admin:scholars_calendarsource_changelist"),
            {"action": "read_calendars_now", "_selected_action": [s.pk for s in chosen]},
            follow=True,
        )
    )

    assert messages_of(response) == ["2 calendars to be read in a moment."]
    for source in chosen:
        source.refresh_from_db()
        assert (source.status, source.busy_blocks.count()) == (Status.OK, 3)
    left.refresh_from_db()
    assert left.status == Status.PENDING
    assert len(server.requests) == 2


def test_staff_add_a_calendar_on_a_scholars_page(staff_client, alice: MentorRows, server, worker):
    page = reverse("admin:scholars_scholar_change", args=[alice.scholar.pk])

    response = worker(
        lambda: staff_client.post(page, with_new_source(staff_client, server.url(SECRET_PATH), page=page))
    )

    assert response.status_code == 302
    [source] = CalendarSource.objects.all()
    assert (source.scholar, source.mentor) == (alice.scholar, None)
    assert encryption.decrypt(source.url_encrypted) == server.url(SECRET_PATH)
    assert source.status == Status.OK
    assert SECRET not in staff_client.get(page).content.decode()


def test_the_staff_dashboard_shows_open_clashes_and_failing_calendars(
    staff_client, alice: MentorRows, bob: MentorRows
):
    busy_during(alice.mentor, alice.meeting)
    source_of(
        bob.mentor,
        status=Status.HTTP_ERROR,
        status_detail="The server answered 503; it is tried again at the next refresh.",
        failing_since=timezone.now() - dt.timedelta(hours=2),
    )

    page = staff_client.get(reverse("admin:index"))

    box = section(page, "dashboard-clashes")
    assert "Calendar clashes (1)" in box
    assert alice.series.title in box
    assert "Alice's own calendar shows them busy" in box
    assert reverse("admin:scheduling_meeting_change", args=[alice.meeting.pk]) in box
    [note] = re.findall(r'<p class="errornote calendar-failing">(.*?)</p>', box, re.S)
    assert re.fullmatch(
        rf"\s*Bob's calendar \({re.escape(KEPT_HINT)}\) cannot be read since \d{{1,2}} \w{{3}} \d{{4}}, \d\d:\d\d \w+: "
        r"The server answered 503; it is tried again at the next refresh.\s*",
        note,
    ), note
    assert "kept-secret-5e2b" not in page.content.decode()


def test_the_staff_dashboard_has_no_clash_box_when_all_is_well(staff_client, alice: MentorRows):
    source_of(alice.mentor, status=Status.OK)

    page = staff_client.get(reverse("admin:index"))

    assert page.status_code == 200
    assert 'id="dashboard-clashes"' not in page.content.decode()


# --- The clash list ----------------------------------------------------------------------------------------------------


def test_the_clash_list_shows_a_mentor_only_their_own_clashes(
    alice_client, staff_client, alice: MentorRows, bob: MentorRows
):
    busy_during(alice.mentor, alice.meeting)
    busy_during(bob.mentor, bob.meeting)
    alices = CalendarClash.objects.get(mentor=alice.mentor)
    bobs = CalendarClash.objects.get(mentor=bob.mentor)
    changelist = reverse("admin:scheduling_calendarclash_changelist")

    mine = alice_client.get(changelist)

    assert mine.status_code == 200
    assert [clash.pk for clash in mine.context["cl"].result_list] == [alices.pk]
    assert "Bob" not in mine.content.decode()
    assert {c.pk for c in staff_client.get(changelist).context["cl"].result_list} == {alices.pk, bobs.pk}
    theirs = alice_client.get(reverse("admin:scheduling_calendarclash_change", args=[bobs.pk]), follow=True)
    assert theirs.redirect_chain == [(reverse("admin:index"), 302)]


def test_the_clash_list_is_read_only(alice_client, staff_client, alice: MentorRows):
    busy_during(alice.mentor, alice.meeting)
    clash = CalendarClash.objects.get()

    for client in (alice_client, staff_client):
        assert client.get(reverse("admin:scheduling_calendarclash_add")).status_code == 403
        client.post(reverse("admin:scheduling_calendarclash_delete", args=[clash.pk]), {"post": "yes"})
        assert CalendarClash.objects.filter(pk=clash.pk).exists()


# --- Deploy check --------------------------------------------------------------------------------------------------


def test_local_calendar_origins_outside_debug_are_a_deploy_error(settings):
    settings.DEBUG = False
    settings.OUTBOUND_LOCAL_CALENDAR_ORIGINS = ["http://127.0.0.1:8765"]

    [error] = local_calendar_origins_outside_debug(None)

    assert isinstance(error, Error)
    assert error.id == "cohort.E001"
    assert "COHORTOPS_LOCAL_CALENDAR_ORIGINS" in error.msg


@pytest.mark.parametrize(("debug", "origins"), [(True, ["http://127.0.0.1:8765"]), (False, []), (True, [])])
def test_no_deploy_error_in_debug_or_without_local_origins(settings, debug, origins):
    settings.DEBUG = debug
    settings.OUTBOUND_LOCAL_CALENDAR_ORIGINS = origins

    assert local_calendar_origins_outside_debug(None) == []


# --- The Mentors group after a migrate -------------------------------------------------------------------------------


def codenames(group: Group) -> set[str]:
    return set(group.permissions.values_list("codename", flat=True))


def test_after_migrate_an_existing_mentors_group_gets_the_new_permissions():
    group, _ = Group.objects.get_or_create(name=MENTORS_GROUP)
    group.permissions.set(Permission.objects.filter(codename__in=["view_mentor", "view_meeting"]))

    mentor_permissions_follow_code(sender=apps.get_app_config("mentors"))
    assert codenames(group) == {"view_mentor", "view_meeting"}  # only once scheduling's permissions exist

    mentor_permissions_follow_code(sender=apps.get_app_config("scheduling"))

    now = codenames(group)
    assert {
        "add_calendarsource",
        "change_calendarsource",
        "delete_calendarsource",
        "view_calendarsource",
        "view_calendarclash",
    } <= now
    assert "change_calendarclash" not in now


def test_after_migrate_no_mentors_group_is_made_when_there_is_none():
    Group.objects.filter(name=MENTORS_GROUP).delete()

    mentor_permissions_follow_code(sender=apps.get_app_config("scheduling"))

    assert not Group.objects.filter(name=MENTORS_GROUP).exists()


def test_a_mentor_on_their_scholars_page_sees_none_of_the_scholars_calendars_and_staff_do(
    alice_client, staff_client, alice: MentorRows
):
    source_of(alice.scholar, label="Sam private calendar")
    page = reverse("admin:scholars_scholar_change", args=[alice.scholar.pk])

    as_mentor, as_staff = alice_client.get(page), staff_client.get(page)

    assert as_mentor.status_code == as_staff.status_code == 200
    assert "Sam private calendar" not in as_mentor.content.decode()
    assert PREFIX not in [inline.formset.prefix for inline in as_mentor.context["inline_admin_formsets"]]
    assert "Sam private calendar" in as_staff.content.decode()


def test_a_sixth_calendar_on_the_admin_page_is_refused_and_nothing_saved(
    alice_client, alice: MentorRows, worker
):
    for number in range(5):
        source_of(
            alice.mentor, url=f"https://calendar.example.org/{number}/basic.ics", label=f"Calendar {number}"
        )
    page = profile_url(alice)
    data = with_new_source(alice_client, "https://calendar.example.org/six/basic.ics", page=page)
    # The page offers no sixth row; a post that adds one anyway is refused by the form set.
    data[f"{PREFIX}-MAX_NUM_FORMS"] = "1000"

    response = worker(lambda: alice_client.post(page, data))

    assert response.status_code == 200
    [inline] = [i for i in response.context["inline_admin_formsets"] if i.formset.prefix == PREFIX]
    assert [str(e) for e in inline.formset.non_form_errors()] == [
        "At most 5 calendars a person: remove one before adding another."
    ]
    assert CalendarSource.objects.count() == 5
