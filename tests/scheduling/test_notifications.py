import datetime as dt
from email import message_from_string

import pytest

from scheduling.models import Notification
from scheduling.notifications.messages import NothingToSend, compose_message, message_id_for
from scheduling.notifications.oversight import write_check_in_digests
from scheduling.notifications.reminders import sync_meeting_notifications
from scholars.models import Mentorship, Scholar
from tests.factories import (
    CheckInFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)
from tests.meeting_rows import cancel_meeting, move_meeting

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday
WEDNESDAY_10 = dt.datetime(2027, 1, 6, 10, 0, tzinfo=UTC)
Kind = Notification.Kind
Status = Notification.Status


def one_on_one(*, starts_at=WEDNESDAY_10, mentor=None, scholar=None, **series_fields):
    mentor = mentor or MentorFactory()
    scholar = scholar or ScholarFactory()
    MentorshipFactory(mentor=mentor, scholar=scholar)
    series = MeetingSeriesFactory(mentor=mentor, cohort=scholar.cohort, scholars=[scholar], **series_fields)
    return MeetingFactory(series=series, starts_at=starts_at)


def keys(**filters):
    return sorted(Notification.objects.filter(**filters).values_list("dedupe_key", flat=True))


def test_every_attendee_gets_a_reminder_a_day_and_fifteen_minutes_before():
    meeting = one_on_one()
    mentor, scholar = meeting.series.mentor, meeting.series.scholars.get()

    sync_meeting_notifications(meetings=[meeting], now=NOW)

    reminders = Notification.objects.filter(kind=Kind.REMINDER).order_by("due_at", "dedupe_key")
    assert [(n.recipient_mentor, n.recipient_scholar, n.due_at) for n in reminders] == [
        (mentor, None, WEDNESDAY_10 - dt.timedelta(days=1)),
        (None, scholar, WEDNESDAY_10 - dt.timedelta(days=1)),
        (mentor, None, WEDNESDAY_10 - dt.timedelta(minutes=15)),
        (None, scholar, WEDNESDAY_10 - dt.timedelta(minutes=15)),
    ]
    assert {n.channel for n in reminders} == {"email"}
    assert (
        reminders[0].dedupe_key == f"reminder:meeting={meeting.pk}:v=1:mentor={mentor.pk}:email:offset=1440"
    )


def test_each_person_is_reminded_at_their_own_offsets():
    scholar = ScholarFactory(reminder_offsets_minutes=[60])
    meeting = one_on_one(scholar=scholar)

    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert list(
        Notification.objects.filter(recipient_scholar=scholar, kind=Kind.REMINDER).values_list(
            "due_at", flat=True
        )
    ) == [WEDNESDAY_10 - dt.timedelta(hours=1)]


def test_people_with_a_slack_webhook_are_also_reminded_on_slack():
    mentor = MentorFactory(slack_webhook_url="https://hooks.slack.test/services/T0/B0/secret")
    meeting = one_on_one(mentor=mentor)

    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert sorted(
        Notification.objects.filter(recipient_mentor=mentor, kind=Kind.REMINDER).values_list(
            "channel", flat=True
        )
    ) == ["email", "email", "slack", "slack"]


def test_syncing_again_writes_nothing_new():
    meeting = one_on_one()
    sync_meeting_notifications(meetings=[meeting], now=NOW)
    before = keys()

    report = sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert (report.created, report.superseded, report.rescheduled) == (0, 0, 0)
    assert keys() == before


def test_reminders_already_due_when_written_are_not_written():
    meeting = one_on_one(starts_at=NOW + dt.timedelta(hours=2))

    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert set(
        Notification.objects.filter(kind=Kind.REMINDER).values_list("payload__offset_minutes", flat=True)
    ) == {15}


def test_withdrawn_scholars_get_no_reminders():
    scholar = ScholarFactory(status=Scholar.Status.WITHDRAWN)
    meeting = one_on_one(scholar=scholar)

    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert not Notification.objects.filter(recipient_scholar=scholar).exists()


