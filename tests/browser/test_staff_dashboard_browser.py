"""Staff in a real browser, from an empty programme to a published week, without leaving the admin: import a
stream document and a roster CSV from the dashboard's buttons, give the mentors hours on their pages, press the
cohort's Plan, wait on the plan's page (it looks again by itself) for "Apply this plan", apply it, and open the
week at a glance with the meetings.

At a laptop's viewport and a phone's, where no page may scroll sideways (the week grid scrolls in its own box).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from cohort.dates import monday_of
from cohort.models import Cohort, Stream
from mentors.models import Mentor
from scheduling.models import Meeting, MeetingSeries, PlanRun
from scholars.models import Mentorship, Scholar
from tests.browser.conftest import VIEWPORTS, assert_fits_the_width, sign_in
from tests.factories import CohortFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A bound on waiting for the worker's solve (at most PLANNER_TIME_LIMIT_SECONDS) and the plan page's 3-second
# refreshes; nothing is measured against it.
PLAN_TIMEOUT_MS = 60_000

STREAM_TITLE = "Robustness"
# One stream, two mentors, each text stating a weekly one-hour 1-on-1 in its own words; no warnings to raise.
STREAM_DOCUMENT = """\
Robustness

How do models behave away from their training data? This stream studies robustness and adversarial inputs.

Mentors

Ada Quill
Research Scientist, Example Lab

Ada studies the adversarial robustness of vision models.

  • Ada leads the robustness group at Example Lab, where she builds attacks and defences for image classifiers.

  • How we work: a 1 h weekly meeting with each scholar, and questions in a shared channel.

Ben Marlow
Professor, University of Examples

Ben works on distribution shift in language models.

  • Ben teaches machine learning at the University of Examples and studies how language models generalise.

  • Mentorship: a weekly 1-on-1 of one hour with each scholar.
"""
# Each mentor's one window of hours, typed on their page (weekday label, from, until), in their zone (UTC, the
# importer's default). Inside the scholars' working hours (09:00-17:00 in the cohort's London) all year round.
HOURS = {
    "Ada Quill": ("Monday", dt.time(10), dt.time(12)),
    "Ben Marlow": ("Tuesday", dt.time(10), dt.time(12)),
}
WEEKDAY_NUMBERS = {"Monday": 0, "Tuesday": 1}
# Scholar name, address, and the mentor they work with.
SCHOLARS = [
    ("Cleo Park", "cleo.park@example.org", "Ada Quill"),
    ("Dev Iyer", "dev.iyer@example.org", "Ben Marlow"),
]


@pytest.fixture
def cohort_ahead(settings) -> Cohort:
    """Twelve weeks from next Monday, so the test never goes stale; the Plan button's worker task runs eagerly in
    the live server's thread."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    start = monday_of(timezone.localdate()) + dt.timedelta(weeks=1)
    return CohortFactory(
        name="Summer cohort", start_date=start, end_date=start + dt.timedelta(weeks=12, days=-3)
    )


def success_messages(page: Page) -> Locator:
    return page.locator(".messagelist .success")


def cohort_row(page: Page, cohort: Cohort) -> Locator:
    return page.locator("#dashboard-cohorts .cohort-rows > li").filter(
        has=page.locator(".cohort-name a", has_text=cohort.name)
    )


def open_the_index(page: Page, live_server) -> None:
    page.goto(live_server.url + reverse("admin:index"))
    expect(page.locator("#dashboard")).to_be_visible()
    assert_fits_the_width(page)


def upload(page: Page, file: Path) -> None:
    """On an upload page: choose the file by its label and press Import."""
    expect(page.locator("#content-main form")).to_be_visible()
    assert_fits_the_width(page)
    page.get_by_label("File:").set_input_files(file)
    page.get_by_role("button", name="Import").click()


# --- The steps -------------------------------------------------------------------------------------------------


