"""Feedback after a meeting: the request each attendee is mailed once it is over, the signed single-use link
(no sign-in) and the form on their own page, the API, who reads it, and pair health's low ratings."""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from mentors.services import mentor_logins_create
from scheduling.models import HealthFinding, Meeting, MeetingFeedback, Notification
from scheduling.notifications.oversight import write_periodic_notifications
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.services.feedback import FEEDBACK_WINDOW, feedback_token, meeting_feedback_give
from scheduling.services.health import cohort_health_sync
from scheduling.services.meeting_edits import meeting_cancel, meeting_mark
from scholars.services import scholar_logins_create
from tests.factories import (
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
Status = Notification.Status
LINK = re.compile(r"https?://\S+/feedback/[^/\s]+/\?rating=(\d)")


@pytest.fixture
def pair():
    """Mira and her scholar Sam, both with logins, in a cohort running now."""
    today = timezone.localdate()
    cohort = CohortFactory(start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30))
    mira = MentorFactory(name="Mira", email="mira@example.org")
    sam = ScholarFactory(name="Sam", email="sam@example.org", cohort=cohort)
    MentorshipFactory(mentor=mira, scholar=sam)
    mentor_logins_create(mentors=[mira], invite=False)
    scholar_logins_create(scholars=[sam], invite=False)
    mira.refresh_from_db()
    sam.refresh_from_db()
    return cohort, mira, sam


def one_on_one(pair, *, starts_at):
    cohort, mira, sam = pair
    series = MeetingSeriesFactory(cohort=cohort, mentor=mira, scholars=[sam], title="Mira ↔ Sam (1-on-1)")
    return MeetingFactory(series=series, starts_at=starts_at)


def requests(meeting):
    return Notification.objects.filter(kind=Kind.FEEDBACK_REQUEST, meeting=meeting)


def over(meeting, *, hours_ago=2):
    """Move the meeting into the past, as if the clock had run on (keeping its id, which the links name)."""
    starts_at = timezone.now() - dt.timedelta(hours=hours_ago)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=1)
    )
    meeting.refresh_from_db()


def test_each_attendee_is_asked_once_the_meeting_is_over_and_marking_it_held_keeps_the_request(pair):
    meeting = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(days=1))
    sync_meeting_notifications(meetings=[meeting])

    asked = requests(meeting)
    assert {(r.recipient_mentor, r.recipient_scholar) for r in asked} == {(pair[1], None), (None, pair[2])}
    assert {r.due_at for r in asked} == {meeting.ends_at + dt.timedelta(minutes=10)}

    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.HELD, version=2)
    meeting.refresh_from_db()
    sync_meeting_notifications(meetings=[meeting])
    assert set(asked.values_list("status", flat=True)) == {Status.PENDING}


def moved(meeting, *, hours):
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=meeting.starts_at + dt.timedelta(hours=hours),
        ends_at=meeting.ends_at + dt.timedelta(hours=hours),
        status=Meeting.Status.MOVED,
        version=meeting.version + 1,
    )
    meeting.refresh_from_db()
    sync_meeting_notifications(meetings=[meeting])


def test_a_move_takes_the_request_with_it_there_and_back(pair):
    meeting = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(days=1))
    sync_meeting_notifications(meetings=[meeting])
    first_due = meeting.ends_at + dt.timedelta(minutes=10)

    moved(meeting, hours=3)
    assert {(r.status, r.due_at) for r in requests(meeting)} == {
        (Status.PENDING, first_due + dt.timedelta(hours=3))
    }
    moved(meeting, hours=-3)
    assert {(r.status, r.due_at) for r in requests(meeting)} == {(Status.PENDING, first_due)}
    assert requests(meeting).count() == 2


