"""Staff's dashboard on the admin index (each running or coming cohort with Plan, Preview, Apply and Week; the open
import warnings linked to their mentor), and the files staff import from the admin: stream documents and roster
CSVs. Editing a mentor's cadence, in the admin or through the API, resolves the warnings about it."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cohort.cadence import parse_cadence
from cohort.models import Stream
from mentors.models import ImportWarning, Mentor, Suggestion
from scheduling.models import MeetingSeries, PlanRun
from scholars.models import Mentorship, Scholar
from tests.admin.conftest import posted_back
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    StreamFactory,
)

pytestmark = pytest.mark.django_db

CODE = ImportWarning.Code


# --- Reading pages ------------------------------------------------------------------------------------------------


def index(client):
    return client.get(reverse("admin:index"))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def day(date: dt.date) -> str:
    """A date as the dashboard writes it ("j M Y")."""
    return f"{date.day} {date:%b %Y}"


def cohort_row(page, cohort) -> str:
    """The dashboard's entry of one cohort."""
    change = reverse("admin:cohort_cohort_change", args=[cohort.pk])
    rows = re.findall(r"<li>.*?</li>", section(page, "dashboard-cohorts"), re.S)
    [row] = [row for row in rows if f'href="{change}"' in row]
    return row


def section(page, html_id: str) -> str:
    """The dashboard's box with this id: up to the next box, or to the admin's own index below the dashboard."""
    text = page.content.decode()
    start = text.index(f'id="{html_id}"')
    ends = (text.find(marker, start + 1) for marker in ('id="dashboard-', '<div id="content-main"'))
    return text[start : min(end for end in ends if end != -1)]


def form_action(html: str, button: str) -> str:
    """Where the POST form whose button reads ``button`` submits to."""
    match = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>(?:(?!</form>).)*?>' + re.escape(button) + "</button>",
        html,
        re.S,
    )
    assert match, f"no {button!r} button in {html}"
    return match[1]


def link(html: str, text: str) -> str:
    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*>' + re.escape(text) + "</a>", html)
    assert match, f"no {text!r} link in {html}"
    return match[1]


def cohorts_listed(page) -> list[str]:
    return [row.cohort.name for row in page.context["dashboard"].cohorts]


# --- Cohorts and their plans --------------------------------------------------------------------------------------