def import_the_stream_document(page: Page, live_server, tmp_path: Path) -> list[Mentor]:
    document = tmp_path / "robustness.txt"
    document.write_text(STREAM_DOCUMENT, encoding="utf-8")

    page.get_by_role("link", name="Import a stream document").click()
    expect(page).to_have_url(live_server.url + reverse("admin:mentors_importwarning_import"))
    expect(page.locator("#content h1")).to_have_text("Import a stream document")
    upload(page, document)

    expect(page).to_have_url(live_server.url + reverse("admin:mentors_importwarning_changelist"))
    # The message starts with the stream's slug, "robustness"; the admin writes every message capitalised.
    expect(success_messages(page)).to_have_text("Robustness: 2 mentors read, 0 open warnings.")
    stream = Stream.objects.get(title=STREAM_TITLE)
    mentors = list(Mentor.objects.filter(streams=stream).order_by("name"))
    assert [mentor.name for mentor in mentors] == list(HOURS)
    for mentor in mentors:
        assert mentor.cadence_value.describe() == "1-on-1, weekly, 60 min"
        assert mentor.time_zone == "UTC"
    return mentors


def give_the_mentor_hours(page: Page, live_server, mentor: Mentor) -> None:
    """On the mentor's admin page: fill the availability inline's empty row and save, staying on the page."""
    weekday, start, end = HOURS[mentor.name]
    page.goto(live_server.url + reverse("admin:mentors_mentor_change", args=[mentor.pk]))
    group = page.locator("#availability-group")
    expect(group).to_contain_text("From (UTC)")
    page.select_option("#id_availability-0-weekday", label=weekday)
    page.fill("#id_availability-0-start_time", f"{start:%H:%M}")
    page.fill("#id_availability-0-end_time", f"{end:%H:%M}")
    assert_fits_the_width(page)
    # The mentor's page has its save buttons at the top and the bottom: the bottom ones, below the rows just filled.
    page.get_by_role("button", name="Save and continue editing").last.click()

    expect(success_messages(page)).to_have_text(
        f"The mentor “{mentor.name}” was changed successfully. You may edit it again below."
    )
    assert list(mentor.availability.values_list("weekday", "start_time", "end_time")) == [
        (WEEKDAY_NUMBERS[weekday], start, end)
    ]
    # Only the hours changed: the cadence read from the document stands, not taken over as staff's edit.
    mentor.refresh_from_db()
    assert mentor.cadence_value.describe() == "1-on-1, weekly, 60 min"
    assert not mentor.cadence_edited_by_staff


def import_the_roster(page: Page, live_server, tmp_path: Path, cohort: Cohort) -> None:
    stream = Stream.objects.get(title=STREAM_TITLE)
    slug_of = dict(Mentor.objects.values_list("name", "slug"))
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email,cohort,stream,mentor\n"
        + "".join(
            f"{name},{email},{cohort.slug},{stream.slug},{slug_of[mentor]}\n"
            for name, email, mentor in SCHOLARS
        ),
        encoding="utf-8",
    )

    open_the_index(page, live_server)
    page.get_by_role("link", name="Import a roster CSV").click()
    expect(page).to_have_url(live_server.url + reverse("admin:scholars_scholar_import"))
    expect(page.locator("#content h1")).to_have_text("Import a roster CSV")
    upload(page, roster)

    expect(page).to_have_url(live_server.url + reverse("admin:scholars_scholar_changelist"))
    expect(success_messages(page)).to_have_text("2 scholars created, with their mentorships.")
    assert sorted(
        Mentorship.objects.filter(scholar__cohort=cohort).values_list("scholar__name", "mentor__name", "role")
    ) == [(name, mentor, Mentorship.Role.PRIMARY) for name, _, mentor in SCHOLARS]
    assert set(Scholar.objects.filter(cohort=cohort).values_list("stream", flat=True)) == {stream.pk}


