"""Published meetings that an attendee's own calendar shows them busy for: flagged once, told once to the person
and to staff, resolved when they no longer hold, and never acted on (no meeting moves or is cancelled for one)."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from cohort.signals import busy_times_changed
from mentors.models import Mentor
from scheduling.models import CalendarClash, Meeting, MeetingSeries, Notification
from scheduling.notifications.clashes import ClashReport, clash_notices_write, person_clashes_refresh
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.services.meeting_edits import meeting_cancel, meeting_move
from scholars.calendar_sources import calendar_source_remove
from scholars.models import BusyBlock, CalendarSource, Scholar
from tests.factories import (
    AvailabilityFactory,
    CohortFactory,
    MeetingFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)
from tests.meeting_rows import weekly_series_with_meetings

pytestmark = pytest.mark.django_db

STAFF = "staff@cohortops.test"
NEW_YORK = "America/New_York"
RESOLVED_REASON = "Not sent: the clash was resolved before the notice could be sent."
Kind, Status = Notification.Kind, Notification.Status


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# Mondays at 14:00 London (14:00 UTC, 09:00 in New York) from 4 January to 22 March 2027.
CLASHING_START = utc(2027, 1, 11, 14)
BUSY = (utc(2027, 1, 11, 13, 30), utc(2027, 1, 11, 14, 30))
DAY_BEFORE = utc(2027, 1, 10, 12)


@pytest.fixture(autouse=True)
def _staff_addresses(settings) -> None:
    settings.STAFF_ALERT_EMAILS = [STAFF]


@pytest.fixture
def mentor():
    """Mira, in New York, available Monday to Friday 9 to 5 there."""
    mira = MentorFactory(name="Mira", time_zone=NEW_YORK)
    for weekday in range(5):
        AvailabilityFactory(mentor=mira, weekday=weekday)
    return mira


@pytest.fixture
def scholar(mentor):
    sam = ScholarFactory(name="Sam", cohort=CohortFactory())
    MentorshipFactory(mentor=mentor, scholar=sam)
    return sam


@pytest.fixture
def series(mentor, scholar) -> MeetingSeries:
    return weekly_series_with_meetings(
        cohort=scholar.cohort, mentor=mentor, scholars=[scholar], start=dt.time(14)
    )


@pytest.fixture
def meeting(series) -> Meeting:
    return series.meetings.get(starts_at=CLASHING_START)


def busy(person, starts_at: dt.datetime, ends_at: dt.datetime) -> BusyBlock:
    """A busy time on a new own calendar of ``person``, written as a read leaves it (no signal yet)."""
    owner = {"mentor" if isinstance(person, Mentor) else "scholar": person}
    source = CalendarSource.objects.create(
        **owner,
        label="Work",
        url_encrypted="(not read in these tests)",
        url_hint="calendar.example.org/…basic.ics",
        status=CalendarSource.Status.OK,
    )
    return BusyBlock.objects.create(source=source, starts_at=starts_at, ends_at=ends_at)


def busy_times_read(person) -> None:
    """What a calendar read that changed ``person``'s busy times tells scheduling; then the periodic pass the day
    before the meeting, by when its clash notices are due (they wait for NOTICE_HORIZON)."""
    busy_times_changed.send(sender=CalendarSource, person=person)
    clash_notices_write(as_of=DAY_BEFORE)


def open_clashes():
    return CalendarClash.objects.filter(resolved_at__isnull=True)


def clash_notices():
    return Notification.objects.filter(kind=Kind.CLASH)


def recipients(notices=None) -> list[tuple[str, str]]:
    """Who each clash notice goes to, and on which channel, one entry per row (so a duplicate shows)."""
    rows = (notices if notices is not None else clash_notices()).values_list(
        "recipient_mentor", "recipient_scholar", "recipient_email", "channel"
    )
    return sorted(
        (f"mentor={m}" if m else f"scholar={s}" if s else email, channel) for m, s, email, channel in rows
    )


def notice_rows() -> list[tuple]:
    return sorted(
        clash_notices().values_list(
            "pk",
            "dedupe_key",
            "status",
            "recipient_mentor",
            "recipient_scholar",
            "recipient_email",
            "channel",
        )
    )


def send_due() -> str:
    """The tick the day before the meeting."""
    out = io.StringIO()
    call_command("send_due_notifications", "--as-of", DAY_BEFORE.isoformat(), stdout=out)
    return out.getvalue()


def meeting_state(meeting: Meeting) -> tuple:
    meeting.refresh_from_db()
    return (meeting.starts_at, meeting.ends_at, meeting.status, meeting.version)


# --- Opening a clash --------------------------------------------------------------------------------------------


def test_a_busy_time_during_a_published_meeting_opens_one_clash_for_that_meeting_and_person(
    mentor, scholar, meeting
):
    block = busy(mentor, *BUSY)

    busy_times_read(mentor)

    [clash] = open_clashes()
    assert (clash.meeting, clash.mentor, clash.scholar) == (meeting, mentor, None)
    assert (clash.busy_starts_at, clash.busy_ends_at) == (block.starts_at, block.ends_at)
    assert CalendarClash.objects.count() == 1  # none for the other eleven Mondays, none for Sam


def test_the_clash_is_told_to_the_busy_person_on_each_channel_and_to_each_staff_address(
    settings, mentor, meeting
):
    settings.STAFF_ALERT_EMAILS = [STAFF, "director@cohortops.test"]
    mentor.slack_webhook_url = "https://hooks.slack.com/services/T000/B000/XXXX"
    mentor.save()
    busy(mentor, *BUSY)

    busy_times_read(mentor)

    [clash] = open_clashes()
    notices = clash_notices()
    assert recipients(notices) == [
        ("director@cohortops.test", "email"),
        (f"mentor={mentor.pk}", "email"),
        (f"mentor={mentor.pk}", "slack"),
        (STAFF, "email"),
    ]
    assert {(n.meeting_id, n.meeting_version, n.status) for n in notices} == {
        (meeting.pk, meeting.version, Status.PENDING)
    }
    assert {n.payload["person"] for n in notices} == {f"mentor={mentor.pk}"}
    assert clash.meeting_version == meeting.version
    assert {n.due_at for n in notices} == {DAY_BEFORE}


def test_the_meeting_is_never_moved_or_cancelled_for_a_clash(mentor, series, meeting):
    before = meeting_state(meeting)
    others_before = list(series.meetings.order_by("pk").values_list("starts_at", "status", "version"))
    series_version = series.version
    busy(mentor, *BUSY)

    busy_times_read(mentor)

    assert open_clashes().get().meeting == meeting
    assert meeting_state(meeting) == before
    assert before[2] == Meeting.Status.SCHEDULED
    assert list(series.meetings.order_by("pk").values_list("starts_at", "status", "version")) == others_before
    series.refresh_from_db()
    assert series.version == series_version


def test_a_scholars_busy_time_flags_the_scholar_not_the_mentor(mentor, scholar, meeting):
    busy(scholar, *BUSY)

    busy_times_read(scholar)

    [clash] = open_clashes()
    assert (clash.meeting, clash.mentor, clash.scholar) == (meeting, None, scholar)
    assert recipients() == [(f"scholar={scholar.pk}", "email"), (STAFF, "email")]


def test_a_busy_time_that_only_touches_the_meeting_end_to_end_is_no_clash(mentor, meeting):
    busy(mentor, meeting.starts_at - dt.timedelta(hours=1), meeting.starts_at)
    busy(mentor, meeting.ends_at, meeting.ends_at + dt.timedelta(hours=1))

    busy_times_read(mentor)

    assert not CalendarClash.objects.exists()
    assert not clash_notices().exists()


# --- Never twice ------------------------------------------------------------------------------------------------


def test_refreshing_again_writes_no_second_clash_and_no_second_notice(mentor, meeting):
    busy(mentor, *BUSY)
    busy_times_read(mentor)
    clashes, notices = list(CalendarClash.objects.values_list("pk", "resolved_at")), notice_rows()
    assert len(clashes) == 1
    assert len(notices) == 2

    busy_times_read(mentor)
    again = person_clashes_refresh(person=mentor, now=timezone.now())
    sync_meeting_notifications(
        meetings=[meeting]
    )  # a meeting write (a plan applied, a refresh) checks it too

    assert again == ClashReport(opened=0, resolved=0)
    assert list(CalendarClash.objects.values_list("pk", "resolved_at")) == clashes
    assert notice_rows() == notices


def test_a_notice_already_sent_is_not_written_again(mentor, meeting):
    busy(mentor, *BUSY)
    busy_times_read(mentor)
    send_due()
    assert len(mail.outbox) == 2
    notices = notice_rows()

    busy_times_read(mentor)
    send_due()

    assert notice_rows() == notices
    assert len(mail.outbox) == 2


# --- Resolving --------------------------------------------------------------------------------------------------


def test_moving_the_meeting_out_of_the_busy_time_resolves_the_clash(mentor, meeting):
    busy(mentor, *BUSY)
    busy_times_read(mentor)
    staff = UserFactory(is_staff=True)

    # 16:00 UTC is 11:00 in New York, 16:00 in London: inside both attendees' hours.
    meeting_move(meeting=meeting, starts_at=utc(2027, 1, 11, 16), by=staff, by_staff=True)

    [clash] = CalendarClash.objects.all()
    assert clash.resolved_at is not None
    assert not open_clashes().exists()


def test_removing_the_busy_time_and_refreshing_resolves_the_clash(mentor, meeting):
    block = busy(mentor, *BUSY)
    busy_times_read(mentor)
    assert open_clashes().count() == 1

    block.delete()
    report = person_clashes_refresh(person=mentor, now=timezone.now())

    assert report == ClashReport(opened=0, resolved=1)
    assert not open_clashes().exists()
    assert CalendarClash.objects.get().resolved_at is not None


def test_removing_the_calendar_resolves_the_clash(mentor, meeting):
    block = busy(mentor, *BUSY)
    busy_times_read(mentor)

    calendar_source_remove(block.source)

    assert not open_clashes().exists()
    assert CalendarClash.objects.get().resolved_at is not None


def test_cancelling_the_meeting_resolves_its_clash(mentor, meeting):
    busy(mentor, *BUSY)
    busy_times_read(mentor)

    meeting_cancel(meeting=meeting, by=UserFactory(is_staff=True))

    assert not open_clashes().exists()
    assert CalendarClash.objects.get().resolved_at is not None


def test_an_open_clash_resolves_once_its_meeting_is_over(mentor, meeting):
    busy(mentor, *BUSY)
    busy_times_read(mentor)

    report = person_clashes_refresh(person=mentor, now=meeting.ends_at)

    assert report == ClashReport(opened=0, resolved=1)
    assert not open_clashes().exists()


def test_a_clash_that_comes_back_for_the_same_meeting_time_is_not_told_twice(mentor, meeting):
    """A calendar read once while its server answered an empty file resolves the clash; the next read opens it
    again, and nobody is told twice."""
    block = busy(mentor, *BUSY)
    busy_times_read(mentor)
    told = notice_rows()
    block.delete()
    busy_times_read(mentor)

    busy(mentor, *BUSY)
    busy_times_read(mentor)

    first, second = CalendarClash.objects.order_by("pk")
    assert first.resolved_at is not None
    assert second.resolved_at is None
    assert notice_rows() == told


def test_a_meeting_moved_to_another_busy_time_is_a_new_clash_told_afresh(mentor, meeting):
    busy(mentor, *BUSY)
    busy(mentor, utc(2027, 1, 11, 15, 30), utc(2027, 1, 11, 17))
    busy_times_read(mentor)
    staff = UserFactory(is_staff=True)

    # 16:00 UTC is 11:00 in New York, 16:00 in London: inside both attendees' hours, and busy again.
    meeting_move(
        meeting=meeting,
        starts_at=utc(2027, 1, 11, 16),
        by=staff,
        by_staff=True,
        force=True,
        reason="only slot",
    )
    clash_notices_write(as_of=DAY_BEFORE)

    meeting.refresh_from_db()
    first, second = CalendarClash.objects.order_by("pk")
    assert (first.meeting_version, first.resolved_at is not None) == (meeting.version - 1, True)
    assert (second.meeting_version, second.resolved_at) == (meeting.version, None)
    assert (second.busy_starts_at, second.busy_ends_at) == (utc(2027, 1, 11, 15, 30), utc(2027, 1, 11, 17))
    assert set(clash_notices().values_list("meeting_version", flat=True)) == {
        meeting.version - 1,
        meeting.version,
    }


# --- Not flagged ------------------------------------------------------------------------------------------------


def test_a_meeting_already_over_is_not_flagged(mentor, scholar, series, meeting):
    past = MeetingFactory(series=series, starts_at=timezone.now() - dt.timedelta(hours=3))
    busy(mentor, past.starts_at - dt.timedelta(minutes=30), past.ends_at)
    busy(mentor, *BUSY)  # and one ahead, which is

    busy_times_read(mentor)
    sync_meeting_notifications(meetings=[past, meeting])  # and when a write touches it

    assert list(CalendarClash.objects.values_list("meeting", flat=True)) == [meeting.pk]
    assert not clash_notices().filter(meeting=past).exists()


def test_a_withdrawn_scholar_is_not_flagged(mentor, scholar, series, meeting):
    gone = ScholarFactory(name="Wes", cohort=scholar.cohort, status=Scholar.Status.WITHDRAWN)
    MentorshipFactory(mentor=mentor, scholar=gone)
    series.scholars.add(gone)
    busy(gone, *BUSY)
    busy(scholar, *BUSY)  # Sam, still in the programme, is

    busy_times_read(gone)
    busy_times_read(scholar)
    sync_meeting_notifications(meetings=[meeting])

    assert list(CalendarClash.objects.values_list("scholar", flat=True)) == [scholar.pk]
    assert not Notification.objects.filter(recipient_scholar=gone).exists()


# --- Sending ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lease_seconds", [60, 0], ids=["lease of a minute", "lease of the batch renewed before every delivery"]
)
def test_the_persons_notice_names_the_meeting_and_the_busy_time_in_their_zone(
    mentor, series, meeting, settings, lease_seconds
):
    settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS = lease_seconds
    busy(mentor, *BUSY)
    busy_times_read(mentor)

    out = send_due()

    assert "claimed 2: 2 sent" in out
    assert set(clash_notices().values_list("status", flat=True)) == {Status.SENT}
    [to_mira] = [m for m in mail.outbox if m.to == [mentor.email]]
    assert series.title in to_mira.subject
    assert series.title in to_mira.body
    assert "Your own calendar shows you busy Monday 11 January 2027, 08:30–09:30 EST (America/New_York)" in (
        to_mira.body
    )
    assert "Monday 11 January 2027, 09:00–10:00 EST (America/New_York)" in to_mira.body  # the meeting
    [to_staff] = [m for m in mail.outbox if m.to == [STAFF]]
    assert (
        "Mira's own calendar shows them busy Monday 11 January 2027, 13:30–14:30 UTC (UTC)" in to_staff.body
    )
    assert meeting_state(meeting)[2:] == (Meeting.Status.SCHEDULED, 1)


def test_a_notice_whose_clash_resolved_before_it_went_out_is_skipped_with_the_reason(mentor, meeting):
    block = busy(mentor, *BUSY)
    busy_times_read(mentor)
    block.delete()
    busy_times_read(mentor)

    out = send_due()

    assert "claimed 2: 2 skipped" in out
    assert set(clash_notices().values_list("status", "last_error")) == {(Status.SKIPPED, RESOLVED_REASON)}
    assert mail.outbox == []


def test_a_notice_of_a_clash_resolved_by_a_move_is_skipped_while_the_move_is_announced(mentor, meeting):
    busy(mentor, *BUSY)
    busy_times_read(mentor)
    meeting_move(
        meeting=meeting, starts_at=utc(2027, 1, 11, 16), by=UserFactory(is_staff=True), by_staff=True
    )

    send_due()

    assert set(clash_notices().values_list("status", "last_error")) == {(Status.SKIPPED, RESOLVED_REASON)}
    assert not [m for m in mail.outbox if "busy" in m.subject]


def test_moving_a_meeting_into_someones_busy_time_needs_staff_to_force_it(mentor, meeting):
    busy(mentor, utc(2027, 1, 11, 15, 30), utc(2027, 1, 11, 17))
    before = meeting_state(meeting)

    with pytest.raises(ValidationError) as refused:
        meeting_move(
            meeting=meeting, starts_at=utc(2027, 1, 11, 16), by=UserFactory(is_staff=True), by_staff=True
        )

    assert "Mira's own calendar shows them busy 10:30–12:00." in refused.value.message_dict["starts_at"]
    meeting.refresh_from_db()
    assert meeting_state(meeting) == before


def test_a_clash_five_weeks_ahead_is_told_once_its_meeting_comes_within_a_week(mentor, meeting):
    busy(mentor, *BUSY)
    five_weeks_before = CLASHING_START - dt.timedelta(weeks=5)

    person_clashes_refresh(person=mentor, now=five_weeks_before)
    untold = list(clash_notices())
    clash_notices_write(as_of=CLASHING_START - dt.timedelta(days=8))
    still_untold = list(clash_notices())
    clash_notices_write(as_of=DAY_BEFORE)
    told = notice_rows()
    clash_notices_write(as_of=DAY_BEFORE + dt.timedelta(hours=1))

    assert open_clashes().count() == 1
    assert (untold, still_untold) == ([], [])
    assert len(told) == 2  # the mentor's one channel and the staff address
    assert notice_rows() == told


def test_a_notice_skipped_as_resolved_goes_out_when_its_clash_comes_back(mentor, meeting):
    block = busy(mentor, *BUSY)
    busy_times_read(mentor)
    block.delete()
    busy_times_read(mentor)
    send_due()
    assert set(clash_notices().values_list("status", flat=True)) == {Status.SKIPPED}

    busy(mentor, *BUSY)
    busy_times_read(mentor)
    send_due()

    assert set(clash_notices().values_list("status", flat=True)) == {Status.SENT}