@pytest.fixture
def plannable(settings, cohort):
    """The running cohort of conftest with one mentor, free on weekday mornings, and one scholar to meet weekly."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mentor = MentorFactory(name="Mira", cadence=WEEKLY_ONE_ON_ONE.to_dict())
    for weekday in range(5):
        AvailabilityFactory(mentor=mentor, weekday=weekday, start_time=dt.time(10), end_time=dt.time(12))
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=cohort))
    return cohort


def test_the_index_lists_each_cohort_not_yet_over_with_its_dates_and_latest_plan(staff_client, cohort):
    today = timezone.localdate()
    CohortFactory(
        name="Last winter", start_date=today - dt.timedelta(weeks=12), end_date=today - dt.timedelta(1)
    )
    ends_today = CohortFactory(name="Ends today", start_date=today - dt.timedelta(weeks=8), end_date=today)
    coming = CohortFactory(
        name="Next summer", start_date=today + dt.timedelta(weeks=20), end_date=today + dt.timedelta(weeks=30)
    )
    run = PlanRun.objects.create(cohort=coming, status=PlanRun.Status.FAILED)

    page = index(staff_client)

    assert page.status_code == 200
    assert cohorts_listed(page) == ["Ends today", cohort.name, "Next summer"]  # soonest first
    assert "Last winter" not in page.content.decode()
    row = cohort_row(page, cohort)
    assert f"{day(cohort.start_date)} – {day(cohort.end_date)}" in row
    assert "none yet" in row
    assert "Plan</button>" in row
    assert "Apply #" not in row
    assert "Preview #" not in row
    coming_row = cohort_row(page, coming)
    assert link(coming_row, f"#{run.pk}") == reverse("admin:scheduling_planrun_change", args=[run.pk])
    assert f"#{run.pk}</a>: failed" in coming_row
    assert link(cohort_row(page, ends_today), "Week") == reverse(
        "admin:cohort_cohort_week", args=[ends_today.pk]
    )


def test_no_cohort_running_or_coming_says_so_and_offers_to_add_one(staff_client):
    page = index(staff_client)

    cohorts = section(page, "dashboard-cohorts")
    assert "No cohort running or coming." in cohorts
    assert link(cohorts, "Add one") == reverse("admin:cohort_cohort_add")


def test_plan_then_preview_apply_and_week_from_the_dashboard(
    staff_client, plannable, django_capture_on_commit_callbacks
):
    plan_url = form_action(cohort_row(index(staff_client), plannable), "Plan")
    assert plan_url == reverse("admin:cohort_cohort_plan", args=[plannable.pk])

    # The Plan button: a pending run, solved by the worker once the request's transaction commits.
    with django_capture_on_commit_callbacks() as worker:
        planned = staff_client.post(plan_url)
    run = PlanRun.objects.get(cohort=plannable)
    run_page = reverse("admin:scheduling_planrun_change", args=[run.pk])
    assert (planned.status_code, planned.url) == (302, run_page)
    assert run.status == PlanRun.Status.PENDING
    pending = staff_client.get(run_page)
    assert messages_of(pending) == [f"{plannable}: plan #{run.pk} is being solved on a worker."]
    assert '<meta http-equiv="refresh"' in pending.content.decode()
    assert f"#{run.pk}</a>: pending" in cohort_row(index(staff_client), plannable)

    for task in worker:
        task()  # eager Celery: the worker's solve runs here

    run.refresh_from_db()
    assert run.status == PlanRun.Status.SOLVED
    solved = staff_client.get(run_page)
    assert '<meta http-equiv="refresh"' not in solved.content.decode()
    row = cohort_row(index(staff_client), plannable)
    assert f"#{run.pk}</a>: solved (preview)" in row
    assert link(row, f"Preview #{run.pk}") == run_page

    applied = staff_client.post(form_action(row, f"Apply #{run.pk}"), follow=True)

    assert applied.redirect_chain == [(run_page, 302)]
    assert messages_of(applied) == [
        f"{plannable}: plan #{run.pk} applied: 1 series added, 0 moved, 0 removed, 0 unchanged."
    ]
    run.refresh_from_db()
    assert run.status == PlanRun.Status.APPLIED
    assert MeetingSeries.objects.filter(cohort=plannable, plan_run=run).count() == 1
    row = cohort_row(index(staff_client), plannable)
    assert f"#{run.pk}</a>: applied" in row
    assert "Apply #" not in row
    assert "Preview #" not in row
    week = staff_client.get(link(row, "Week"))
    assert week.status_code == 200


def plan_run(cohort, status: str, *, hours_ago: int) -> PlanRun:
    run = PlanRun.objects.create(cohort=cohort, status=status)
    PlanRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours_ago))
    return run


def test_a_newer_preview_than_the_applied_plan_is_offered_again(staff_client, cohort):
    older = plan_run(cohort, PlanRun.Status.SOLVED, hours_ago=4)
    applied = plan_run(cohort, PlanRun.Status.APPLIED, hours_ago=3)
    assert "Apply #" not in cohort_row(index(staff_client), cohort)

    newer = plan_run(cohort, PlanRun.Status.SOLVED, hours_ago=2)
    failed = plan_run(cohort, PlanRun.Status.FAILED, hours_ago=1)

    row = cohort_row(index(staff_client), cohort)
    assert f"#{failed.pk}</a>: failed" in row
    assert f"Apply #{newer.pk}</button>" in row
    assert f"Apply #{older.pk}<" not in row
    assert f"#{applied.pk}<" not in row


def test_the_plan_url_takes_only_a_post(staff_client, cohort):
    response = staff_client.get(reverse("admin:cohort_cohort_plan", args=[cohort.pk]))

    assert response.status_code == 405
    assert not PlanRun.objects.exists()


def test_planning_a_cohort_that_does_not_exist_is_a_404(staff_client):
    response = staff_client.post(reverse("admin:cohort_cohort_plan", args=[987654]))

    assert response.status_code == 404


def test_a_mentor_gets_no_dashboard(alice_client, cohort):
    page = index(alice_client)

    assert page.status_code == 200
    assert "dashboard" not in page.context
    assert 'id="dashboard"' not in page.content.decode()


def test_a_mentor_cannot_plan_a_cohort(alice_client, cohort):
    response = alice_client.post(reverse("admin:cohort_cohort_plan", args=[cohort.pk]))

    assert response.status_code == 403
    assert not PlanRun.objects.exists()


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert index(client).status_code == 200
    return len(queries)


def cohort_with_plans(name: str):
    cohort = CohortFactory(name=name, start_date=dt.date(2099, 1, 5), end_date=dt.date(2099, 3, 27))
    for status in (PlanRun.Status.APPLIED, PlanRun.Status.SOLVED, PlanRun.Status.PENDING):
        PlanRun.objects.create(cohort=cohort, status=status)
    return cohort


def test_the_dashboards_queries_do_not_grow_with_the_cohorts(staff_client):
    stream = StreamFactory()
    ImportWarning.objects.create(
        stream=stream, mentor=MentorFactory(), code=CODE.CADENCE_UNSPECIFIED, message="?"
    )
    cohort_with_plans("First")
    one = dashboard_queries(staff_client)

    for name in ("Second", "Third", "Fourth"):
        cohort_with_plans(name)
    ImportWarning.objects.create(
        stream=stream, mentor=MentorFactory(), code=CODE.DUPLICATED_TEXT, message="!"
    )
    page = index(staff_client)
    four = dashboard_queries(staff_client)

    assert len(page.context["dashboard"].cohorts) == 4
    assert four == one


def test_the_cohorts_own_page_plans_it_too(staff_client, plannable, django_capture_on_commit_callbacks):
    page = staff_client.get(reverse("admin:cohort_cohort_change", args=[plannable.pk])).content.decode()
    action = form_action(page, "Plan the schedule")

    assert action == reverse("admin:cohort_cohort_plan", args=[plannable.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(action)
    run = PlanRun.objects.get(cohort=plannable)
    assert response.url == reverse("admin:scheduling_planrun_change", args=[run.pk])
    run.refresh_from_db()
    assert run.status == PlanRun.Status.SOLVED


# --- Open import warnings -----------------------------------------------------------------------------------------


def warning(mentor, code: str, *, stream=None, resolved: bool = False) -> ImportWarning:
    return ImportWarning.objects.create(
        stream=stream or StreamFactory(),
        mentor=mentor,
        code=code,
        message=f"{mentor.name if mentor else 'The stream'}: {code}.",
        resolved_at=timezone.now() if resolved else None,
    )


def test_open_warnings_are_counted_and_link_to_their_mentor(staff_client):
    ada, ben = MentorFactory(name="Ada"), MentorFactory(name="Ben")
    warning(ada, CODE.CADENCE_UNSPECIFIED)
    warning(ben, CODE.NAMES_OTHER_MENTOR, resolved=True)
    stream = StreamFactory(title="Robustness")
    warning(None, CODE.MISSING_ORGANISATION, stream=stream)

    warnings = section(index(staff_client), "dashboard-warnings")

    assert "Open import warnings (2)" in warnings
    assert link(warnings, "Ada") == reverse("admin:mentors_mentor_change", args=[ada.pk])
    assert "Cadence unspecified. Ada: cadence_unspecified." in warnings
    assert "Robustness:" in warnings  # a warning about the stream itself names the stream
    assert "Ben" not in warnings
    assert "Names another mentor" not in warnings
    assert link(warnings, "All open warnings") == reverse("admin:mentors_importwarning_changelist")


def test_the_count_covers_every_open_warning_beyond_the_ten_shown(staff_client):
    mentor = MentorFactory(name="Ada")
    for _ in range(12):
        warning(mentor, CODE.DUPLICATED_TEXT)

    warnings = section(index(staff_client), "dashboard-warnings")

    assert "Open import warnings (12)" in warnings
    assert warnings.count("<li>") == 10


def test_open_suggestions_are_counted_and_lead_to_the_list_where_they_are_decided(staff_client):
    ada = MentorFactory(name="Ada")
    for value, status in (("Europe/Oslo", "open"), ("3", "open"), ("Europe/Rome", "dismissed")):
        setting = "preferred_weekdays" if value == "3" else "time_zone"
        Suggestion.objects.create(
            mentor=ada, setting=setting, value=value, phrase="?", source="?", status=status
        )

    warnings = section(index(staff_client), "dashboard-warnings")

    assert link(warnings, "2 suggestions to accept or dismiss") == reverse(
        "admin:mentors_suggestion_changelist"
    )


def test_no_open_warning_says_so(staff_client):
    warning(MentorFactory(), CODE.CADENCE_UNSPECIFIED, resolved=True)

    warnings = section(index(staff_client), "dashboard-warnings")

    assert "Open import warnings (0)" in warnings
    assert "None: every stream document read cleanly" in warnings


@pytest.fixture
def flagged():
    """Ada with one warning of each code, and Ben with a cadence warning of his own; all open."""
    ada, ben = MentorFactory(name="Ada"), MentorFactory(name="Ben")
    stream = StreamFactory()
    return {
        "ada": ada,
        "ben": ben,
        "ada_warnings": {code: warning(ada, code, stream=stream) for code in CODE.values},
        "ben_warning": warning(ben, CODE.CADENCE_UNSPECIFIED, stream=stream),
    }


def open_codes(mentor) -> set[str]:
    return set(
        ImportWarning.objects.filter(mentor=mentor, resolved_at__isnull=True).values_list("code", flat=True)
    )


def assert_cadence_warnings_resolved_by(user, flagged) -> None:
    # Copied text stays open: its one warning is about every mentor who shares the passage, not one cadence.
    assert open_codes(flagged["ada"]) == {
        CODE.NAMES_OTHER_MENTOR,
        CODE.DUPLICATED_TEXT,
        CODE.MISSING_ORGANISATION,
        CODE.MENTOR_REMOVED,
    }
    for code in (CODE.CADENCE_UNSPECIFIED, CODE.CADENCE_NEEDS_REVIEW, CODE.CADENCE_KEPT):
        resolved = ImportWarning.objects.get(pk=flagged["ada_warnings"][code].pk)
        assert (resolved.is_resolved, resolved.resolved_by) == (True, user), code
    assert open_codes(flagged["ben"]) == {CODE.CADENCE_UNSPECIFIED}


def cadence_rows(*demands: dict) -> dict[str, str]:
    """The cadence editor's rows as the mentor change form posts them (no rows were there before)."""
    data = {
        "cadence-TOTAL_FORMS": str(len(demands)),
        "cadence-INITIAL_FORMS": "0",
        "cadence-MIN_NUM_FORMS": "0",
        "cadence-MAX_NUM_FORMS": "1000",
    }
    for index_, demand in enumerate(demands):
        data |= {f"cadence-{index_}-{key}": str(value) for key, value in demand.items()}
    return data


