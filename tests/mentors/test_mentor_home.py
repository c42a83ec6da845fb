"""A mentor's own pages (scheduling.pages.mentor): the home with their next two weeks in their zone, their hours,
scholars and calendar links; the seven-day hours editor; time away; and what each save says it did to published
meetings (cancelled, back on, now outside their hours), which the staff's week at a glance flags too.

Meetings come from the real planner and the real services, in cohorts built around today's date so no test goes
stale: most from next Monday (a weekly 1-on-1 on Wednesdays 09:00 New York), and the time-away tests from this
week, on the next weekday, so a cancellation lies within the week in which its notice is sent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cohort.dates import monday_of
from cohort.models import AuditEntry, Cohort
from mentors.models import Availability, Mentor
from scheduling.feed_tokens import feed_token_rotate
from scheduling.models import FeedToken, Meeting, Notification, PlanRun
from scheduling.pages.people import FeedRow
from scheduling.services.planning import plan_apply, plan_cohort
from scholars.models import Blackout, Scholar
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    BlackoutFactory,
    CheckInFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ZONE = "America/New_York"
NEW_YORK = ZoneInfo(ZONE)
WEDNESDAY = 2
SAVED = "Your hours are saved; the next plan uses them."


@dataclass(frozen=True)
class Planned:
    """A mentor with one weekly hour and one scholar, planned and published by the real services."""

    cohort: Cohort
    mentor: Mentor
    scholar: Scholar
    client: Client

    def meetings(self) -> list[Meeting]:
        return list(Meeting.objects.filter(series__mentor=self.mentor).order_by("starts_at"))


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_york_today() -> dt.date:
    return timezone.localdate(timezone=NEW_YORK)


def plan_mentor(settings, *, start: dt.date, end: dt.date, weekday: int, today: dt.date) -> Planned:
    """Noor (New York) free one hour a week, 09:00 to 10:00 on ``weekday``, with one scholar, Ada: the plan has
    exactly one place for their weekly 1-on-1."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    cohort = CohortFactory(start_date=start, end_date=end)
    mentor = MentorFactory(
        name="Noor",
        time_zone=ZONE,
        user=UserFactory(username="noor", is_staff=True),
        cadence=WEEKLY_ONE_ON_ONE.to_dict(),
    )
    AvailabilityFactory(mentor=mentor, weekday=weekday, start_time=dt.time(9), end_time=dt.time(10))
    scholar = ScholarFactory(cohort=cohort, name="Ada", time_zone=ZONE)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    run = plan_cohort(cohort=cohort)
    assert run.status == PlanRun.Status.SOLVED, run.error
    plan_apply(plan_run=run, today=today)
    return Planned(cohort, mentor, scholar, client_of(mentor.user))


def next_monday() -> dt.date:
    """Next Monday in the mentor's zone: the home shows this week and next there."""
    return monday_of(new_york_today()) + dt.timedelta(weeks=1)


@pytest.fixture
def noor(settings) -> Planned:
    """Eight weeks from next Monday: eight Wednesday 1-on-1s, all ahead."""
    start = next_monday()
    return plan_mentor(
        settings, start=start, end=start + dt.timedelta(weeks=8, days=-3), weekday=WEDNESDAY, today=start
    )


@pytest.fixture
def noor_one_week(settings) -> Planned:
    """One week from next Monday: a single Wednesday 1-on-1."""
    start = next_monday()
    return plan_mentor(
        settings, start=start, end=start + dt.timedelta(days=4), weekday=WEDNESDAY, today=start
    )


@pytest.fixture
def soon() -> dt.date:
    """The first working day after today in New York: its 09:00 lies ahead, and within a week (read once per
    test, so a test running over midnight still agrees with its fixture)."""
    day = new_york_today() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def noor_soon(settings, soon) -> Planned:
    """A cohort running now, with Noor's 1-on-1 on the weekday of ``soon``."""
    start = monday_of(new_york_today())
    return plan_mentor(
        settings,
        start=start,
        end=start + dt.timedelta(weeks=4, days=-3),
        weekday=soon.weekday(),
        today=timezone.localdate(),
    )