def test_a_meeting_cancelled_or_marked_missed_is_not_asked_about_and_one_marked_held_again_is(pair):
    meeting = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(hours=1))
    sync_meeting_notifications(meetings=[meeting])
    due = meeting.ends_at + dt.timedelta(minutes=11)
    over(meeting, hours_ago=1)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.MISSED, version=2)
    meeting.refresh_from_db()
    sync_meeting_notifications(meetings=[meeting])
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.HELD, version=3)
    meeting.refresh_from_db()
    sync_meeting_notifications(meetings=[meeting])

    sent = fast_forward(due)
    assert sorted(m.to[0] for m in sent if m.subject.startswith("How was it?")) == [
        "mira@example.org",
        "sam@example.org",
    ]

    other = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(hours=1))
    sync_meeting_notifications(meetings=[other])
    meeting_cancel(meeting=other)
    fast_forward(other.ends_at + dt.timedelta(minutes=11))
    assert set(requests(other).values_list("status", flat=True)) == {Status.SUPERSEDED}


def test_a_request_found_cancelled_when_due_is_not_sent(pair):
    """Judged again when due: a meeting cancelled by a write that did not sync its rows is still not asked about."""
    meeting = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(hours=1))
    sync_meeting_notifications(meetings=[meeting])
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)

    fast_forward(meeting.ends_at + dt.timedelta(minutes=11))

    assert {(r.status, r.last_error) for r in requests(meeting)} == {
        (Status.SKIPPED, "Not sent: This meeting was cancelled: there is nothing to rate.")
    }


def test_the_request_goes_by_email_only_even_to_someone_with_slack(pair):
    _, _, sam = pair
    sam.slack_webhook_url = "https://hooks.slack.com/services/T000/B000/not-a-real-secret"
    sam.save()
    meeting = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(days=1))

    sync_meeting_notifications(meetings=[meeting])

    assert set(requests(meeting).values_list("channel", flat=True)) == {Notification.Channel.EMAIL}
    assert Notification.objects.filter(meeting=meeting, channel=Notification.Channel.SLACK).exists()


def fast_forward(instant):
    already = len(mail.outbox)
    call_command("send_due_notifications", "--as-of", instant.isoformat(), stdout=io.StringIO())
    return mail.outbox[already:]


def test_the_mailed_link_rates_without_signing_in_once(pair):
    _, _, sam = pair
    meeting = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(hours=1))
    sync_meeting_notifications(meetings=[meeting])

    sent = fast_forward(meeting.ends_at + dt.timedelta(minutes=11))
    [to_sam] = [m for m in sent if m.to == [sam.email] and m.subject.startswith("How was it?")]
    links = dict(
        (rating, url) for url, rating in ((m.group(0), m.group(1)) for m in LINK.finditer(to_sam.body))
    )
    assert sorted(links) == ["1", "2", "3", "4"]
    assert "A note is read by your mentors and the staff" in to_sam.body
    over(meeting)

    stranger = Client()
    page = stranger.get(links["2"])
    assert page.status_code == 200
    assert page.context["form"].initial["rating"] == "2"
    sent_page = stranger.post(links["2"], {"rating": "2", "note": "We ran out of time."}, follow=True)
    assert "Thank you: your rating is sent." in sent_page.content.decode()

    feedback = MeetingFeedback.objects.get()
    assert (feedback.scholar, feedback.mentor, feedback.rating, feedback.note) == (
        sam,
        None,
        2,
        "We ran out of time.",
    )
    # The link works once: a second rating changes nothing, and the page says what was sent.
    again = stranger.post(links["4"], {"rating": "4"})
    assert again.status_code == 200
    assert "You rated this meeting <strong>somewhat useful</strong>" in again.content.decode()
    assert MeetingFeedback.objects.get().rating == 2


def test_a_tampered_link_is_refused_with_the_reason(pair):
    meeting = one_on_one(pair, starts_at=timezone.now() - dt.timedelta(hours=2))
    token = feedback_token(meeting, pair[2])

    response = Client().post(f"/feedback/{token[:-2]}xx/", {"rating": "4"})

    assert response.status_code == 404
    assert "This link is not one cohortops made" in response.content.decode()
    assert not MeetingFeedback.objects.exists()


