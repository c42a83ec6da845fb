"""Where meetings happen (a video link or a room), the mentor's own place or one a recurring meeting has of its
own: in the feed each subscriber reads, in the invitation and text of every mail, and on the scholar's and the
mentor's pages; set by staff and the meeting's mentor, kept across plans; an http link is refused."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from cohort.models import AuditEntry
from scheduling.feed_tokens import feed_token_rotate
from scheduling.models import MeetingSeries, Notification
from scheduling.notifications.messages import compose_message
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.services.materialise import meeting_place_kept
from scheduling.services.meeting_edits import meeting_move, series_place_set
from scheduling.services.planning import plan_apply, plan_cohort
from tests.api.conftest import client_for
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
VIDEO = "https://meet.example.org/noor-weekly"
# Far ahead, so the pages' "upcoming" lists never lose it.
STARTS = dt.datetime(2099, 2, 4, 15, tzinfo=dt.UTC)


@pytest.fixture
def meeting():
    mentor = MentorFactory(name="Noor", meeting_place=VIDEO, user=UserFactory(username="noor", is_staff=True))
    scholar = ScholarFactory(name="Ada", user=UserFactory(username="ada"))
    MentorshipFactory(mentor=mentor, scholar=scholar)
    series = MeetingSeriesFactory(mentor=mentor, cohort=scholar.cohort, scholars=[scholar])
    return MeetingFactory(series=series, starts_at=STARTS)


def test_the_feed_gives_each_event_its_place(meeting):
    scholar = meeting.series.scholars.get()
    link = feed_token_rotate(owner=scholar)

    body = Client().get(urlsplit(link.https_url).path).content

    [event] = [e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if e["UID"] == meeting.series.uid]
    assert str(event["LOCATION"]) == VIDEO


def test_a_reminder_names_the_place_and_its_invitation_carries_it(meeting):
    scholar = meeting.series.scholars.get()
    sync_meeting_notifications(meetings=[meeting], now=STARTS - dt.timedelta(days=2))
    reminder = Notification.objects.filter(
        kind=Notification.Kind.REMINDER, recipient_scholar=scholar, payload__offset_minutes=15
    ).get()

    message = compose_message(reminder, as_of=reminder.due_at)

    assert f"Where: {VIDEO}" in message.text
    assert f'<a href="{VIDEO}">{VIDEO}</a>' in message.html
    [invitation] = message.attachments
    assert str(icalendar.Calendar.from_ical(invitation.content).walk("VEVENT")[0]["LOCATION"]) == VIDEO


def test_a_room_is_named_and_not_linked(meeting):
    mentor = meeting.series.mentor
    mentor.meeting_place = "Room 4.12, Gates building"
    mentor.save()
    client = Client()
    client.force_login(meeting.series.scholars.get().user)

    page = client.get("/").text

    assert '<span class="where">Room 4.12, Gates building</span>' in page


def test_the_scholars_page_links_to_the_call(meeting):
    client = Client()
    client.force_login(meeting.series.scholars.get().user)

    page = client.get("/").text

    assert f'<a href="{VIDEO}" rel="noopener noreferrer" target="_blank">Join the call</a>' in page


def test_the_mentors_home_links_to_the_call(meeting):
    # The home shows this week and next: a meeting the day after tomorrow is on it.
    MeetingFactory(series=meeting.series, starts_at=timezone.now() + dt.timedelta(days=2))
    client = Client()
    client.force_login(meeting.series.mentor.user)

    page = client.get("/").text

    assert f'<a href="{VIDEO}" rel="noopener noreferrer" target="_blank">Join the call</a>' in page


def test_an_http_link_is_refused_with_the_reason():
    mentor = MentorFactory(meeting_place="http://meet.example.org/plain")

    with pytest.raises(ValidationError) as refused:
        mentor.full_clean()

    assert refused.value.message_dict["meeting_place"] == [
        "A video link must start with https://; a room is written as words."
    ]


def test_staff_set_the_place_through_the_api():
    mentor = MentorFactory()
    staff = UserFactory(username="staff", is_staff=True)

    response = client_for(staff).patch(
        f"/api/v1/mentors/{mentor.pk}/", {"meeting_place": VIDEO}, format="json"
    )

    assert (response.status_code, response.json()["meeting_place"]) == (200, VIDEO)
    mentor.refresh_from_db()
    assert mentor.meeting_place == VIDEO


# --- A place of its own per recurring meeting -------------------------------------------------------------------

ROOM = "Seminar room 2"


def test_a_series_place_comes_before_the_mentors_in_feeds_mail_and_pages(meeting):
    series = meeting.series
    series_place_set(series=series, place=ROOM)
    scholar = series.scholars.get()

    body = Client().get(urlsplit(feed_token_rotate(owner=scholar).https_url).path).content
    [event] = [e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if e["UID"] == series.uid]
    assert str(event["LOCATION"]) == ROOM
    sync_meeting_notifications(meetings=[meeting], now=STARTS - dt.timedelta(days=2))
    reminder = Notification.objects.filter(kind=Notification.Kind.REMINDER, recipient_scholar=scholar).first()
    assert f"Where: {ROOM}" in compose_message(reminder, as_of=reminder.due_at).text
    client = Client()
    client.force_login(scholar.user)
    assert f'<span class="where">{ROOM}</span>' in client.get("/").text
    # Cleared, the mentor's own place is back.
    series_place_set(series=series, place="")
    client.force_login(scholar.user)
    assert (
        f'<a href="{VIDEO}" rel="noopener noreferrer" target="_blank">Join the call</a>'
        in client.get("/").text
    )


def test_the_place_is_set_on_every_series_of_the_same_meeting_and_audited(meeting):
    series = meeting.series
    later = MeetingSeriesFactory(
        mentor=series.mentor,
        cohort=series.cohort,
        demand_key=series.demand_key,
        scholars=list(series.scholars.all()),
    )
    other = MeetingSeriesFactory(mentor=series.mentor, cohort=series.cohort, demand_key="group:noor")
    staff = UserFactory(username="staff", is_staff=True)

    series_place_set(series=series, place=f"  {ROOM} ", by=staff)

    rows = {row.pk: (row.meeting_place, row.version) for row in MeetingSeries.objects.all()}
    assert rows[series.pk] == (ROOM, series.version + 1)
    assert rows[later.pk] == (ROOM, later.version + 1)
    assert rows[other.pk] == ("", other.version)
    assert AuditEntry.objects.filter(actor=staff, changes__has_key="meeting_place").count() == 2
    with pytest.raises(ValidationError) as refused:
        series_place_set(series=series, place="http://meet.example.org/plain")
    assert refused.value.message_dict == {
        "meeting_place": ["A video link must start with https://; a room is written as words."]
    }
    assert MeetingSeries.objects.get(pk=series.pk).meeting_place == ROOM


def test_a_re_plan_keeps_themeeting_place_kept_a_meeting_it_moves(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 2
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 26))
    mentor = MentorFactory(name="Noor", meeting_place=VIDEO, cadence=WEEKLY_ONE_ON_ONE.to_dict())
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=cohort))
    plan_apply(plan_run=plan_cohort(cohort=cohort), today=dt.date(2027, 2, 1))
    first = MeetingSeries.objects.get()
    series_place_set(series=first, place=ROOM)

    mentor.availability.update(weekday=3)
    plan_apply(plan_run=plan_cohort(cohort=cohort), today=dt.date(2027, 2, 1))

    moved = MeetingSeries.objects.exclude(pk=first.pk).get(status=MeetingSeries.Status.ACTIVE)
    assert (moved.weekday, moved.meeting_place, moved.place) == (3, ROOM, ROOM)


def test_staff_and_the_series_mentor_set_its_place_through_the_api(meeting):
    series = meeting.series
    url = f"/api/v1/meeting-series/{series.pk}/"

    response = client_for(series.mentor.user).patch(url, {"meeting_place": ROOM}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["meeting_place"], response.json()["place"]) == (ROOM, ROOM)
    staff = client_for(UserFactory(username="staff", is_staff=True))
    assert staff.patch(url, {"meeting_place": ""}, format="json").json()["place"] == VIDEO
    refused = staff.patch(url, {"meeting_place": "http://x.example.org"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["meeting_place"] == [
        "A video link must start with https://; a room is written as words."
    ]
    assert staff.put(url, {"meeting_place": ROOM}, format="json").status_code == 405
    assert staff.patch(url, {"title": "Renamed"}, format="json").json()["title"] == series.title
    scholar = series.scholars.get()
    assert client_for(scholar.user).patch(url, {"meeting_place": ROOM}, format="json").status_code == 403
    other_mentor = MentorFactory(user=UserFactory(username="other", is_staff=True))
    assert client_for(other_mentor.user).patch(url, {"meeting_place": ROOM}, format="json").status_code == 404
    assert MeetingSeries.objects.get(pk=series.pk).meeting_place == ""


def test_a_team_meeting_keeps_each_mentors_place_apart(meeting):
    """A team's meeting keeps its key when the team changes mentor: one mentor's place is not the next one's, and
    the first cannot set the second's through a series of their own."""
    series = meeting.series
    first = MeetingSeriesFactory(mentor=series.mentor, cohort=series.cohort, demand_key="team:9")
    successor = MentorFactory(name="Sam")
    second = MeetingSeriesFactory(mentor=successor, cohort=series.cohort, demand_key="team:9")

    series_place_set(series=first, place="https://meet.example.org/noor-personal")

    assert MeetingSeries.objects.get(pk=second.pk).meeting_place == ""
    assert meeting_place_kept(series.cohort, "team:9", successor.pk) == ""
    assert (
        meeting_place_kept(series.cohort, "team:9", series.mentor_id)
        == "https://meet.example.org/noor-personal"
    )


