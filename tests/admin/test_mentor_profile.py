"""A mentor keeps their availability and blackouts on their own page, in their own zone, with clear messages."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from mentors.models import Availability
from scheduling.models import Notification
from scheduling.notifications.reminders import sync_meeting_notifications
from scholars.models import Blackout
from tests.admin.conftest import MentorRows, posted_back
from tests.factories import MeetingFactory, MeetingSeriesFactory

pytestmark = pytest.mark.django_db


def profile_url(rows: MentorRows) -> str:
    return reverse("admin:mentors_mentor_change", args=[rows.mentor.pk])


def with_windows(client, rows: MentorRows, *windows: tuple[int, str, str]) -> dict[str, object]:
    """The profile form as posted back, with new availability rows after the saved one."""
    data = posted_back(client.get(profile_url(rows)))
    saved = int(data["availability-INITIAL_FORMS"])
    for offset, (weekday, start, end) in enumerate(windows):
        index = saved + offset
        data |= {
            f"availability-{index}-weekday": str(weekday),
            f"availability-{index}-start_time": start,
            f"availability-{index}-end_time": end,
        }
    data["availability-TOTAL_FORMS"] = str(saved + len(windows))
    return data


def errors_of(response) -> list[str]:
    """Every error message on a re-shown change form: the form's, each inline row's and each inline's own."""
    messages = [str(e) for e in response.context["adminform"].form.non_field_errors()]
    for inline in response.context["inline_admin_formsets"]:
        messages += [str(e) for e in inline.formset.non_form_errors()]
        for form in inline.formset.forms:
            messages += [str(e) for errors in form.errors.values() for e in errors]
    return messages


def inline_prefixes(response) -> list[str]:
    return [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]


def test_a_mentors_page_has_their_hours_then_their_blackouts_and_own_calendars(
    alice_client, alice: MentorRows
):
    # Blackouts and calendars are scholars' models, added to the page by scholars' admin; scheduling's keeps them.
    assert inline_prefixes(alice_client.get(profile_url(alice))) == [
        "availability",
        "extra_hours",
        "blackouts",
        "calendar_sources",
    ]


def test_staff_see_a_mentors_suggestions_and_import_warnings_after_their_hours_and_blackouts(
    staff_client, alice: MentorRows
):
    assert inline_prefixes(staff_client.get(profile_url(alice))) == [
        "availability",
        "extra_hours",
        "blackouts",
        "calendar_sources",
        "suggestions",
        "import_warnings",
        "ImportWarning_shared_with",
    ]


def test_a_mentor_adds_a_weekly_window(alice_client, alice: MentorRows):
    response = alice_client.post(profile_url(alice), with_windows(alice_client, alice, (2, "10:00", "12:30")))

    assert response.status_code == 302
    assert list(alice.mentor.availability.values_list("weekday", "start_time", "end_time")) == [
        (0, dt.time(9), dt.time(17)),
        (2, dt.time(10), dt.time(12, 30)),
    ]


def test_a_window_overlapping_a_saved_one_is_refused_with_a_message(alice_client, alice: MentorRows):
    response = alice_client.post(profile_url(alice), with_windows(alice_client, alice, (0, "16:00", "18:00")))

    assert response.status_code == 200
    assert errors_of(response) == [
        "This window overlaps your Monday 09:00–17:00 window; merge them into one window."
    ]
    assert alice.mentor.availability.count() == 1


def test_two_new_windows_overlapping_each_other_are_refused(alice_client, alice: MentorRows):
    data = with_windows(alice_client, alice, (1, "10:00", "12:00"), (1, "11:30", "13:00"))

    response = alice_client.post(profile_url(alice), data)

    assert response.status_code == 200
    assert errors_of(response) == [
        "This window overlaps the Tuesday 10:00–12:00 window above; merge them into one window."
    ]
    assert alice.mentor.availability.count() == 1


def test_a_window_ending_before_it_starts_is_refused(alice_client, alice: MentorRows):
    response = alice_client.post(profile_url(alice), with_windows(alice_client, alice, (3, "14:00", "13:00")))

    assert response.status_code == 200
    assert errors_of(response) == ["The window must end after it starts (on the same day)."]


def with_blackout(client, rows: MentorRows, start: dt.date, end: dt.date) -> dict[str, object]:
    data = posted_back(client.get(profile_url(rows)))
    index = int(data["blackouts-INITIAL_FORMS"])
    data |= {
        f"blackouts-{index}-start_date": start.isoformat(),
        f"blackouts-{index}-end_date": end.isoformat(),
        f"blackouts-{index}-reason": "Conference",
        "blackouts-TOTAL_FORMS": str(index + 1),
    }
    return data


def test_a_mentor_adds_a_blackout_inside_the_cohort(alice_client, alice: MentorRows, cohort):
    day = cohort.start_date + dt.timedelta(weeks=2)

    response = alice_client.post(profile_url(alice), with_blackout(alice_client, alice, day, day))

    assert response.status_code == 302
    assert Blackout.objects.filter(mentor=alice.mentor, start_date=day, end_date=day).count() == 1


def test_a_blackout_outside_the_cohort_is_refused(alice_client, alice: MentorRows, cohort):
    start = cohort.end_date + dt.timedelta(days=300)
    end = start + dt.timedelta(days=2)

    response = alice_client.post(profile_url(alice), with_blackout(alice_client, alice, start, end))

    assert response.status_code == 200
    assert errors_of(response) == [
        f"{start:%d %b %Y} to {end:%d %b %Y} lies outside the cohort ({cohort.name}: "
        f"{cohort.start_date:%d %b %Y} to {cohort.end_date:%d %b %Y}): no meeting falls on those days. "
        "Check the year and the dates."
    ]