def test_moving_a_meeting_supersedes_its_reminders_and_sends_a_change_notice_now():
    meeting = one_on_one()
    sync_meeting_notifications(meetings=[meeting], now=NOW)
    old_reminders = list(Notification.objects.filter(kind=Kind.REMINDER).values_list("pk", flat=True))
    thursday = WEDNESDAY_10 + dt.timedelta(days=1)

    move_meeting(meeting, to=thursday)
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert set(Notification.objects.filter(pk__in=old_reminders).values_list("status", flat=True)) == {
        "superseded"
    }
    new_reminders = Notification.objects.filter(kind=Kind.REMINDER, status=Status.PENDING)
    assert sorted({n.due_at for n in new_reminders}) == [
        thursday - dt.timedelta(days=1),
        thursday - dt.timedelta(minutes=15),
    ]
    assert {n.meeting_version for n in new_reminders} == {2}
    notices = Notification.objects.filter(kind=Kind.CHANGE)
    assert [(n.due_at, n.payload["previous_starts_at"]) for n in notices] == [
        (NOW, WEDNESDAY_10.isoformat())
    ] * 2


def test_cancelling_a_meeting_supersedes_its_reminders_and_sends_a_cancellation_notice_now():
    meeting = one_on_one()
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    cancel_meeting(meeting)
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert not Notification.objects.filter(kind=Kind.REMINDER, status=Status.PENDING).exists()
    assert list(
        Notification.objects.filter(kind=Kind.CANCELLATION).values_list("due_at", "meeting_version")
    ) == [
        (NOW, 2),
        (NOW, 2),
    ]


def test_no_change_notice_for_a_meeting_beyond_a_week_away():
    meeting = one_on_one(starts_at=NOW + dt.timedelta(days=20))

    move_meeting(meeting, to=NOW + dt.timedelta(days=21))
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert not Notification.objects.filter(kind=Kind.CHANGE).exists()
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 4


def test_sync_runs_the_same_number_of_queries_for_one_and_three_meetings(django_assert_num_queries):
    single = [one_on_one()]
    triple = [one_on_one(starts_at=WEDNESDAY_10 + dt.timedelta(hours=h)) for h in (1, 2, 3)]

    # Savepoint; meetings + their scholars, existing rows, count + insert; feedback requests: existing, count +
    # insert; the webhook endpoints listening (none); busy times, open calendar clashes; the prompts'
    # mentorships, meetings, pending prompts, count + insert; release.
    with django_assert_num_queries(18):
        sync_meeting_notifications(meetings=single, now=NOW)
    with django_assert_num_queries(18):
        sync_meeting_notifications(meetings=triple, now=NOW)


def test_check_in_prompt_is_due_the_day_before_the_first_meeting_of_the_week_at_the_start_of_work():
    scholar = ScholarFactory(time_zone="America/Los_Angeles")
    thursday = one_on_one(scholar=scholar, starts_at=dt.datetime(2027, 1, 7, 18, 0, tzinfo=UTC))
    wednesday = MeetingFactory(series=thursday.series, starts_at=dt.datetime(2027, 1, 6, 18, 0, tzinfo=UTC))

    sync_meeting_notifications(meetings=[thursday, wednesday], now=NOW)

    prompt = Notification.objects.get(kind=Kind.CHECKIN_PROMPT)
    # Tuesday 09:00 in Los Angeles is 17:00 UTC in January.
    assert (prompt.recipient_scholar, prompt.due_at, prompt.payload) == (
        scholar,
        dt.datetime(2027, 1, 5, 17, 0, tzinfo=UTC),
        {"week_start": "2027-01-04"},
    )


def test_check_in_prompt_follows_its_first_meeting_when_it_moves():
    meeting = one_on_one()
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    move_meeting(meeting, to=WEDNESDAY_10 + dt.timedelta(days=2))
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert list(Notification.objects.filter(kind=Kind.CHECKIN_PROMPT).values_list("due_at", "status")) == [
        (dt.datetime(2027, 1, 7, 9, 0, tzinfo=UTC), "pending")
    ]


def test_check_in_prompt_is_superseded_when_its_week_loses_its_meeting():
    meeting = one_on_one()
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    cancel_meeting(meeting)
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert list(Notification.objects.filter(kind=Kind.CHECKIN_PROMPT).values_list("status", flat=True)) == [
        "superseded"
    ]