WEEKLY_ROW = {"kind": "one_on_one", "per_week_min": "1", "per_week_max": "1", "duration_minutes": "60"}


def save_mentor(client, mentor, **changes):
    url = reverse("admin:mentors_mentor_change", args=[mentor.pk])
    return client.post(url, posted_back(client.get(url)) | changes)


def test_editing_a_cadence_in_the_admin_resolves_the_warnings_about_it(staff_client, admin_user, flagged):
    response = save_mentor(staff_client, flagged["ada"], **cadence_rows(WEEKLY_ROW))

    assert response.status_code == 302
    flagged["ada"].refresh_from_db()
    assert flagged["ada"].cadence_value.describe() == "1-on-1, weekly, 60 min"
    assert_cadence_warnings_resolved_by(admin_user, flagged)
    warnings = section(index(staff_client), "dashboard-warnings")
    assert "Open import warnings (5)" in warnings


def test_saving_a_mentor_without_changing_the_cadence_resolves_nothing(staff_client, flagged):
    response = save_mentor(staff_client, flagged["ada"], title="Professor")

    assert response.status_code == 302
    assert open_codes(flagged["ada"]) == set(CODE.values)


def test_a_shared_passages_warning_shows_on_each_named_mentors_page(staff_client, flagged):
    copied = flagged["ada_warnings"][CODE.DUPLICATED_TEXT]
    copied.shared_with.add(flagged["ben"])

    ada_page = staff_client.get(reverse("admin:mentors_mentor_change", args=[flagged["ada"].pk])).text
    ben_page = staff_client.get(reverse("admin:mentors_mentor_change", args=[flagged["ben"].pk])).text

    assert copied.message in ada_page
    assert copied.message in ben_page
    assert "Import warnings shared with other mentors" in ben_page