def test_a_blackout_ending_before_it_starts_is_refused(alice_client, alice: MentorRows, cohort):
    start = cohort.start_date + dt.timedelta(weeks=3)

    response = alice_client.post(
        profile_url(alice), with_blackout(alice_client, alice, start, start - dt.timedelta(days=1))
    )

    assert response.status_code == 200
    assert errors_of(response) == ["The end date must not be before the start date."]


def test_the_window_columns_name_the_mentors_zone(alice_client, alice: MentorRows):
    response = alice_client.get(profile_url(alice))

    assert "From (America/New_York)" in response.text
    assert "Until (America/New_York)" in response.text
    assert "Times in <strong>America/New_York</strong>" in response.text


def test_a_mentor_reads_their_meetings_in_their_own_zone(alice_client, alice: MentorRows):
    response = alice_client.get(reverse("admin:scheduling_meeting_changelist"))

    local = alice.meeting.starts_at.astimezone(ZoneInfo("America/New_York"))
    series = alice.meeting.starts_at.astimezone(ZoneInfo("Europe/London"))
    assert "Times in <strong>America/New_York</strong>" in response.text
    assert f"{local:%a %d %b %Y %H:%M} (America/New_York) · {series:%H:%M} in Europe/London" in response.text


def test_a_mentor_updates_their_details_but_not_the_programmes(alice_client, alice: MentorRows):
    data = posted_back(alice_client.get(profile_url(alice))) | {"name": "Alice B.", "slug": "renamed"}

    response = alice_client.post(profile_url(alice), data)

    assert response.status_code == 302
    alice.mentor.refresh_from_db()
    assert (alice.mentor.name, alice.mentor.slug) == ("Alice B.", alice.mentor.slug)
    assert alice.mentor.slug != "renamed"


def test_a_mentor_deletes_a_window(alice_client, alice: MentorRows):
    data = posted_back(alice_client.get(profile_url(alice))) | {"availability-0-DELETE": "on"}

    response = alice_client.post(profile_url(alice), data)

    assert response.status_code == 302
    assert not Availability.objects.filter(pk=alice.availability.pk).exists()


def test_new_reminder_offsets_rewrite_the_mentors_pending_reminders(alice_client, alice: MentorRows):
    starts_at = timezone.now() + dt.timedelta(days=3)
    meeting = MeetingFactory(
        series=MeetingSeriesFactory(
            mentor=alice.mentor, cohort=alice.scholar.cohort, scholars=[alice.scholar]
        ),
        starts_at=starts_at,
    )
    sync_meeting_notifications(meetings=[meeting])
    # Ticked as the page offers it: one box, an hour before.
    data = posted_back(alice_client.get(profile_url(alice))) | {"reminder_offsets_minutes": ["60"]}

    response = alice_client.post(profile_url(alice), data)

    assert response.status_code == 302
    reminders = Notification.objects.filter(
        meeting=meeting, kind=Notification.Kind.REMINDER, status=Notification.Status.PENDING
    )
    assert list(reminders.filter(recipient_mentor=alice.mentor).values_list("due_at", flat=True)) == [
        starts_at - dt.timedelta(minutes=60)
    ]
    # The scholar's own setting (a day and 15 minutes before) is untouched.
    assert reminders.filter(recipient_scholar=alice.scholar).count() == 2


def test_a_mentor_changing_their_own_place_tells_the_attendees_of_their_meetings(
    alice_client, alice: MentorRows
):
    meeting = MeetingFactory(
        series=MeetingSeriesFactory(
            mentor=alice.mentor, cohort=alice.scholar.cohort, scholars=[alice.scholar]
        ),
        starts_at=timezone.now() + dt.timedelta(days=3),
    )
    sync_meeting_notifications(meetings=[meeting])
    data = posted_back(alice_client.get(profile_url(alice))) | {"meeting_place": "Room 4.12"}

    response = alice_client.post(profile_url(alice), data)

    assert response.status_code == 302
    meeting.refresh_from_db()
    notices = Notification.objects.filter(
        meeting=meeting, kind=Notification.Kind.CHANGE, meeting_version=meeting.version
    )
    assert (meeting.version, notices.count()) == (2, 2)
    assert {notice.payload["previous_place"] for notice in notices} == {""}


def test_a_mentor_sets_their_limits_on_their_own_page_with_days_as_check_boxes(
    alice_client, alice: MentorRows
):
    url = profile_url(alice)
    page = alice_client.get(url)
    assert "Limits on meetings" in page.content.decode()
    assert 'type="checkbox" name="meeting_free_days" value="4"' in page.content.decode()

    data = posted_back(page) | {"meeting_free_days": ["0", "4"], "max_meetings_per_week": "5"}
    data |= {"earliest_meeting_start": "15:00", "latest_meeting_end": "10:00"}
    refused = alice_client.post(url, data)
    assert refused.status_code == 200
    assert "Must be after the earliest start (15:00); 00:00 is midnight." in refused.content.decode()

    data["latest_meeting_end"] = "17:00"
    assert alice_client.post(url, data).status_code == 302
    alice.mentor.refresh_from_db()
    assert (
        alice.mentor.max_meetings_per_week,
        alice.mentor.earliest_meeting_start,
        alice.mentor.latest_meeting_end,
        alice.mentor.meeting_free_days,
    ) == (5, dt.time(15), dt.time(17), [0, 4])