@pytest.mark.parametrize(
    ("starts_in", "status", "reason"),
    [
        (dt.timedelta(hours=1), Meeting.Status.SCHEDULED, "This meeting has not ended yet"),
        (
            -FEEDBACK_WINDOW - dt.timedelta(hours=2),
            Meeting.Status.SCHEDULED,
            "Meetings can be rated for 14 days",
        ),
        (-dt.timedelta(hours=2), Meeting.Status.CANCELLED, "This meeting was cancelled"),
    ],
)
def test_a_meeting_not_over_too_old_or_cancelled_cannot_be_rated(pair, starts_in, status, reason):
    meeting = one_on_one(pair, starts_at=timezone.now() + starts_in)
    Meeting.objects.filter(pk=meeting.pk).update(status=status)

    response = Client().post(f"/feedback/{feedback_token(meeting, pair[2])}/", {"rating": "3"})

    assert reason in response.content.decode()
    assert not MeetingFeedback.objects.exists()


def test_a_bad_rating_is_a_400_with_the_field_and_nothing_saved(pair):
    meeting = one_on_one(pair, starts_at=timezone.now() - dt.timedelta(hours=2))

    response = Client().post(f"/feedback/{feedback_token(meeting, pair[2])}/", {"rating": "9"})

    assert response.status_code == 400
    assert response.context["form"].errors["rating"]
    assert not MeetingFeedback.objects.exists()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_their_page_lists_meetings_to_rate_and_rates_one_signed_in(pair):
    _, mira, sam = pair
    meeting = one_on_one(pair, starts_at=timezone.now() - dt.timedelta(hours=3))
    mentor = logged_in(mira.user)

    home = mentor.get("/").content.decode()
    assert f'href="/meetings/{meeting.pk}/feedback/"' in home
    assert mentor.post(f"/meetings/{meeting.pk}/feedback/", {"rating": "4"}).status_code == 302
    assert MeetingFeedback.objects.get().mentor == mira
    assert f'href="/meetings/{meeting.pk}/feedback/"' not in mentor.get("/").content.decode()

    # Someone else's meeting is not theirs to rate.
    other = one_on_one(
        (pair[0], MentorFactory(), ScholarFactory(cohort=pair[0])), starts_at=meeting.starts_at
    )
    assert logged_in(sam.user).get(f"/meetings/{other.pk}/feedback/").status_code == 404


def test_a_request_for_a_meeting_already_rated_on_the_page_is_not_sent(pair):
    _, _, sam = pair
    meeting = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(hours=1))
    sync_meeting_notifications(meetings=[meeting])
    due = meeting.ends_at + dt.timedelta(minutes=11)
    over(meeting, hours_ago=1)
    meeting_feedback_give(meeting=meeting, person=sam, rating=3)

    fast_forward(due)

    skipped = requests(meeting).get(recipient_scholar=sam)
    assert (skipped.status, skipped.last_error) == (Status.SKIPPED, "Not sent: They rated it already.")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_feedback_is_read_as_check_ins_are(pair):
    _, mira, sam = pair
    meeting = one_on_one(pair, starts_at=timezone.now() - dt.timedelta(hours=2))
    by_sam = meeting_feedback_give(meeting=meeting, person=sam, rating=1, note="Felt rushed.")
    by_mira = meeting_feedback_give(meeting=meeting, person=mira, rating=3)
    other_mentor = MentorFactory(user=UserFactory(is_staff=True))
    staff = UserFactory(is_staff=True)

    def ids(user):
        response = api(user).get("/api/v1/meeting-feedback/")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(staff) == {by_sam.pk, by_mira.pk}
    assert ids(mira.user) == {by_sam.pk, by_mira.pk}
    assert ids(sam.user) == {by_sam.pk}
    assert ids(other_mentor.user) == set()


def test_a_mentor_reads_in_the_admin_what_the_api_gives_them_not_every_note_of_their_group_meetings(pair):
    cohort, mira, sam = pair
    oz = MentorFactory(name="Oz", user=UserFactory(is_staff=True))
    mentor_logins_create(mentors=[oz], invite=False)
    oz.refresh_from_db()
    group = MeetingSeriesFactory(cohort=cohort, mentor=oz, scholars=[sam], kind="group", title="Oz's group")
    meeting = MeetingFactory(series=group, starts_at=timezone.now() - dt.timedelta(hours=2))
    sams_note = meeting_feedback_give(meeting=meeting, person=sam, rating=2, note="Too fast.")

    def admin_ids(user):
        page = logged_in(user).get("/admin/scheduling/meetingfeedback/")
        assert page.status_code == 200
        return {row.pk for row in page.context["cl"].result_list}

    assert admin_ids(mira.user) == {sams_note.pk}  # her scholar's, as check-ins are
    assert admin_ids(oz.user) == set()  # Sam is not Oz's scholar