def said(response) -> list[str]:
    """The messages the request added (what the page shows after the redirect)."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def shows(response, text: str) -> bool:
    return escape(text) in response.text


def day_label(day: dt.date) -> str:
    """How the messages name a day: "Wed 9 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


def new_york_day(meeting: Meeting) -> dt.date:
    return meeting.starts_at.astimezone(NEW_YORK).date()


def hours_of(mentor: Mentor) -> list[tuple[int, str, str]]:
    return [
        (w.weekday, f"{w.start_time:%H:%M}", f"{w.end_time:%H:%M}")
        for w in Availability.objects.filter(mentor=mentor).order_by("weekday", "start_time")
    ]


def day_fields(weekday: int, *ranges: tuple[str, str], on: bool = True) -> dict[str, object]:
    """One day of the hours editor as the page posts it."""
    fields: dict[str, object] = {
        f"day-{weekday}-start": [start for start, _ in ranges],
        f"day-{weekday}-end": [end for _, end in ranges],
    }
    if on:
        fields[f"day-{weekday}-on"] = "on"
    return fields


def post_hours(planned: Planned, *days: dict[str, object]):
    data: dict[str, object] = {}
    for day in days:
        data.update(day)
    return planned.client.post(reverse("hours"), data)


def availability_audit() -> list[tuple[str, int]]:
    """(action, row id) of every audit entry about weekly hours."""
    return sorted(
        AuditEntry.objects.filter(target_type=ContentType.objects.get_for_model(Availability)).values_list(
            "action", "target_id"
        )
    )


def add_time_away(planned: Planned, start: dt.date, end: dt.date | None = None, reason: str = ""):
    return planned.client.post(
        reverse("time-away-add"),
        {"start_date": start.isoformat(), "end_date": (end or start).isoformat(), "reason": reason},
    )


def statuses(planned: Planned) -> list[tuple[int, str, bool]]:
    return [(m.pk, m.status, m.cancelled_by_calendar) for m in planned.meetings()]


def week_page(cohort: Cohort, week: dt.date, admin_user):
    return client_of(admin_user).get(
        reverse("admin:cohort_cohort_week", args=[cohort.pk]), {"week": week.isoformat()}
    )


def meeting_link(page, meeting: Meeting) -> tuple[list[str], str]:
    """The classes and the text of the week page's link to ``meeting``."""
    href = reverse("admin:scheduling_meeting_change", args=[meeting.pk])
    found = re.search(rf'<a class="([^"]*)"\s+href="{re.escape(href)}"[^>]*>(.*?)</a>', page.text, re.DOTALL)
    assert found, f"no link to meeting {meeting.pk} on the week page"
    return found.group(1).split(), found.group(2)


# --- Who gets these pages -----------------------------------------------------------------------------------------

MENTOR_ONLY = [("get", "/hours/"), ("post", "/hours/")]
# Both people's: a scholar enters their time away and extra hours too.
DATE_CHANGES = [
    ("post", "/time-away/"),
    ("post", "/time-away/1/remove/"),
    ("post", "/extra-hours/"),
    ("post", "/extra-hours/1/remove/"),
]


@pytest.mark.parametrize(("method", "path"), [*MENTOR_ONLY, *DATE_CHANGES])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, method, path):
    response = getattr(client, method)(path)

    assert (response.status_code, response.url) == (302, f"/sign-in/?next={quote(path)}")


@pytest.mark.parametrize(("method", "path"), MENTOR_ONLY)
def test_a_scholar_is_sent_home(method, path):
    scholar = ScholarFactory(user=UserFactory(username="ada"))

    response = getattr(client_of(scholar.user), method)(path, {"day-0-on": "on", "day-0-start-0": "09:00"})

    assert (response.status_code, response.url) == (302, "/")
    assert not Availability.objects.exists()


def test_time_away_is_added_by_post_only(noor):
    assert noor.client.get("/time-away/").status_code == 405
    blackout = BlackoutFactory(
        mentor=noor.mentor, start_date=noor.cohort.start_date, end_date=noor.cohort.start_date
    )
    assert noor.client.get(f"/time-away/{blackout.pk}/remove/").status_code == 405
    assert Blackout.objects.filter(pk=blackout.pk).exists()