def test_a_patch_without_a_place_writes_nothing(meeting):
    series = meeting.series
    staff = client_for(UserFactory(username="staff", is_staff=True))

    response = staff.patch(f"/api/v1/meeting-series/{series.pk}/", {"title": "Renamed"}, format="json")

    assert response.status_code == 200
    assert MeetingSeries.objects.get(pk=series.pk).version == series.version
    assert not AuditEntry.objects.filter(changes__has_key="meeting_place").exists()


# --- Telling attendees of a new place -----------------------------------------------------------------------------


@pytest.fixture
def upcoming(meeting):
    """The fixture's series with a meeting the day after tomorrow (within the notice horizon), one in a month
    and one held yesterday."""
    series = meeting.series
    now = timezone.now()
    cohort = series.cohort
    cohort.start_date, cohort.end_date = now.date() - dt.timedelta(days=7), now.date() + dt.timedelta(days=60)
    cohort.save()
    soon = MeetingFactory(series=series, starts_at=now + dt.timedelta(days=2))
    later = MeetingFactory(series=series, starts_at=now + dt.timedelta(days=30))
    held = MeetingFactory(series=series, starts_at=now - dt.timedelta(days=1), status="held")
    sync_meeting_notifications(meetings=[soon, later, held])
    return soon, later, held


