"""Mentors move, cancel and mark their meetings in the admin, through the scheduling services."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cohort.models import AuditEntry
from mentors.models import Availability
from scheduling.models import Meeting, Notification
from tests.admin.conftest import MentorRows, posted_back
from tests.factories import CohortFactory, MeetingFactory, MeetingSeriesFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def soon_on_a_working_day_at_two(alice: MentorRows) -> dt.datetime:
    """The next weekday from tomorrow, at 14:00 in London (09:00 or 10:00 in Alice's New York), with Alice's
    hours moved to that weekday: a time both she and her scholar can meet, near enough for notices to go out."""
    day = timezone.now().astimezone(LONDON).date() + dt.timedelta(days=1)
    while day.weekday() > 4:
        day += dt.timedelta(days=1)
    Availability.objects.filter(pk=alice.availability.pk).update(weekday=day.weekday())
    return dt.datetime.combine(day, dt.time(14), LONDON)


def test_the_move_page_asks_for_times_in_the_series_zone(alice_client, alice: MentorRows):
    response = alice_client.get(reverse("admin:scheduling_meeting_move", args=[alice.meeting.pk]))

    assert response.status_code == 200
    assert "New start (Europe/London)" in response.text


def test_a_mentor_moves_a_meeting_and_its_attendees_are_told(alice_client, alice: MentorRows):
    new_start = soon_on_a_working_day_at_two(alice)

    response = alice_client.post(
        reverse("admin:scheduling_meeting_move", args=[alice.meeting.pk]),
        {"starts_at_0": f"{new_start:%Y-%m-%d}", "starts_at_1": "14:00", "ends_at_0": "", "ends_at_1": ""},
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get(pk=alice.meeting.pk)
    assert (meeting.starts_at, meeting.ends_at, meeting.status, meeting.version) == (
        new_start,
        new_start + dt.timedelta(hours=1),
        Meeting.Status.MOVED,
        2,
    )
    notices = Notification.objects.filter(meeting=meeting, kind=Notification.Kind.CHANGE)
    assert set(notices.values_list("recipient_mentor", "recipient_scholar")) == {
        (alice.mentor.pk, None),
        (None, alice.scholar.pk),
    }


def test_moving_a_meeting_into_the_past_is_refused_with_the_reason(alice_client, alice: MentorRows):
    yesterday = timezone.now().astimezone(LONDON).date() - dt.timedelta(days=1)

    response = alice_client.post(
        reverse("admin:scheduling_meeting_move", args=[alice.meeting.pk]),
        {"starts_at_0": f"{yesterday:%Y-%m-%d}", "starts_at_1": "10:00", "ends_at_0": "", "ends_at_1": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "starts_at": ["A meeting can only be moved to a time in the future."]
    }
    assert Meeting.objects.get(pk=alice.meeting.pk).status == Meeting.Status.SCHEDULED


def test_a_mentor_is_not_offered_to_force_a_move(alice_client, alice: MentorRows):
    response = alice_client.get(reverse("admin:scheduling_meeting_move", args=[alice.meeting.pk]))

    assert list(response.context["form"].fields) == ["starts_at", "ends_at"]


def test_a_mentors_move_after_the_scholars_hours_is_refused_with_the_reason(alice_client, alice: MentorRows):
    new_start = soon_on_a_working_day_at_two(alice) + dt.timedelta(hours=6)

    response = alice_client.post(
        reverse("admin:scheduling_meeting_move", args=[alice.meeting.pk]),
        {"starts_at_0": f"{new_start:%Y-%m-%d}", "starts_at_1": "20:00", "ends_at_0": "", "ends_at_1": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "starts_at": [
            f"{new_start:%a} 20:00 in Europe/London is outside Alice's scholar's working days and hours.",
            "Only staff can move it there anyway.",
        ]
    }
    assert Meeting.objects.get(pk=alice.meeting.pk).status == Meeting.Status.SCHEDULED


def test_staff_force_a_move_after_hours_with_a_reason(staff_client, admin_user, alice: MentorRows):
    new_start = soon_on_a_working_day_at_two(alice) + dt.timedelta(hours=6)

    response = staff_client.post(
        reverse("admin:scheduling_meeting_move", args=[alice.meeting.pk]),
        {
            "starts_at_0": f"{new_start:%Y-%m-%d}",
            "starts_at_1": "20:00",
            "ends_at_0": "",
            "ends_at_1": "",
            "force": "on",
            "reason": "The scholar asked for an evening slot",
        },
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get(pk=alice.meeting.pk)
    assert (meeting.starts_at, meeting.status) == (new_start, Meeting.Status.MOVED)
    assert meeting.private_notes.endswith(
        f"moved by {admin_user} although: {new_start:%a} 20:00 in Europe/London is outside Alice's scholar's "
        "working days and hours. Reason: The scholar asked for an evening slot"
    )


def test_a_time_the_clocks_repeat_is_refused_on_the_move_page(staff_client):
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 11, 30))
    series = MeetingSeriesFactory(cohort=cohort, time_zone="America/New_York")
    meeting = MeetingFactory(series=series, starts_at=dt.datetime(2027, 3, 8, 15, tzinfo=dt.UTC))

    response = staff_client.post(
        reverse("admin:scheduling_meeting_move", args=[meeting.pk]),
        {"starts_at_0": "2027-11-07", "starts_at_1": "01:30", "ends_at_0": "", "ends_at_1": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "starts_at": [
            "2027-11-07 01:30 happens twice in America/New_York: the clocks go back that night, so calendars "
            "could show either. Choose another time."
        ]
    }


def test_a_mentor_cancels_a_meeting(alice_client, alice: MentorRows):
    response = alice_client.post(reverse("admin:scheduling_meeting_cancel", args=[alice.meeting.pk]))

    assert response.status_code == 302
    meeting = Meeting.objects.get(pk=alice.meeting.pk)
    assert (meeting.status, meeting.version) == (Meeting.Status.CANCELLED, 2)


def test_the_cancel_page_asks_before_cancelling(alice_client, alice: MentorRows):
    response = alice_client.get(reverse("admin:scheduling_meeting_cancel", args=[alice.meeting.pk]))

    assert response.status_code == 200
    assert 'value="Yes, cancel it"' in response.text
    assert Meeting.objects.get(pk=alice.meeting.pk).status == Meeting.Status.SCHEDULED


def test_the_list_action_cancels_the_selected_meetings(alice_client, alice: MentorRows):
    response = alice_client.post(
        reverse("admin:scheduling_meeting_changelist"),
        {"action": "cancel_selected", "_selected_action": [alice.meeting.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["1 meeting cancelled."]
    assert Meeting.objects.get(pk=alice.meeting.pk).status == Meeting.Status.CANCELLED


def test_marking_a_future_meeting_held_is_refused_with_the_reason(alice_client, alice: MentorRows):
    response = alice_client.post(
        reverse("admin:scheduling_meeting_changelist"),
        {"action": "mark_held", "_selected_action": [alice.meeting.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"{alice.meeting}: A meeting can be marked held or missed only once it has started."
    ]


def test_the_change_page_offers_move_and_cancel_for_a_scheduled_meeting(alice_client, alice: MentorRows):
    response = alice_client.get(reverse("admin:scheduling_meeting_change", args=[alice.meeting.pk]))

    assert reverse("admin:scheduling_meeting_move", args=[alice.meeting.pk]) in response.text
    assert reverse("admin:scheduling_meeting_cancel", args=[alice.meeting.pk]) in response.text


def test_a_cancelled_meeting_offers_neither_move_nor_cancel(alice_client, alice: MentorRows):
    Meeting.objects.filter(pk=alice.meeting.pk).update(status=Meeting.Status.CANCELLED)

    response = alice_client.get(reverse("admin:scheduling_meeting_change", args=[alice.meeting.pk]))

    assert reverse("admin:scheduling_meeting_move", args=[alice.meeting.pk]) not in response.text


def test_saving_notes_changes_only_the_notes(alice_client, alice: MentorRows):
    url = reverse("admin:scheduling_meeting_change", args=[alice.meeting.pk])

    response = alice_client.post(url, {"private_notes": "Bring the draft."})

    assert response.status_code == 302
    meeting = Meeting.objects.get(pk=alice.meeting.pk)
    assert (meeting.private_notes, meeting.starts_at, meeting.version) == (
        "Bring the draft.",
        alice.meeting.starts_at,
        1,
    )


def test_the_list_starts_on_upcoming_meetings(alice_client, alice: MentorRows):
    past = Meeting.objects.create(
        series=alice.series,
        original_start=timezone.now() - dt.timedelta(days=2),
        starts_at=timezone.now() - dt.timedelta(days=2),
        ends_at=timezone.now() - dt.timedelta(days=2, hours=-1),
    )
    changelist = reverse("admin:scheduling_meeting_changelist")

    upcoming = alice_client.get(changelist)
    everything = alice_client.get(changelist, {"when": "all"})

    assert [m.pk for m in upcoming.context["cl"].result_list] == [alice.meeting.pk]
    assert {m.pk for m in everything.context["cl"].result_list} == {alice.meeting.pk, past.pk}


def test_a_mentor_sets_where_their_series_meets_and_nothing_else(
    alice_client, alice: MentorRows, bob: MentorRows
):
    series = alice.series
    url = reverse("admin:scheduling_meetingseries_change", args=[series.pk])
    page = alice_client.get(url)
    assert 'name="meeting_place"' in page.text
    assert 'name="title"' not in page.text

    response = alice_client.post(
        url, posted_back(page) | {"meeting_place": "Seminar room 2", "title": "Renamed"}
    )

    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.meeting_place, series.title) == ("Seminar room 2", "Alice 1-on-1")
    assert AuditEntry.objects.filter(actor=alice.mentor.user, changes__has_key="meeting_place").exists()
    refused = alice_client.post(url, posted_back(page) | {"meeting_place": "http://meet.example.org/x"})
    assert "A video link must start with https://" in refused.text
    # Another mentor's series is not theirs to reach.
    other = reverse("admin:scheduling_meetingseries_change", args=[bob.series.pk])
    assert alice_client.post(other, posted_back(page) | {"meeting_place": "Hijacked"}).status_code == 302
    bob.series.refresh_from_db()
    assert bob.series.meeting_place == ""