def test_changing_the_cadence_through_the_api_resolves_the_warnings_about_it(admin_user, flagged):
    client = APIClient()
    client.force_authenticate(admin_user)

    response = client.patch(
        f"/api/v1/mentors/{flagged['ada'].pk}/", {"cadence": WEEKLY_ONE_ON_ONE.to_dict()}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["cadence_summary"] == "1-on-1, weekly, 60 min"
    assert_cadence_warnings_resolved_by(admin_user, flagged)


def test_sending_the_read_cadence_back_without_its_doubts_accepts_the_reading(admin_user):
    read = parse_cadence("Weekly 1:1s. Biweekly group calls.")
    ada = MentorFactory(name="Ada", cadence=read.to_dict())
    client = APIClient()
    client.force_authenticate(admin_user)
    shown = client.get(f"/api/v1/mentors/{ada.pk}/").json()
    assert shown["cadence"]["doubts"][0]["phrase"] == "Biweekly"
    assert shown["cadence_summary"] == "1-on-1, weekly — needs review"
    accepted = {key: value for key, value in shown["cadence"].items() if key != "doubts"}

    response = client.patch(f"/api/v1/mentors/{ada.pk}/", {"cadence": accepted}, format="json")

    assert response.json()["cadence_summary"] == "1-on-1, weekly"
    ada.refresh_from_db()
    assert (ada.cadence_value.needs_review, ada.cadence_edited_by_staff) == (False, True)


def test_staff_find_the_cadences_that_need_review_and_read_why_on_the_mentors_page(staff_client):
    doubted = MentorFactory(name="Ada", cadence=parse_cadence("Weekly 1:1s. Biweekly group calls.").to_dict())
    MentorFactory(name="Ben", cadence=parse_cadence("Weekly 1:1s.").to_dict())
    MentorFactory(name="Cai", cadence={})

    listed = staff_client.get(reverse("admin:mentors_mentor_changelist"), {"cadence": "review"})
    page = staff_client.get(reverse("admin:mentors_mentor_change", args=[doubted.pk])).content.decode()

    assert [mentor.name for mentor in listed.context["cl"].result_list] == ["Ada", "Cai"]
    assert "“Biweekly”: means twice a week or every two weeks" in page


def test_preferred_weekdays_are_set_through_the_api_and_refused_when_not_days(admin_user):
    ada = MentorFactory(name="Ada")
    client = APIClient()
    client.force_authenticate(admin_user)

    refused = client.patch(f"/api/v1/mentors/{ada.pk}/", {"preferred_weekdays": [9]}, format="json")
    accepted = client.patch(f"/api/v1/mentors/{ada.pk}/", {"preferred_weekdays": [1, 3]}, format="json")

    assert refused.status_code == 400
    assert "preferred_weekdays" in refused.json()
    assert accepted.json()["preferred_weekdays"] == [1, 3]


def test_a_refused_cadence_through_the_api_resolves_nothing(admin_user, flagged):
    client = APIClient()
    client.force_authenticate(admin_user)

    response = client.patch(
        f"/api/v1/mentors/{flagged['ada'].pk}/", {"cadence": {"demands": [{"kind": "séance"}]}}, format="json"
    )

    assert response.status_code == 400
    assert open_codes(flagged["ada"]) == set(CODE.values)


def test_the_same_cadence_sent_again_through_the_api_is_no_edit(admin_user, flagged):
    ada = flagged["ada"]
    ada.cadence = WEEKLY_ONE_ON_ONE.to_dict()
    ada.save()
    client = APIClient()
    client.force_authenticate(admin_user)

    response = client.patch(
        f"/api/v1/mentors/{ada.pk}/", {"cadence": WEEKLY_ONE_ON_ONE.to_dict()}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["cadence_edited_by_staff"] is False
    assert open_codes(ada) == set(CODE.values)


# --- Importing a stream document ----------------------------------------------------------------------------------

STREAM_DOCUMENT = """\
Robustness

Making models behave under pressure.

Mentors

Ana Sousa
Research Scientist, Example Lab

Ana studies adversarial robustness of language models.

  • Ana leads the robustness group at Example Lab.

  • Mentorship:

    We meet twice a week, on Monday and Thursday.

Ben Okoro
Professor, Northfield University

Ben works on certified defences.

  • Ben is a professor of computer science.

  • We will agree on a rhythm of meetings together in the first week.
"""

# The second mentor has no title line: the parser refuses the whole document at line 9.
MALFORMED_DOCUMENT = """\
Robustness

Making models behave under pressure.

Mentors

Ana Sousa
Research Scientist, Example Lab

Ana studies adversarial robustness of language models.

Ben Okoro

Ben works on certified defences.
"""

STREAM_IMPORT = "admin:mentors_importwarning_import"
ROSTER_IMPORT = "admin:scholars_scholar_import"


def upload(client, url_name: str, name: str | None = None, content: bytes = b"", **extra):
    """Submit the import page's form as a browser does: with the page's CSRF token, and the file if one is chosen."""
    url = reverse(url_name)
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]}
    if name is not None:
        data["document"] = SimpleUploadedFile(name, content, content_type="text/plain")
    return client.post(url, data, **extra)