# --- The home -----------------------------------------------------------------------------------------------------


def test_the_home_lists_the_next_two_weeks_meetings_in_the_mentors_zone(noor):
    first, second, *_ = noor.meetings()
    wednesday = noor.cohort.start_date + dt.timedelta(days=WEDNESDAY)
    nine = dt.datetime.combine(wednesday, dt.time(9), tzinfo=NEW_YORK)

    page = noor.client.get("/")

    assert page.status_code == 200
    assert page.templates[0].name == "pages/mentor_home.html"
    # This week is empty (the cohort starts next Monday); next week has the first Wednesday, the one after is not
    # shown.
    assert first.starts_at == nine
    assert [(day.day, day.meetings) for day in page.context["days"]] == [(wednesday, [first])]
    assert second not in page.context["days"][0].meetings
    assert f"{wednesday:%A} {wednesday.day} {wednesday:%B}" in page.text
    assert f"09:00–10:00 {nine.tzname()}" in page.text
    assert shows(page, first.series.title)
    assert "Times in <strong>America/New_York</strong>" in page.text


def test_the_home_with_nothing_planned_says_so():
    mentor = MentorFactory(time_zone=ZONE, user=UserFactory(username="grace", is_staff=True))

    page = client_of(mentor.user).get("/")

    assert page.context["days"] == []
    assert "No meetings in these two weeks." in page.text
    assert "None yet: nothing can be planned with you until you add some." in page.text
    assert "No scholars yet." in page.text


def test_the_home_sums_up_the_weekly_hours(noor):
    AvailabilityFactory(mentor=noor.mentor, weekday=0, start_time=dt.time(16), end_time=dt.time(17, 30))
    AvailabilityFactory(mentor=noor.mentor, weekday=0, start_time=dt.time(13), end_time=dt.time(15))

    page = noor.client.get("/")

    assert page.context["hours"] == [("Mon", "13:00–15:00, 16:00–17:30"), ("Wed", "09:00–10:00")]
    assert "<dt>Mon</dt><dd>13:00–15:00, 16:00–17:30</dd><dt>Wed</dt><dd>09:00–10:00</dd>" in page.text


def test_the_home_lists_active_scholars_with_their_latest_check_in(noor):
    start = noor.cohort.start_date
    CheckInFactory(scholar=noor.scholar, week_start=start, progress="Read the papers.")
    CheckInFactory(
        scholar=noor.scholar,
        week_start=start + dt.timedelta(weeks=1),
        progress="Reproduced the baseline.",
        blockers="GPU quota",
    )
    bea = ScholarFactory(cohort=noor.cohort, name="Bea")
    MentorshipFactory(mentor=noor.mentor, scholar=bea, role="co_mentor")
    gone = ScholarFactory(cohort=noor.cohort, name="Gone", status=Scholar.Status.WITHDRAWN)
    MentorshipFactory(mentor=noor.mentor, scholar=gone)
    CheckInFactory(scholar=gone, week_start=start, progress="Left the programme.")

    page = noor.client.get("/")

    rows = [
        (row.scholar.name, row.role, row.latest and row.latest.progress) for row in page.context["scholars"]
    ]
    assert rows == [("Ada", "Primary mentor", "Reproduced the baseline."), ("Bea", "Co-mentor", None)]
    second_week = start + dt.timedelta(weeks=1)
    assert f"last check-in week of {second_week.day} {second_week:%b}" in page.text
    assert "Reproduced the baseline." in page.text
    assert "GPU quota" in page.text
    assert "Read the papers." not in page.text
    assert "no check-in yet" in page.text
    assert "Gone" not in page.text


def test_the_home_lists_the_mentors_calendar_feeds(noor):
    team = TeamFactory(cohort=noor.cohort, mentor=noor.mentor, name="Interpretability")

    page = noor.client.get("/")

    assert page.context["feeds"] == [
        FeedRow(FeedToken.Scope.MENTOR, "My meetings", noor.mentor.pk, None, False, ""),
        FeedRow(FeedToken.Scope.TEAM, "Team: Interpretability", team.pk, None, False, ""),
    ]
    assert page.text.count("Get my link") == 2

    feed_token_rotate(owner=noor.mentor, by=noor.mentor.user)
    page = noor.client.get("/")

    [own, _] = page.context["feeds"]
    assert own.active
    assert f"Link starting {own.hint}… is live." in page.text