def _versions(*meetings):
    return [type(m).objects.get(pk=m.pk).version for m in meetings]


def _change_notices(meeting):
    return Notification.objects.filter(kind=Notification.Kind.CHANGE, meeting=meeting, status="pending")


def test_a_new_place_is_a_new_version_of_each_upcoming_meeting_and_the_attendees_are_told(upcoming):
    soon, later, held = upcoming

    series_place_set(series=soon.series, place=ROOM)

    assert _versions(soon, later, held) == [2, 2, 1]
    notices = list(_change_notices(soon))
    assert {(n.recipient_mentor_id, n.recipient_scholar_id) for n in notices} == {
        (soon.series.mentor_id, None),
        (None, soon.series.scholars.get().pk),
    }
    # A month ahead is past the horizon of change notices: its reminders carry the new place.
    assert not _change_notices(later).exists()
    reminder = Notification.objects.filter(kind="reminder", meeting=later, status="pending").first()
    assert (reminder.meeting_version, reminder.payload["place"]) == (2, ROOM)
    assert not Notification.objects.filter(meeting=held, status="pending").exclude(kind="feedback_request")


def test_the_notice_of_a_new_place_names_the_old_one_and_its_invitation_updates_the_event(upcoming):
    soon = upcoming[0]

    series_place_set(series=soon.series, place=ROOM)

    notice = _change_notices(soon).filter(recipient_scholar__isnull=False).get()
    message = compose_message(notice, as_of=timezone.now())
    assert message.subject.startswith(f"New place: {soon.series.title}, ")
    assert f"A meeting of yours has a new place (it was {VIDEO}). It is at the same time:" in message.text
    assert f"Where: {ROOM}" in message.text
    assert f"<s>{VIDEO}</s>" in message.html
    [invitation] = message.attachments
    [event] = icalendar.Calendar.from_ical(invitation.content).walk("VEVENT")
    assert (str(event["LOCATION"]), event["SEQUENCE"]) == (ROOM, 2)