def test_meetings_with_a_co_mentor_cause_no_check_in_prompt():
    scholar = ScholarFactory()
    MentorshipFactory(scholar=scholar)
    co_mentor = MentorFactory()
    Mentorship.objects.create(mentor=co_mentor, scholar=scholar, role=Mentorship.Role.CO_MENTOR)
    series = MeetingSeriesFactory(mentor=co_mentor, cohort=scholar.cohort, scholars=[scholar])
    meeting = MeetingFactory(series=series, starts_at=WEDNESDAY_10)

    sync_meeting_notifications(meetings=[meeting], now=NOW)

    assert not Notification.objects.filter(kind=Kind.CHECKIN_PROMPT).exists()


def test_each_mentor_gets_one_digest_per_week_due_the_next_monday_morning():
    mentor = MentorFactory(time_zone="America/New_York")
    MentorshipFactory(mentor=mentor)
    MentorshipFactory(mentor=mentor)

    write_check_in_digests(as_of=NOW)
    write_check_in_digests(as_of=NOW + dt.timedelta(days=2))

    digest = Notification.objects.get(kind=Kind.CHECKIN_DIGEST)
    # Monday 11 January, 08:00 in New York is 13:00 UTC.
    assert (digest.recipient_mentor, digest.due_at, digest.payload) == (
        mentor,
        dt.datetime(2027, 1, 11, 13, 0, tzinfo=UTC),
        {"week_start": "2027-01-04"},
    )


def sent_prompt(scholar, week_start):
    return Notification.objects.create(
        kind=Kind.CHECKIN_PROMPT,
        dedupe_key=f"checkin_prompt:scholar={scholar.pk}:week={week_start.isoformat()}:email",
        due_at=dt.datetime.combine(week_start, dt.time(9), tzinfo=UTC),
        status=Status.SENT,
        recipient_scholar=scholar,
        payload={"week_start": week_start.isoformat()},
    )


def reminder_for(meeting, person_filter, *, offset_minutes=15):
    sync_meeting_notifications(meetings=[meeting], now=NOW)
    return (
        Notification.objects.select_related(
            "meeting__series__mentor", "recipient_mentor", "recipient_scholar"
        )
        .filter(kind=Kind.REMINDER, payload__offset_minutes=offset_minutes, **person_filter)
        .get()
    )


def test_a_reminder_shows_the_meeting_in_the_recipients_own_zone():
    scholar = ScholarFactory(name="Ada", time_zone="America/New_York")
    meeting = one_on_one(scholar=scholar, title="Ada / Cas 1-on-1")

    notification = reminder_for(meeting, {"recipient_scholar": scholar})

    message = compose_message(notification, as_of=notification.due_at)

    assert message.subject == (
        "Reminder: Ada / Cas 1-on-1, Wednesday 6 January 2027, 05:00–06:00 EST (America/New_York)"
    )
    assert "Your meeting starts in 15 minutes." in message.text
    assert "When:  Wednesday 6 January 2027, 05:00–06:00 EST (America/New_York)" in message.text
    assert "05:00–06:00 EST" in message.html
    assert message.address == scholar.email


@pytest.mark.parametrize(
    ("sent_at", "says"),
    [
        # On time, worded as the person's settings name the offset, allowing for the tick and a busy worker.
        (WEDNESDAY_10 - dt.timedelta(days=1), "1 day"),
        (WEDNESDAY_10 - dt.timedelta(days=1) + dt.timedelta(seconds=40), "1 day"),
        (WEDNESDAY_10 - dt.timedelta(days=1) + dt.timedelta(seconds=61), "1 day"),
        (WEDNESDAY_10 - dt.timedelta(days=1) + dt.timedelta(minutes=5), "1 day"),
        # Early, or late beyond that (after an outage): the time really left.
        (WEDNESDAY_10 - dt.timedelta(days=2), "2 days"),
        (WEDNESDAY_10 - dt.timedelta(days=1) + dt.timedelta(minutes=10), "23 hours 50 minutes"),
        (WEDNESDAY_10 - dt.timedelta(hours=3, minutes=10), "3 hours 10 minutes"),
        (WEDNESDAY_10 - dt.timedelta(seconds=50), "1 minute"),
    ],
)
def test_a_reminder_says_the_time_left_when_it_is_sent_not_its_offset(sent_at, says):
    meeting = one_on_one()
    day_ahead = reminder_for(meeting, {"recipient_mentor": meeting.series.mentor}, offset_minutes=1440)

    message = compose_message(day_ahead, as_of=sent_at)

    assert f"Your meeting starts in {says}." in message.text
    assert f"Your meeting starts in <strong>{says}</strong>." in message.html