# --- The hours editor -----------------------------------------------------------------------------------------------


def test_the_editor_shows_the_hours_there_are(noor):
    AvailabilityFactory(
        mentor=noor.mentor, weekday=WEDNESDAY, start_time=dt.time(13), end_time=dt.time(14, 30)
    )

    page = noor.client.get("/hours/")

    assert page.status_code == 200
    assert [(day.name, day.on, day.ranges) for day in page.context["form"].days] == [
        ("Monday", False, []),
        ("Tuesday", False, []),
        ("Wednesday", True, [("09:00", "10:00"), ("13:00", "14:30")]),
        ("Thursday", False, []),
        ("Friday", False, []),
        ("Saturday", False, []),
        ("Sunday", False, []),
    ]
    assert '<input type="checkbox" name="day-2-on" checked>' in page.text
    assert '<input type="checkbox" name="day-0-on" >' in page.text
    assert re.findall(r'name="day-2-(start|end)" value="([^"]*)"', page.text) == [
        ("start", "09:00"),
        ("end", "10:00"),
        ("start", "13:00"),
        ("end", "14:30"),
        ("start", ""),
        ("end", ""),
    ]
    assert "every week, in America/New_York" in page.text


def test_saving_replaces_the_hours_exactly_keeping_an_unchanged_window(noor):
    wednesday = noor.mentor.availability.get()
    monday = AvailabilityFactory(mentor=noor.mentor, weekday=0, start_time=dt.time(13), end_time=dt.time(15))
    audit_before = availability_audit()

    response = post_hours(noor, day_fields(WEDNESDAY, ("09:00", "10:00")), day_fields(3, ("14:00", "15:30")))

    assert (response.status_code, response.url) == (302, "/")
    assert said(response) == [SAVED]
    assert hours_of(noor.mentor) == [(WEDNESDAY, "09:00", "10:00"), (3, "14:00", "15:30")]
    assert noor.mentor.availability.get(weekday=WEDNESDAY).pk == wednesday.pk
    thursday = noor.mentor.availability.get(weekday=3)
    # Only the real changes are audited: the Monday window deleted and the Thursday one created.
    assert availability_audit() == sorted(
        [*audit_before, (AuditEntry.Action.CREATED, thursday.pk), (AuditEntry.Action.DELETED, monday.pk)]
    )


def test_saving_the_same_hours_changes_and_audits_nothing(noor):
    wednesday = noor.mentor.availability.get()
    audit_before = availability_audit()

    response = post_hours(noor, day_fields(WEDNESDAY, ("09:00", "10:00")))

    assert said(response) == [SAVED]
    assert list(noor.mentor.availability.values_list("pk", flat=True)) == [wednesday.pk]
    assert availability_audit() == audit_before


def test_a_day_takes_several_ranges_and_empty_pairs_are_ignored(noor):
    response = post_hours(
        noor,
        day_fields(WEDNESDAY, ("16:15", "17:00"), ("09:00", "10:00"), ("", ""), ("13:00", "14:30")),
        day_fields(4, ("10:00", "11:00"), ("11:00", "12:00")),  # back to back is not an overlap
    )

    assert response.status_code == 302
    assert hours_of(noor.mentor) == [
        (WEDNESDAY, "09:00", "10:00"),
        (WEDNESDAY, "13:00", "14:30"),
        (WEDNESDAY, "16:15", "17:00"),
        (4, "10:00", "11:00"),
        (4, "11:00", "12:00"),
    ]


def test_a_day_switched_off_drops_its_ranges_even_when_they_are_sent(noor):
    AvailabilityFactory(mentor=noor.mentor, weekday=0, start_time=dt.time(13), end_time=dt.time(15))

    response = post_hours(
        noor, day_fields(0, ("13:00", "15:00"), on=False), day_fields(WEDNESDAY, ("09:00", "10:00"))
    )

    assert response.status_code == 302
    assert hours_of(noor.mentor) == [(WEDNESDAY, "09:00", "10:00")]