def document_errors(response) -> list[str]:
    return list(response.context["form"].errors["document"])


def stored() -> tuple:
    return (
        Stream.objects.count(),
        Mentor.objects.count(),
        ImportWarning.objects.count(),
        Scholar.objects.count(),
        Mentorship.objects.count(),
    )


def test_staff_open_the_stream_import_page(staff_client):
    response = staff_client.get(reverse(STREAM_IMPORT))

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.text
    assert 'type="file" name="document"' in response.text


def test_a_mentor_cannot_open_the_stream_import_page(alice_client):
    assert alice_client.get(reverse(STREAM_IMPORT)).status_code == 403


def test_a_mentor_cannot_import_a_stream_document(alice_client):
    before = stored()

    response = alice_client.post(
        reverse(STREAM_IMPORT), {"document": SimpleUploadedFile("robustness.txt", STREAM_DOCUMENT.encode())}
    )

    assert response.status_code == 403
    assert stored() == before


def test_a_stream_document_creates_the_stream_and_its_mentors(staff_client, admin_user):
    response = upload(staff_client, STREAM_IMPORT, "robustness.txt", STREAM_DOCUMENT.encode(), follow=True)

    assert response.redirect_chain == [(reverse("admin:mentors_importwarning_changelist"), 302)]
    assert messages_of(response) == ["robustness: 2 mentors read, 1 open warning."]
    stream = Stream.objects.get()
    assert (stream.slug, stream.title, stream.source_file) == ("robustness", "Robustness", "robustness.txt")
    assert sorted(stream.mentors.values_list("slug", flat=True)) == ["ana-sousa", "ben-okoro"]
    assert Mentor.objects.get(slug="ana-sousa").cadence_value.describe() == "1-on-1, 2× a week"
    [flag] = ImportWarning.objects.all()
    assert (flag.code, flag.mentor.slug, flag.line) == (CODE.CADENCE_UNSPECIFIED, "ben-okoro", 18)
    assert [w.pk for w in response.context["cl"].result_list] == [flag.pk]