def test_a_move_is_still_told_as_a_move(upcoming):
    soon = upcoming[0]
    staff = UserFactory(username="staff", is_staff=True)
    new_start = soon.starts_at + dt.timedelta(hours=1)

    meeting_move(meeting=soon, starts_at=new_start, by=staff, by_staff=True, force=True, reason="a test")

    notice = _change_notices(soon).filter(recipient_scholar__isnull=False).get()
    message = compose_message(notice, as_of=timezone.now())
    assert message.subject.startswith(f"Moved: {soon.series.title}, now ")
    assert "A meeting of yours has moved (it was " in message.text


def test_the_mentors_own_place_reaches_the_series_that_take_it(upcoming):
    soon, later, held = upcoming
    mentor = soon.series.mentor
    own = MeetingSeriesFactory(mentor=mentor, cohort=soon.series.cohort, meeting_place=ROOM)
    own_meeting = MeetingFactory(series=own, starts_at=timezone.now() + dt.timedelta(days=3))
    versions = {s.pk: s.version for s in MeetingSeries.objects.all()}
    staff = client_for(UserFactory(username="staff", is_staff=True))

    new_place = "https://meet.example.org/noor-new"
    response = staff.patch(f"/api/v1/mentors/{mentor.pk}/", {"meeting_place": new_place}, format="json")

    assert response.status_code == 200, response.json()
    assert _versions(soon, later, held, own_meeting) == [2, 2, 1, 1]
    assert MeetingSeries.objects.get(pk=soon.series_id).version == versions[soon.series_id] + 1
    assert MeetingSeries.objects.get(pk=own.pk).version == versions[own.pk]
    notice = _change_notices(soon).filter(recipient_scholar__isnull=False).get()
    assert f"(it was {VIDEO})" in compose_message(notice, as_of=timezone.now()).text
    assert not _change_notices(own_meeting).exists()


def test_setting_the_place_already_in_effect_tells_nobody(upcoming):
    soon, later, _ = upcoming
    series = soon.series

    series_place_set(series=series, place=VIDEO)  # the mentor's own place, now the series' own
    series_place_set(series=series, place="")  # and back to the mentor's

    assert MeetingSeries.objects.get(pk=series.pk).meeting_place == ""
    assert _versions(soon, later) == [1, 1]
    assert not Notification.objects.filter(kind=Notification.Kind.CHANGE).exists()


def test_a_notice_of_a_new_place_after_an_upgrade_says_so_without_the_old_place(upcoming):
    """Rows written before places were kept in payloads: the notice cannot name the old place, but still tells a
    new place at the same time from a move."""
    soon = upcoming[0]
    Notification.objects.filter(meeting=soon).update(
        payload={"starts_at": soon.starts_at.isoformat(), "ends_at": soon.ends_at.isoformat()}
    )

    series_place_set(series=soon.series, place=ROOM)

    notice = _change_notices(soon).filter(recipient_scholar__isnull=False).get()
    text = compose_message(notice, as_of=timezone.now()).text
    assert "A meeting of yours has a new place. It is at the same time:" in text
    assert "moved" not in text


def test_a_move_that_only_makes_a_meeting_longer_is_told_as_a_move(upcoming):
    soon = upcoming[0]
    staff = UserFactory(username="staff", is_staff=True)

    meeting_move(
        meeting=soon,
        starts_at=soon.starts_at,
        ends_at=soon.ends_at + dt.timedelta(minutes=30),
        by=staff,
        by_staff=True,
        force=True,
        reason="a test",
    )

    notice = _change_notices(soon).filter(recipient_scholar__isnull=False).get()
    assert "A meeting of yours has moved" in compose_message(notice, as_of=timezone.now()).text