@pytest.mark.parametrize(
    ("ranges", "error"),
    [
        ([("09:10", "10:00")], "Wednesday: 09:10 is not on a quarter hour (:00, :15, :30, :45)."),
        ([("09:00", "10:05")], "Wednesday: 10:05 is not on a quarter hour (:00, :15, :30, :45)."),
        ([("10:00", "09:00")], "Wednesday: 09:00 is not after 10:00."),
        ([("10:00", "10:00")], "Wednesday: 10:00 is not after 10:00."),
        (
            [("09:00", "10:00"), ("09:30", "11:00")],
            "Wednesday: 09:30 starts before 10:00, when the range before it ends; make them one range.",
        ),
        ([], "Add hours for Wednesday, or switch the day off."),
        ([("09:00", "")], "Wednesday: give both times of a range, as 09:00 and 17:30."),
    ],
    ids=[
        "start-off-quarter",
        "end-off-quarter",
        "end-before-start",
        "empty-range",
        "overlap",
        "on-without-range",
        "half-range",
    ],
)
def test_a_refused_week_is_a_400_naming_the_day_and_writes_nothing(noor, ranges, error):
    hours_before, audit_before, meetings_before = hours_of(noor.mentor), availability_audit(), statuses(noor)

    # Monday is fine on its own: nothing of the week is saved while Wednesday is wrong.
    response = post_hours(noor, day_fields(0, ("13:00", "15:00")), day_fields(WEDNESDAY, *ranges))

    assert response.status_code == 400
    days = response.context["form"].days
    assert days[WEDNESDAY].errors == [error]
    assert [day.errors for day in days if day.weekday != WEDNESDAY] == [[]] * 6
    assert shows(response, error)
    assert said(response) == []
    assert hours_of(noor.mentor) == hours_before
    assert availability_audit() == audit_before
    assert statuses(noor) == meetings_before


# --- Hours that no longer reach published meetings ---------------------------------------------------------------


def test_moving_wednesdays_hours_leaves_its_meetings_outside_them_until_put_back(noor, admin_user):
    meetings = noor.meetings()
    wednesdays = [new_york_day(m) for m in meetings]
    assert len(meetings) == 8
    assert {day.weekday() for day in wednesdays} == {WEDNESDAY}
    first = meetings[0]

    moved = post_hours(noor, day_fields(WEDNESDAY, ("13:00", "14:00")))

    assert (moved.status_code, moved.url) == (302, "/")
    assert said(moved) == [
        SAVED,
        f"8 meetings from {day_label(wednesdays[0])} to {day_label(wednesdays[-1])} now outside your hours: "
        "staff will re-plan them; until then they stand.",
    ]
    # They stand as published.
    assert {m.status for m in noor.meetings()} == {Meeting.Status.SCHEDULED}
    home = noor.client.get("/")
    assert [m.pk for m in home.context["outside_hours"]] == [m.pk for m in meetings]
    assert "Outside your hours" in home.text
    week = week_page(noor.cohort, noor.cohort.start_date, admin_user)
    assert week.status_code == 200
    classes, text = meeting_link(week, first)
    assert "outside-hours" in classes
    assert "outside the mentor's hours: re-plan" in text

    put_back = post_hours(noor, day_fields(WEDNESDAY, ("09:00", "10:00")))

    assert said(put_back) == [SAVED]
    home = noor.client.get("/")
    assert home.context["outside_hours"] == []
    assert "Outside your hours" not in home.text
    week = week_page(noor.cohort, noor.cohort.start_date, admin_user)
    classes, text = meeting_link(week, first)
    assert "outside-hours" not in classes
    assert "outside the mentor's hours" not in text


def test_one_meeting_outside_the_hours_is_named_by_its_day(noor_one_week):
    [meeting] = noor_one_week.meetings()

    response = post_hours(noor_one_week, day_fields(WEDNESDAY, ("09:30", "10:30")))

    assert said(response) == [
        SAVED,
        f"1 meeting on {day_label(new_york_day(meeting))} now outside your hours: staff will re-plan it; "
        "until then it stands.",
    ]


