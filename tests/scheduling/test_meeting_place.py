"""Where a mentor's meetings happen (a video link or a room): in the feed each subscriber reads, in the invitation
and text of every mail, and on the scholar's and the mentor's pages; an http link is refused."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from scheduling.feed_tokens import feed_token_rotate
from scheduling.models import Notification
from scheduling.notifications.messages import compose_message
from scheduling.notifications.reminders import sync_meeting_notifications
from tests.api.conftest import client_for
from tests.factories import (
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