def test_a_reminder_mail_carries_an_invitation_and_a_message_id_from_its_dedupe_key():
    meeting = one_on_one()
    notification = reminder_for(meeting, {"recipient_mentor": meeting.series.mentor})

    message = compose_message(notification, as_of=NOW)

    assert message.message_id == message_id_for(notification.dedupe_key)
    assert message.message_id == compose_message(notification, as_of=notification.due_at).message_id
    [invitation] = message.attachments
    assert invitation.mimetype == "text/calendar; method=REQUEST"
    assert b"METHOD:REQUEST" in invitation.content
    assert f"UID:{meeting.series.uid}".encode() in invitation.content


def test_a_cancellation_carries_a_cancel_invitation():
    meeting = one_on_one()
    cancel_meeting(meeting)
    sync_meeting_notifications(meetings=[meeting], now=NOW)
    notification = Notification.objects.filter(kind=Kind.CANCELLATION).first()

    message = compose_message(notification, as_of=NOW)

    assert message.subject.startswith(f"Cancelled: {meeting.series.title}, Wednesday 6 January 2027")
    assert b"METHOD:CANCEL" in message.attachments[0].content


def digest_for(mentor):
    write_check_in_digests(as_of=NOW)
    return Notification.objects.get(kind=Kind.CHECKIN_DIGEST, recipient_mentor=mentor)


def test_the_digest_lists_each_prompted_scholars_check_in_or_its_absence():
    mentor = MentorFactory()
    writer = MentorshipFactory(mentor=mentor, scholar=ScholarFactory(name="Bea")).scholar
    silent = MentorshipFactory(mentor=mentor, scholar=ScholarFactory(name="Cy")).scholar
    CheckInFactory(scholar=writer, week_start=dt.date(2027, 1, 4), progress="Found the induction head.")
    sent_prompt(silent, dt.date(2027, 1, 4))

    digest = digest_for(mentor)

    message = compose_message(digest, as_of=digest.due_at)

    assert message.subject == "Your scholars' check-ins, week of Monday 4 January 2027"
    assert "## Bea\nProgress:   Found the induction head.\nBlockers:   none" in message.text
    assert "## Cy\nNo check-in this week." in message.text


def test_a_digest_of_a_week_without_prompts_or_check_ins_has_nothing_to_send():
    mentor = MentorFactory()
    MentorshipFactory(mentor=mentor)

    with pytest.raises(NothingToSend):
        compose_message(digest_for(mentor), as_of=NOW)


def test_the_mail_text_is_readable_as_a_mime_part():
    meeting = one_on_one()
    notification = reminder_for(meeting, {"recipient_mentor": meeting.series.mentor})
    message = compose_message(notification, as_of=notification.due_at)

    parsed = message_from_string(f"Subject: {message.subject}\n\n{message.text}")

    assert parsed.get_payload().startswith(
        f"Hello {meeting.series.mentor.name},\n\nYour meeting starts in 15 minutes."
    )


def test_a_change_notice_gives_the_new_time_and_the_old_one():
    scholar = ScholarFactory()
    meeting = one_on_one(scholar=scholar)
    sync_meeting_notifications(meetings=[meeting], now=NOW)
    move_meeting(meeting, to=WEDNESDAY_10 + dt.timedelta(days=1))
    sync_meeting_notifications(meetings=[meeting], now=NOW)

    notice = Notification.objects.get(kind=Kind.CHANGE, recipient_scholar=scholar)

    message = compose_message(notice, as_of=notice.due_at)

    assert message.subject == (
        f"Moved: {meeting.series.title}, now Thursday 7 January 2027, 10:00–11:00 GMT (Europe/London)"
    )
    assert "A meeting of yours has moved (it was Wednesday 6 January 2027, 10:00 GMT (Europe/London))." in (
        message.text
    )
    assert b"SEQUENCE:2" in message.attachments[0].content