def test_the_same_document_again_says_nothing_had_changed(staff_client):
    upload(staff_client, STREAM_IMPORT, "robustness.txt", STREAM_DOCUMENT.encode())

    response = upload(staff_client, STREAM_IMPORT, "robustness.txt", STREAM_DOCUMENT.encode(), follow=True)

    assert messages_of(response) == ["robustness: 2 mentors read, 1 open warning; nothing had changed."]
    assert Mentor.objects.count() == 2


def test_an_imported_warning_is_settled_from_the_dashboard_by_editing_the_cadence(staff_client):
    upload(staff_client, STREAM_IMPORT, "robustness.txt", STREAM_DOCUMENT.encode())
    warnings = section(index(staff_client), "dashboard-warnings")
    assert "Open import warnings (1)" in warnings
    mentor_page = link(warnings, "Ben Okoro")

    staff_client.post(mentor_page, posted_back(staff_client.get(mentor_page)) | cadence_rows(WEEKLY_ROW))

    assert "Open import warnings (0)" in section(index(staff_client), "dashboard-warnings")


def test_a_malformed_document_imports_nothing_and_names_the_line(staff_client):
    upload(staff_client, STREAM_IMPORT, "robustness.txt", STREAM_DOCUMENT.encode())
    before = stored()
    edited = MALFORMED_DOCUMENT.replace("Research Scientist", "Chief Scientist")

    response = upload(staff_client, STREAM_IMPORT, "robustness.txt", edited.encode())

    assert response.status_code == 400
    assert document_errors(response) == [
        "Line 12: mentor 'Ben Okoro' has no title line: the line right after the name must read "
        "'Title, Organisation'. Nothing was imported."
    ]
    assert "Nothing was imported." in response.text
    assert stored() == before
    assert Mentor.objects.get(slug="ana-sousa").title == "Research Scientist"