def test_attendees_rate_through_the_api_once_with_field_errors_otherwise(pair):
    _, _, sam = pair
    meeting = one_on_one(pair, starts_at=timezone.now() - dt.timedelta(hours=2))
    url = "/api/v1/meeting-feedback/"

    bad = api(sam.user).post(url, {"meeting": meeting.pk, "rating": 5}, format="json")
    assert (bad.status_code, list(bad.json())) == (400, ["rating"])
    made = api(sam.user).post(
        url, {"meeting": meeting.pk, "rating": 4, "note": "Clear next steps."}, format="json"
    )
    assert (made.status_code, made.json()["rating_label"]) == (201, "Very useful")
    twice = api(sam.user).post(url, {"meeting": meeting.pk, "rating": 3}, format="json")
    assert (twice.status_code, twice.json()) == (
        400,
        {"meeting": ["You rated this meeting already; thank you."]},
    )
    assert api(UserFactory(is_staff=True)).post(url, {"meeting": meeting.pk, "rating": 3}).status_code == 403
    stranger = ScholarFactory(user=UserFactory())
    theirs_not = api(stranger.user).post(url, {"meeting": meeting.pk, "rating": 3}, format="json")
    nowhere = api(stranger.user).post(url, {"meeting": 999999, "rating": 3}, format="json")
    # Someone else's meeting reads as one that does not exist.
    assert (theirs_not.status_code, theirs_not.json()["meeting"][0].split('"')[0]) == (
        400,
        nowhere.json()["meeting"][0].split('"')[0],
    )
    assert MeetingFeedback.objects.count() == 1


def test_two_low_ratings_in_a_row_are_a_finding_until_a_better_one(pair, settings):
    settings.STAFF_ALERT_EMAILS = ["staff@cohortops.test"]
    cohort, mira, sam = pair
    now = timezone.now()
    meetings = [one_on_one(pair, starts_at=now - dt.timedelta(days=days)) for days in (9, 6, 3, 1)]
    meeting_mark(meeting=meetings[0], status=Meeting.Status.HELD)
    meeting_feedback_give(meeting=meetings[0], person=sam, rating=1)
    meeting_feedback_give(meeting=meetings[1], person=mira, rating=4)
    meeting_feedback_give(meeting=meetings[2], person=sam, rating=2)
    cohort_health_sync(cohort=cohort, as_of=now)
    assert not HealthFinding.objects.filter(rule="low_ratings").exists()

    meeting_feedback_give(meeting=meetings[3], person=mira, rating=1)
    cohort_health_sync(cohort=cohort, as_of=now)
    [finding] = HealthFinding.objects.filter(rule="low_ratings")
    assert finding.summary == "The last 2 ratings of Mira and Sam's meetings were low."
    assert finding.details == {"ratings": [1, 2]}

    later = one_on_one(pair, starts_at=now - dt.timedelta(hours=2))
    meeting_feedback_give(meeting=later, person=sam, rating=3)
    cohort_health_sync(cohort=cohort, as_of=now)
    finding.refresh_from_db()
    assert finding.status == HealthFinding.Status.RESOLVED


def test_the_periodic_pass_asks_about_meetings_published_before_there_were_requests(pair):
    # Written as an earlier release wrote meetings: no feedback request.
    meeting = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(days=1))
    far = one_on_one(pair, starts_at=timezone.now() + dt.timedelta(days=20))
    assert not requests(meeting).exists()

    write_periodic_notifications(as_of=timezone.now())
    assert requests(meeting).count() == 2
    assert not requests(far).exists()  # asked about when it comes close

    write_periodic_notifications(as_of=timezone.now())
    assert Notification.objects.filter(kind=Kind.FEEDBACK_REQUEST).count() == 2