def test_switching_wednesday_off_with_other_hours_flags_its_meetings(noor_one_week):
    [meeting] = noor_one_week.meetings()

    response = post_hours(
        noor_one_week, day_fields(WEDNESDAY, ("09:00", "10:00"), on=False), day_fields(3, ("09:00", "10:00"))
    )

    assert hours_of(noor_one_week.mentor) == [(3, "09:00", "10:00")]
    assert said(response)[1].startswith(
        f"1 meeting on {day_label(new_york_day(meeting))} now outside your hours"
    )


# --- Time away ----------------------------------------------------------------------------------------------------


def test_time_away_on_a_meetings_day_cancels_that_meeting_and_tells_the_scholar(noor_soon, soon):
    day = soon
    [meeting] = [m for m in noor_soon.meetings() if new_york_day(m) == day]
    others = [(pk, status) for pk, status, _ in statuses(noor_soon) if pk != meeting.pk]

    response = add_time_away(noor_soon, day, reason="Dentist")

    assert (response.status_code, response.url) == (302, "/")
    assert said(response) == [
        f"Time away saved: {day_label(day)}.",
        f"1 meeting on {day_label(day)} cancelled; your scholars are told.",
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancelled_by_calendar) == (Meeting.Status.CANCELLED, True)
    assert [(pk, status) for pk, status, _ in statuses(noor_soon) if pk != meeting.pk] == others
    assert Notification.objects.filter(
        kind=Notification.Kind.CANCELLATION,
        meeting=meeting,
        meeting_version=meeting.version,
        recipient_scholar=noor_soon.scholar,
    ).exists()
    blackout = noor_soon.mentor.blackouts.get()
    assert (blackout.start_date, blackout.end_date, blackout.reason) == (day, day, "Dentist")
    home = noor_soon.client.get("/")
    assert "Dentist" in home.text
    assert reverse("time-away-remove", args=[blackout.pk]) in home.text


def test_removing_the_time_away_brings_the_meeting_back(noor_soon, soon):
    day = soon
    [meeting] = [m for m in noor_soon.meetings() if new_york_day(m) == day]
    add_time_away(noor_soon, day)
    noor_soon.client.get("/")  # the redirect a browser follows, showing (and so using up) the save's messages
    blackout = noor_soon.mentor.blackouts.get()

    response = noor_soon.client.post(reverse("time-away-remove", args=[blackout.pk]))

    assert (response.status_code, response.url) == (302, "/")
    assert said(response) == [
        f"Time away removed: {day_label(day)}.",
        f"1 meeting on {day_label(day)} back on; your scholars are told.",
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancelled_by_calendar) == (Meeting.Status.SCHEDULED, False)
    assert not Blackout.objects.filter(pk=blackout.pk).exists()
    # "Told": the scholar has a notice of the meeting's new version, which is live again.
    assert (
        Notification.objects.filter(
            meeting=meeting, meeting_version=meeting.version, recipient_scholar=noor_soon.scholar
        )
        .exclude(kind=Notification.Kind.CANCELLATION)
        .exists()
    )


def test_time_away_over_several_days_is_named_as_a_span(noor):
    start = noor.cohort.start_date
    end = start + dt.timedelta(days=4)

    response = add_time_away(noor, start, end)

    first = noor.meetings()[0]
    assert said(response) == [
        f"Time away saved: {day_label(start)} to {day_label(end)} {end:%Y}.",
        f"1 meeting on {day_label(new_york_day(first))} cancelled; your scholars are told.",
    ]
    assert (first.status, first.cancelled_by_calendar) == (Meeting.Status.CANCELLED, True)


def test_two_weeks_away_names_each_day_cancelled(noor):
    first, second, *_ = noor.meetings()
    start = noor.cohort.start_date

    response = add_time_away(noor, start, start + dt.timedelta(days=13))

    assert said(response)[1] == (
        f"1 meeting on {day_label(new_york_day(first))}, 1 on {day_label(new_york_day(second))} cancelled; "
        "your scholars are told."
    )