def test_a_document_that_is_not_utf8_imports_nothing(staff_client):
    response = upload(staff_client, STREAM_IMPORT, "latin1.txt", "Café\n\nMentors\n".encode("latin-1"))

    assert response.status_code == 400
    assert document_errors(response) == [
        "Line 1: not valid UTF-8 (byte 0xE9 at column 4); save the file as UTF-8. Nothing was imported."
    ]
    assert stored() == (0, 0, 0, 0, 0)


def test_submitting_no_file_asks_for_one(staff_client):
    response = upload(staff_client, STREAM_IMPORT)

    assert response.status_code == 400
    assert document_errors(response) == ["Choose a file to import."]
    assert "Choose a file to import." in response.text


def test_a_file_over_two_megabytes_is_refused_unread(staff_client):
    response = upload(staff_client, STREAM_IMPORT, "huge.txt", b"x" * (3 * 1024 * 1024))

    assert response.status_code == 400
    assert document_errors(response) == ["huge.txt is 3072 KB; at most 2048 KB is taken."]
    assert stored() == (0, 0, 0, 0, 0)


def test_a_file_of_exactly_two_megabytes_is_read(staff_client):
    response = upload(staff_client, STREAM_IMPORT, "big.txt", b"x" * (2 * 1024 * 1024))

    assert response.status_code == 400  # read, and refused for what it says, not for its size
    [error] = document_errors(response)
    assert error.startswith("Line 1: no 'Mentors' line")


def test_the_warnings_list_offers_the_import_to_staff_only(staff_client, alice_client):
    changelist = reverse("admin:mentors_importwarning_changelist")
    import_link = f'<a href="{reverse(STREAM_IMPORT)}">Import a stream document</a>'

    assert import_link in staff_client.get(changelist).text
    for_mentor = alice_client.get(changelist)
    assert for_mentor.status_code == 403  # a mentor may not even list the warnings
    assert "Import a stream document" not in for_mentor.content.decode()


# --- Importing a roster CSV ---------------------------------------------------------------------------------------

HEADER = "name,email,cohort,stream,status,time_zone,work_start,work_end,mentor,co_mentor\n"


@pytest.fixture
def places():
    return {
        "cohort": CohortFactory(slug="winter-27", time_zone="Europe/London"),
        "stream": StreamFactory(slug="interp"),
        "cas": MentorFactory(slug="cas"),
        "alex": MentorFactory(slug="alex"),
    }


def test_a_roster_creates_its_scholars_and_their_mentorships(staff_client, places):
    roster = (
        HEADER
        + "Ada Lovelace,ada@example.org,winter-27,interp,training,America/New_York,08:30,16:30,cas,alex\n"
        + "Grace Hopper,grace@example.org,winter-27,interp,,,,,cas,\n"
    )

    response = upload(staff_client, ROSTER_IMPORT, "roster.csv", roster.encode(), follow=True)

    assert response.redirect_chain == [(reverse("admin:scholars_scholar_changelist"), 302)]
    assert messages_of(response) == ["2 scholars created, with their mentorships."]
    assert sorted(Scholar.objects.values_list("email", "cohort__slug", "stream__slug")) == [
        ("ada@example.org", "winter-27", "interp"),
        ("grace@example.org", "winter-27", "interp"),
    ]
    assert sorted(Mentorship.objects.values_list("scholar__slug", "mentor__slug", "role")) == [
        ("ada-lovelace", "alex", "co_mentor"),
        ("ada-lovelace", "cas", "primary"),
        ("grace-hopper", "cas", "primary"),
    ]
    assert {s.name for s in response.context["cl"].result_list} == {"Ada Lovelace", "Grace Hopper"}