def plan_and_apply(page: Page, live_server, cohort: Cohort) -> PlanRun:
    open_the_index(page, live_server)
    row = cohort_row(page, cohort)
    expect(row.locator(".latest-plan")).to_have_text("Latest plan: none yet")
    row.get_by_role("button", name="Plan", exact=True).click()

    # On to the plan's page once the run exists (with the task run eagerly, once it is solved).
    changed = reverse("admin:scheduling_planrun_change", args=[0]).replace("/0/", r"/\d+/")
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + changed + "$"), timeout=PLAN_TIMEOUT_MS)
    run = PlanRun.objects.get(cohort=cohort)
    run_url = live_server.url + reverse("admin:scheduling_planrun_change", args=[run.pk])
    expect(page).to_have_url(run_url)
    expect(success_messages(page)).to_have_text(f"{cohort.name}: plan #{run.pk} is being solved on a worker.")
    # The page reloads itself while the plan is pending or running; the button appears once it is solved.
    apply = page.get_by_role("button", name="Apply this plan")
    expect(apply).to_be_visible(timeout=PLAN_TIMEOUT_MS)
    run.refresh_from_db()
    assert run.status == PlanRun.Status.SOLVED, run.error
    assert (run.result["placed"], run.result["demanded"]) == (2, 2)
    assert_fits_the_width(page)
    apply.click()

    expect(page).to_have_url(run_url)
    expect(success_messages(page)).to_have_text(
        f"{cohort.name}: plan #{run.pk} applied: 2 series added, 0 moved, 0 removed, 0 unchanged."
    )
    expect(page.get_by_role("button", name="Apply this plan")).to_have_count(0)
    assert_fits_the_width(page)
    run.refresh_from_db()
    return run


def open_the_week(page: Page, live_server, cohort: Cohort, run: PlanRun) -> None:
    open_the_index(page, live_server)
    row = cohort_row(page, cohort)
    expect(row.locator(".latest-plan")).to_have_text(f"Latest plan: #{run.pk}: applied")
    # Nothing newer than what was applied: no Preview or Apply buttons.
    expect(row.get_by_role("button", name=f"Apply #{run.pk}")).to_have_count(0)
    row.get_by_role("link", name="Week", exact=True).click()

    expect(page).to_have_url(live_server.url + reverse("admin:cohort_cohort_week", args=[cohort.pk]))
    expect(page.locator("#content-main h2").first).to_have_text(f"Meetings, in {cohort.time_zone}")
    # The week shown is the cohort's first (it has not started yet): its meetings, as the grid writes them.
    zone = ZoneInfo(cohort.time_zone)
    first = dt.datetime.combine(cohort.start_date, dt.time(0), tzinfo=zone)
    meetings = list(
        Meeting.objects.filter(
            series__cohort=cohort, starts_at__gte=first, starts_at__lt=first + dt.timedelta(7)
        )
        .select_related("series__mentor")
        .order_by("starts_at")
    )
    assert sorted(meeting.series.mentor.name for meeting in meetings) == list(HOURS)
    for meeting in meetings:
        starts, ends = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
        cells = page.locator(f'#week-grid tr[data-mentor="{meeting.series.mentor.name}"] td')
        expect(cells).to_have_count(7)
        cell = cells.nth((starts.date() - cohort.start_date).days)
        expect(cell.locator(".meeting strong")).to_have_text(f"{starts:%H:%M}–{ends:%H:%M}")
        expect(cell.locator(".meeting")).to_contain_text(meeting.series.title)
    expect(page.locator("#week-grid .meeting")).to_have_count(2)
    expect(page.locator("#not-placed")).to_have_text("Every demand was placed.")
    assert_fits_the_width(page)


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_staff_import_plan_and_apply_a_cohort_from_the_dashboard(
    open_page, live_server, admin_user, cohort_ahead, tmp_path
):
    page = open_page()
    sign_in(page, live_server, admin_user)
    open_the_index(page, live_server)
    expect(cohort_row(page, cohort_ahead)).to_have_count(1)

    mentors = import_the_stream_document(page, live_server, tmp_path)
    # Their hours through the admin, as staff would type them on each mentor's page.
    for mentor in mentors:
        give_the_mentor_hours(page, live_server, mentor)
    import_the_roster(page, live_server, tmp_path, cohort_ahead)
    run = plan_and_apply(page, live_server, cohort_ahead)
    open_the_week(page, live_server, cohort_ahead, run)

    assert run.status == PlanRun.Status.APPLIED
    assert run.applied_at is not None
    series = MeetingSeries.objects.filter(cohort=cohort_ahead, status=MeetingSeries.Status.ACTIVE)
    assert sorted(
        (s.mentor.name, s.kind, s.weekday, s.duration_minutes, [scholar.name for scholar in s.scholars.all()])
        for s in series.select_related("mentor").prefetch_related("scholars")
    ) == [
        (mentor, "one_on_one", WEEKDAY_NUMBERS[HOURS[mentor][0]], 60, [name]) for name, _, mentor in SCHOLARS
    ]
    assert MeetingSeries.objects.filter(cohort=cohort_ahead).count() == 2
