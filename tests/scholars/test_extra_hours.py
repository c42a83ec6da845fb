"""Hours a mentor or a scholar adds on single dates (a date override): set on their home page, through the API or
in the admin, with the same checks; audited; counted by plans, by moves and by the check of published meetings
against the person's hours."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cohort.models import AuditEntry
from scheduling.models import Meeting
from scheduling.planner import ExtraHours as PlannedExtraHours
from scheduling.problem_builder import build_cohort_problem, mentor_key, scholar_key
from scheduling.selectors import meetings_outside_hours
from scheduling.services.meeting_edits import meeting_move
from scholars.models import ExtraHours, Scholar
from tests.admin.conftest import posted_back
from tests.factories import CohortFactory, MentorFactory, MentorshipFactory, ScholarFactory, UserFactory
from tests.meeting_rows import miras_one_on_one_with_sam

pytestmark = pytest.mark.django_db
TUESDAY = dt.date(2027, 3, 2)


@pytest.fixture
def meeting() -> Meeting:
    """Mira's 1-on-1 with Sam on Monday 1 March 2027 at 10:00 London; Mira meets Monday to Friday 9 to 5, Sam
    works until 8 pm."""
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 31))
    found = miras_one_on_one_with_sam(
        cohort=cohort,
        time_zone="Europe/London",
        starts_at=dt.datetime(2027, 3, 1, 10, tzinfo=dt.UTC),
        mentor_user=UserFactory(username="mentor-mira", is_staff=True),
    )
    Scholar.objects.filter(name="Sam").update(work_end=dt.time(20))
    return found


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_mentor_adds_extra_hours_on_their_page_and_a_move_into_them_needs_no_force(meeting):
    mentor = meeting.series.mentor
    # A wall clock: the service reads it in the series' zone.
    evening = dt.datetime.fromisoformat("2027-03-02 17:30")
    with pytest.raises(ValidationError, match="outside Mira's availability"):
        meeting_move(meeting=meeting, starts_at=evening)
    client = page_client(mentor.user)

    response = client.post(
        "/extra-hours/",
        {
            "extra-date": "2027-03-02",
            "extra-start_time": "17:00",
            "extra-end_time": "19:00",
            "extra-note": "Late lab",
        },
    )

    assert response.status_code == 302
    [extra] = mentor.extra_hours.all()
    assert (extra.date, extra.start_time, extra.end_time, extra.note) == (
        TUESDAY,
        dt.time(17),
        dt.time(19),
        "Late lab",
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATED, target_id=extra.pk).exists()
    home = client.get("/").content.decode()
    assert "Tue 2 Mar 2027, 17:00–19:00" in home
    meeting.refresh_from_db()
    moved = meeting_move(meeting=meeting, starts_at=evening)
    assert moved.starts_at == dt.datetime(2027, 3, 2, 17, 30, tzinfo=dt.UTC)
    assert meetings_outside_hours(mentor, now=dt.datetime(2027, 3, 1, tzinfo=dt.UTC)) == []

    removed = client.post(f"/extra-hours/{extra.pk}/remove/", follow=True)

    assert "Extra hours removed: Tue 2 Mar 2027, 17:00–19:00." in removed.content.decode()
    assert "now outside your hours" in removed.content.decode()
    assert [m.pk for m in meetings_outside_hours(mentor, now=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))] == [
        meeting.pk
    ]


def test_extra_hours_that_cannot_hold_are_refused_by_field_and_nothing_is_saved(meeting):
    mentor = meeting.series.mentor
    client = page_client(mentor.user)
    ExtraHours.objects.create(mentor=mentor, date=TUESDAY, start_time=dt.time(17), end_time=dt.time(19))

    backwards = client.post(
        "/extra-hours/", {"extra-date": "2027-03-02", "extra-start_time": "19:00", "extra-end_time": "18:00"}
    )
    overlapping = client.post(
        "/extra-hours/", {"extra-date": "2027-03-02", "extra-start_time": "18:00", "extra-end_time": "20:00"}
    )
    seconds = client.post(
        "/extra-hours/",
        {"extra-date": "2027-03-03", "extra-start_time": "18:00:30", "extra-end_time": "20:00"},
    )
    past = client.post(
        "/extra-hours/", {"extra-date": "2020-03-03", "extra-start_time": "18:00", "extra-end_time": "20:00"}
    )

    assert backwards.status_code == overlapping.status_code == seconds.status_code == past.status_code == 400
    assert past.context["extra_hours_form"].errors["date"] == ["That date has passed."]
    assert backwards.context["extra_hours_form"].errors["end_time"] == [
        "Extra hours must end after they start (on the same day)."
    ]
    assert overlapping.context["extra_hours_form"].non_field_errors() == [
        "These overlap your extra hours of Tue 2 Mar 2027, 17:00–19:00; change those instead."
    ]
    assert "start_time" in seconds.context["extra_hours_form"].errors
    assert mentor.extra_hours.count() == 1


def test_another_mentors_extra_hours_cannot_be_removed_from_a_page(meeting):
    other = MentorFactory(user=UserFactory(username="mentor-other", is_staff=True))
    theirs = ExtraHours.objects.create(
        mentor=other, date=TUESDAY, start_time=dt.time(17), end_time=dt.time(19)
    )

    response = page_client(meeting.series.mentor.user).post(f"/extra-hours/{theirs.pk}/remove/")

    assert response.status_code == 404
    assert ExtraHours.objects.filter(pk=theirs.pk).exists()


def test_the_api_gives_mentors_their_own_and_staff_everyones_with_field_level_errors(meeting):
    mira = meeting.series.mentor
    other = MentorFactory(user=UserFactory(username="mentor-other", is_staff=True))
    ExtraHours.objects.create(mentor=other, date=TUESDAY, start_time=dt.time(8), end_time=dt.time(9))
    as_mira = APIClient()
    as_mira.force_authenticate(mira.user)

    created = as_mira.post(
        "/api/v1/extra-hours/",
        {"date": "2027-03-02", "start_time": "17:00", "end_time": "19:00"},
        format="json",
    )
    refused = as_mira.post(
        "/api/v1/extra-hours/",
        {"date": "2027-03-03", "start_time": "19:00", "end_time": "17:00"},
        format="json",
    )
    listed = as_mira.get("/api/v1/extra-hours/").json()

    assert created.status_code == 201, created.json()
    assert created.json()["mentor"] == mira.pk
    assert refused.status_code == 400
    assert refused.json()["end_time"] == ["Extra hours must end after they start (on the same day)."]
    assert [row["id"] for row in listed["results"]] == [created.json()["id"]]
    staff = APIClient()
    staff.force_authenticate(UserFactory(username="staff", is_staff=True, is_superuser=True))
    assert staff.get("/api/v1/extra-hours/").json()["count"] == 2


def test_the_cohort_problem_carries_the_mentors_extra_hours():
    cohort = CohortFactory()
    mentor = MentorFactory()
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=cohort))
    ExtraHours.objects.create(mentor=mentor, date=TUESDAY, start_time=dt.time(17), end_time=dt.time(19))

    people = build_cohort_problem(cohort=cohort, time_limit_seconds=1).problem.people_by_key

    assert people[mentor_key(mentor)].extra_hours == (PlannedExtraHours(TUESDAY, dt.time(17), dt.time(19)),)


def test_a_scholar_adds_and_removes_extra_hours_on_their_page(meeting):
    sam = meeting.series.scholars.get()
    sam.user = UserFactory(username="scholar-sam")
    sam.save()
    client = page_client(sam.user)

    response = client.post(
        "/extra-hours/",
        {
            "extra-date": "2027-03-02",
            "extra-start_time": "20:00",
            "extra-end_time": "22:00",
            "extra-note": "Demo",
        },
    )

    assert response.status_code == 302
    [extra] = sam.extra_hours.all()
    assert (extra.date, extra.start_time, extra.end_time, extra.mentor_id) == (
        TUESDAY,
        dt.time(20),
        dt.time(22),
        None,
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATED, target_id=extra.pk).exists()
    assert "Tue 2 Mar 2027, 20:00–22:00" in client.get("/").content.decode()
    removed = client.post(f"/extra-hours/{extra.pk}/remove/", follow=True)
    assert "Extra hours removed: Tue 2 Mar 2027, 20:00–22:00." in removed.content.decode()
    assert not sam.extra_hours.exists()


def test_a_scholars_extra_hours_count_in_moves_and_in_the_cohorts_problem(meeting):
    """Sam works until 20:00; Mira adds 20:00-22:00 on Tuesday. A move there is outside Sam's hours until Sam adds
    the same evening; the cohort's problem carries Sam's hours too."""
    mira, sam = meeting.series.mentor, meeting.series.scholars.get()
    MentorshipFactory(mentor=mira, scholar=sam)
    ExtraHours.objects.create(mentor=mira, date=TUESDAY, start_time=dt.time(20), end_time=dt.time(22))
    late = dt.datetime.fromisoformat("2027-03-02 20:30")
    with pytest.raises(ValidationError, match="outside Sam's working days and hours"):
        meeting_move(meeting=meeting, starts_at=late)

    ExtraHours.objects.create(scholar=sam, date=TUESDAY, start_time=dt.time(20), end_time=dt.time(22))

    people = build_cohort_problem(cohort=meeting.series.cohort, time_limit_seconds=1).problem.people_by_key
    assert people[scholar_key(sam)].extra_hours == (PlannedExtraHours(TUESDAY, dt.time(20), dt.time(22)),)
    moved = meeting_move(meeting=meeting, starts_at=late)
    assert moved.starts_at == dt.datetime(2027, 3, 2, 20, 30, tzinfo=dt.UTC)


def test_staff_add_a_scholars_extra_hours_in_the_scholars_admin(admin_client):
    scholar = ScholarFactory(time_zone="Asia/Tokyo")
    url = reverse("admin:scholars_scholar_change", args=[scholar.pk])
    page = admin_client.get(url)

    assert "From (Asia/Tokyo)" in page.content.decode()
    rows = {"extra_hours-TOTAL_FORMS": "1", "extra_hours-0-date": "2027-03-02"}
    rows |= {"extra_hours-0-start_time": "18:00", "extra_hours-0-end_time": "20:00"}
    response = admin_client.post(url, posted_back(page) | rows)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(scholar.extra_hours.values_list("date", "start_time", "mentor")) == [
        (TUESDAY, dt.time(18), None)
    ]


def test_the_mentor_admin_edits_extra_hours_from_today_on(admin_client):
    mentor = MentorFactory()
    ExtraHours.objects.create(
        mentor=mentor, date=dt.date(2020, 1, 7), start_time=dt.time(17), end_time=dt.time(19)
    )

    page = admin_client.get(reverse("admin:mentors_mentor_change", args=[mentor.pk])).content.decode()

    assert "Extra hours on single dates (from today)" in page
    assert "extra_hours-TOTAL_FORMS" in page
    assert 'value="2020-01-07"' not in page


def test_mentors_and_scholars_write_only_their_own_extra_hours(meeting):
    other = MentorFactory(user=UserFactory(username="mentor-other", is_staff=True))
    as_mira = APIClient()
    as_mira.force_authenticate(meeting.series.mentor.user)
    body = {"mentor": other.pk, "date": "2027-03-02", "start_time": "17:00", "end_time": "19:00"}

    created = as_mira.post("/api/v1/extra-hours/", body, format="json")
    lin = ScholarFactory(name="Lin", user=UserFactory(username="scholar-lin"))
    as_scholar = APIClient()
    as_scholar.force_authenticate(lin.user)
    scholars = as_scholar.post("/api/v1/extra-hours/", body, format="json")

    assert created.status_code == 201
    assert created.json()["mentor"] == meeting.series.mentor.pk  # their own, whatever they named
    assert scholars.status_code == 201
    assert (scholars.json()["scholar"], scholars.json()["mentor"]) == (lin.pk, None)
    assert not other.extra_hours.exists()
    assert [row["id"] for row in as_scholar.get("/api/v1/extra-hours/").json()["results"]] == [
        scholars.json()["id"]
    ]
    assert as_scholar.delete(f"/api/v1/extra-hours/{created.json()['id']}/").status_code == 404


def test_the_admin_refuses_two_overlapping_rows_saved_together(admin_client):
    mentor = MentorFactory()
    url = reverse("admin:mentors_mentor_change", args=[mentor.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        field: value
        for field, value in form.initial.items()
        if value is not None and not isinstance(value, (list, dict))
    }
    data |= {"preferred_weekdays": [], "meeting_free_days": []}
    for prefix in ("availability", "blackouts", "calendar_sources", "suggestions", "import_warnings"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    data |= {"ImportWarning_shared_with-TOTAL_FORMS": "0", "ImportWarning_shared_with-INITIAL_FORMS": "0"}
    data |= {"extra_hours-TOTAL_FORMS": "2", "extra_hours-INITIAL_FORMS": "0"}
    for index, (start, end) in enumerate((("17:00", "19:00"), ("18:00", "20:00"))):
        data |= {
            f"extra_hours-{index}-date": "2099-03-02",
            f"extra_hours-{index}-start_time": start,
            f"extra_hours-{index}-end_time": end,
        }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "These overlap the extra hours of Mon 2 Mar 2099, 17:00–19:00 above; make them one row." in (
        response.content.decode()
    )
    assert not mentor.extra_hours.exists()