def test_a_roster_of_one_says_scholar(staff_client, places):
    response = upload(
        staff_client,
        ROSTER_IMPORT,
        "roster.csv",
        b"name,email,cohort,stream\nAda,ada@example.org,winter-27,interp\n",
        follow=True,
    )

    assert messages_of(response) == ["1 scholar created, with their mentorships."]


def test_a_roster_with_bad_rows_lists_every_problem_and_creates_nobody(staff_client, places):
    before = stored()
    roster = (
        HEADER
        + "Ada,ada@example.org,winter-27,interp,,,,,cas,\n"
        + "Bob,bob@example.org,winter-27,interp,,Mars/Olympus,,,,\n"
        + "Cy,cy@example.org,winter-27,interp,,,,,,\n"
        + "Dee,dee@example.org,spring-27,interp,,,,,nobody,\n"
    )

    response = upload(staff_client, ROSTER_IMPORT, "roster.csv", roster.encode())

    assert response.status_code == 400
    assert document_errors(response) == [
        "Line 3, time_zone: 'Mars/Olympus' is not an IANA time zone; use a name like Europe/London.",
        "Line 5, cohort: No cohort with slug 'spring-27'.",
        "Line 5, mentor: No mentor with slug 'nobody'.",
        "Nothing was imported.",
    ]
    assert "Nothing was imported." in response.text
    assert stored() == before


def test_a_roster_with_a_bad_header_names_the_file(staff_client, places):
    response = upload(
        staff_client, ROSTER_IMPORT, "roster.csv", b"name,email,cohort\nAda,ada@example.org,winter-27\n"
    )

    assert response.status_code == 400
    assert document_errors(response) == ["Line 1, stream: Required column missing.", "Nothing was imported."]
    assert not Scholar.objects.exists()


def test_a_mentor_cannot_import_a_roster(alice_client, places):
    before = stored()

    get = alice_client.get(reverse(ROSTER_IMPORT))
    post = alice_client.post(
        reverse(ROSTER_IMPORT),
        {
            "document": SimpleUploadedFile(
                "roster.csv", b"name,email,cohort,stream\nAda,ada@example.org,winter-27,interp\n"
            )
        },
    )

    assert (get.status_code, post.status_code) == (403, 403)
    assert stored() == before


def test_the_scholar_list_offers_the_roster_import_to_staff_only(staff_client, alice_client):
    changelist = reverse("admin:scholars_scholar_changelist")
    import_link = f'<a href="{reverse(ROSTER_IMPORT)}">Import a roster CSV</a>'

    assert import_link in staff_client.get(changelist).text
    for_mentor = alice_client.get(changelist)
    assert for_mentor.status_code == 200
    assert "Import a roster CSV" not in for_mentor.text


# --- The week page ------------------------------------------------------------------------------------------------


def test_the_week_grid_scrolls_inside_its_box_and_both_grid_and_chart_have_a_legend(staff_client, alice):
    cohort = alice.scholar.cohort

    response = staff_client.get(reverse("admin:cohort_cohort_week", args=[cohort.pk]))

    assert response.status_code == 200
    text = response.text
    assert re.search(r'<div class="scrolls">\s*<table class="week-grid" id="week-grid">', text)
    box = text.split('<div class="scrolls">', 1)[1]
    assert box.index("</table>") < box.index("</div>") < box.index('id="week-grid-legend"')
    grid_legend = text.split('id="week-grid-legend">', 1)[1].split("</ul>", 1)[0]
    assert [re.sub(r"<[^>]+>|09:00", "", item).strip() for item in grid_legend.split("</li>")[:-1]] == [
        "scheduled",
        "held",
        "missed",
        "cancelled",
        "a mentorship behind its cadence",
        "outside the mentor's hours: re-plan",
    ]
    assert text.count('id="week-plot-legend"') == 1
    assert text.index('<svg class="week-plot"') < text.index('id="week-plot-legend"')