def test_many_days_are_named_by_the_first_and_last(noor):
    meetings = noor.meetings()
    start = noor.cohort.start_date

    # Four Wednesdays: more than three days, so the message gives only the first and the last.
    added = add_time_away(noor, start, start + dt.timedelta(weeks=4, days=-1))
    noor.client.get("/")  # the redirect a browser follows, using up the save's messages
    removed = noor.client.post(reverse("time-away-remove", args=[noor.mentor.blackouts.get().pk]))

    span = f"4 meetings from {day_label(new_york_day(meetings[0]))} to {day_label(new_york_day(meetings[3]))}"
    assert said(added)[1] == f"{span} cancelled; your scholars are told."
    assert said(removed)[1] == f"{span} back on; your scholars are told."
    assert {m.status for m in noor.meetings()} == {Meeting.Status.SCHEDULED}


def test_time_away_over_every_meeting_left_comes_back_when_removed(noor):
    """Time away covering every meeting still to come of a slot (here the whole cohort; equally the last weeks
    of one) must, once removed, give the meetings back like any other time away."""
    meetings = noor.meetings()
    cohort = noor.cohort

    added = add_time_away(noor, cohort.start_date, cohort.end_date)
    noor.client.get("/")  # the redirect a browser follows, using up the save's messages
    removed = noor.client.post(reverse("time-away-remove", args=[noor.mentor.blackouts.get().pk]))

    span = (
        f"8 meetings from {day_label(new_york_day(meetings[0]))} to {day_label(new_york_day(meetings[-1]))}"
    )
    assert said(added)[1] == f"{span} cancelled; your scholars are told."
    assert [m.status for m in noor.meetings()] == [Meeting.Status.SCHEDULED] * 8
    assert said(removed) == [
        f"Time away removed: {day_label(cohort.start_date)} to {day_label(cohort.end_date)} {cohort.end_date:%Y}.",
        f"{span} back on; your scholars are told.",
    ]


def refused_time_away(planned: Planned, start: dt.date, end: dt.date):
    """Post time away the form refuses, checking it is a 400 that wrote nothing; returns the page."""
    blackouts, audit, meetings = (
        list(Blackout.objects.values_list("pk", flat=True)),
        AuditEntry.objects.count(),
        statuses(planned),
    )

    response = add_time_away(planned, start, end)

    assert response.status_code == 400
    assert response.templates[0].name == "pages/mentor_home.html"
    assert said(response) == []
    assert list(Blackout.objects.values_list("pk", flat=True)) == blackouts
    assert AuditEntry.objects.count() == audit
    assert statuses(planned) == meetings
    return response


def test_time_away_outside_every_cohort_is_refused(noor):
    cohort = noor.cohort
    start = cohort.end_date + dt.timedelta(days=30)
    end = start + dt.timedelta(days=2)

    response = refused_time_away(noor, start, end)

    error = (
        f"{start:%d %b %Y} to {end:%d %b %Y} lies outside the cohort "
        f"({cohort.name}: {cohort.start_date:%d %b %Y} to {cohort.end_date:%d %b %Y}): no meeting falls on those "
        "days. Check the year and the dates."
    )
    assert response.context["blackout_form"].non_field_errors() == [error]
    assert shows(response, error)


def test_time_away_ending_before_it_starts_is_refused(noor):
    start = noor.cohort.start_date + dt.timedelta(days=3)

    response = refused_time_away(noor, start, start - dt.timedelta(days=1))

    error = "The end date must not be before the start date."
    assert response.context["blackout_form"].errors == {"end_date": [error]}
    assert shows(response, error)


def test_a_mentor_cannot_remove_another_mentors_time_away(noor):
    others = BlackoutFactory(
        mentor=MentorFactory(name="Lee"), start_date=noor.cohort.start_date, end_date=noor.cohort.start_date
    )

    response = noor.client.post(reverse("time-away-remove", args=[others.pk]))

    assert response.status_code == 404
    assert Blackout.objects.filter(pk=others.pk).exists()
