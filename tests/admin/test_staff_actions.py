"""Staff's daily work in the admin: warnings to resolve, plans to preview and apply, exports, sends, feed links."""

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mentors.models import ImportWarning
from scheduling.models import DeliveryAttempt, FeedToken, Meeting, MeetingSeries, Notification, PlanRun
from scheduling.notifications.reminders import sync_meeting_notifications
from tests.admin.conftest import MentorRows
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    StreamFactory,
)

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def run_action(client, changelist: str, action: str, *objects, follow: bool = True):
    return client.post(
        reverse(changelist), {"action": action, "_selected_action": [o.pk for o in objects]}, follow=follow
    )


@pytest.fixture
def warnings(alice: MentorRows):
    stream = alice.scholar.stream
    return (
        ImportWarning.objects.create(stream=stream, code="cadence_unspecified", message="No rhythm found."),
        ImportWarning.objects.create(
            stream=stream, code="missing_organisation", message="No organisation.", resolved_at=timezone.now()
        ),
    )


def test_import_warnings_list_only_the_open_ones_by_default(staff_client, warnings):
    changelist = reverse("admin:mentors_importwarning_changelist")

    default = staff_client.get(changelist)
    everything = staff_client.get(changelist, {"state": "all"})

    assert [w.pk for w in default.context["cl"].result_list] == [warnings[0].pk]
    assert {w.pk for w in everything.context["cl"].result_list} == {warnings[0].pk, warnings[1].pk}


def test_staff_mark_import_warnings_resolved(staff_client, admin_user, warnings):
    response = run_action(
        staff_client, "admin:mentors_importwarning_changelist", "mark_resolved", warnings[0]
    )

    assert messages_of(response) == ["1 warning marked resolved."]
    warnings[0].refresh_from_db()
    assert warnings[0].resolved_by == admin_user
    assert warnings[0].is_resolved


@pytest.fixture
def plannable(settings, cohort):
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    mentor = MentorFactory(cadence=WEEKLY_ONE_ON_ONE.to_dict())
    for day in range(5):
        AvailabilityFactory(mentor=mentor, weekday=day, start_time=dt.time(10), end_time=dt.time(12))
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=cohort))
    return cohort


def test_the_plan_action_starts_a_run_on_a_worker_and_links_to_it(staff_client, plannable):
    response = run_action(staff_client, "admin:cohort_cohort_changelist", "plan_cohorts", plannable)

    run = PlanRun.objects.get(cohort=plannable)
    assert run.status == PlanRun.Status.PENDING
    assert messages_of(response) == [
        f"{plannable}: plan #{run.pk} is being solved on a worker. "
        f'<a href="{reverse("admin:scheduling_planrun_change", args=[run.pk])}">Open it</a> to preview it and '
        "apply it once it is solved."
    ]
    page = staff_client.get(reverse("admin:scheduling_planrun_change", args=[run.pk]))
    assert "Being solved on a worker (pending): this page looks again every few seconds." in page.text
    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert "Apply this plan" not in page.text


@pytest.fixture
def plan_on_worker(staff_client, settings, django_capture_on_commit_callbacks):
    """Runs the admin's plan action with the worker's task executed as its transaction commits."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def plan(cohort) -> PlanRun:
        with django_capture_on_commit_callbacks(execute=True):
            run_action(staff_client, "admin:cohort_cohort_changelist", "plan_cohorts", cohort)
        return PlanRun.objects.filter(cohort=cohort).latest("created_at")

    return plan


def test_the_worker_stores_a_preview_and_publishes_nothing(plan_on_worker, plannable):
    run = plan_on_worker(plannable)

    assert run.status == PlanRun.Status.SOLVED
    assert (run.result["placed"], run.result["demanded"]) == (1, 1)
    assert MeetingSeries.objects.filter(cohort=plannable).count() == 0


def test_admin_and_api_planning_give_the_same_plan(
    plan_on_worker, plannable, staff_client, django_capture_on_commit_callbacks
):
    from_admin = plan_on_worker(plannable)
    with django_capture_on_commit_callbacks(execute=True):
        started = staff_client.post(f"/api/v1/cohorts/{plannable.pk}/plan/")
    assert started.status_code == 202
    from_api = PlanRun.objects.get(pk=started.json()["id"])

    assert from_api.status == from_admin.status == PlanRun.Status.SOLVED
    assert from_api.result["placements"] == from_admin.result["placements"]


def test_the_preview_page_shows_what_the_plan_does(staff_client, plan_on_worker, plannable):
    run = plan_on_worker(plannable)

    response = staff_client.get(reverse("admin:scheduling_planrun_change", args=[run.pk]))

    assert "<strong>1 of 1</strong> weekly meetings placed" in response.text
    assert "Apply this plan" in response.text


def test_the_apply_action_publishes_the_latest_preview(staff_client, plan_on_worker, plannable):
    run = plan_on_worker(plannable)

    response = run_action(staff_client, "admin:cohort_cohort_changelist", "apply_latest_plans", plannable)

    assert messages_of(response) == [
        f"{plannable}: plan #{run.pk} applied: 1 series added, 0 moved, 0 removed, 0 unchanged."
    ]
    assert MeetingSeries.objects.filter(cohort=plannable, plan_run=run).count() == 1


def test_the_apply_button_on_the_preview_publishes_it(staff_client, plan_on_worker, plannable):
    run = plan_on_worker(plannable)

    response = staff_client.post(reverse("admin:scheduling_planrun_apply", args=[run.pk]))

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == PlanRun.Status.APPLIED


def test_applying_without_a_preview_says_to_plan_first(staff_client, cohort):
    response = run_action(staff_client, "admin:cohort_cohort_changelist", "apply_latest_plans", cohort)

    assert messages_of(response) == [f"{cohort}: no preview to apply; plan it first."]


def test_the_export_lists_every_meeting_in_the_cohorts_zone(staff_client, alice: MentorRows, cohort):
    alice.series.title = "=HYPERLINK(evil)"
    alice.series.save()

    response = run_action(
        staff_client, "admin:cohort_cohort_changelist", "export_meetings_csv", cohort, follow=False
    )

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    local = alice.meeting.starts_at.astimezone(ZoneInfo(cohort.time_zone))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows == [
        [
            "cohort",
            "meeting",
            "kind",
            "mentor",
            "scholars",
            "local start",
            "local end",
            "time zone",
            "start (UTC)",
            "end (UTC)",
            "status",
        ],
        [
            cohort.slug,
            "'=HYPERLINK(evil)",
            "1-on-1",
            "Alice",
            "Alice's scholar",
            f"{local:%Y-%m-%d %H:%M}",
            f"{local + dt.timedelta(hours=1):%Y-%m-%d %H:%M}",
            cohort.time_zone,
            alice.meeting.starts_at.isoformat(),
            alice.meeting.ends_at.isoformat(),
            "Scheduled",
        ],
    ]


def test_staff_send_due_notifications_now(staff_client):
    past_cohort = CohortFactory(start_date=dt.date(2025, 1, 6), end_date=dt.date(2025, 3, 28))
    now = timezone.now().replace(microsecond=0)
    meeting = MeetingFactory(
        series=MeetingSeriesFactory(cohort=past_cohort), starts_at=now + dt.timedelta(minutes=10)
    )
    # Written twenty minutes ago, the 15-minute reminder has been due for five minutes.
    sync_meeting_notifications(meetings=[meeting], now=now - dt.timedelta(minutes=20))

    response = staff_client.post(reverse("admin:scheduling_notification_send_due"), follow=True)

    assert re.fullmatch(
        r"As of \S+: wrote 0 digests/escalations; claimed 1: 1 sent\.", messages_of(response)[0]
    )
    assert len(mail.outbox) == 1
    assert (
        Notification.objects.get(meeting=meeting, kind=Notification.Kind.REMINDER).status
        == Notification.Status.SENT
    )


def test_a_mentor_cannot_send_due_notifications(alice_client):
    response = alice_client.post(reverse("admin:scheduling_notification_send_due"))

    assert response.status_code == 403


def failed_during_an_outage(meeting) -> Notification:
    """A reminder of ``meeting`` that failed for good, its last attempt finding the mail server unreachable."""
    sync_meeting_notifications(meetings=[meeting])
    notification = Notification.objects.filter(meeting=meeting).first()
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.FAILED)
    DeliveryAttempt.objects.create(
        notification=notification,
        channel=notification.channel,
        recipient="a***@example.org",
        outcome=DeliveryAttempt.Outcome.UNREACHABLE,
        detail="mail server smtp.example.org:587 unreachable: TimeoutError: timed out",
    )
    return notification


def test_staff_see_on_the_dashboard_and_the_notifications_that_email_is_down(staff_client, alice: MentorRows):
    failed_during_an_outage(alice.meeting)
    banner = "Email is down since "
    reason = "mail server smtp.example.org:587 unreachable: TimeoutError: timed out."

    for page in (reverse("admin:index"), reverse("admin:scheduling_notification_changelist")):
        text = " ".join(staff_client.get(page).content.decode().split())
        assert banner in text, page
        assert reason in text, page


def test_staff_send_failed_notifications_again_while_their_meeting_is_ahead(staff_client, alice: MentorRows):
    failed = failed_during_an_outage(alice.meeting)
    sent, too_late = Notification.objects.filter(meeting=alice.meeting).exclude(pk=failed.pk)[:2]
    Notification.objects.filter(pk=sent.pk).update(status=Notification.Status.SENT)
    Notification.objects.filter(pk=too_late.pk).update(status=Notification.Status.FAILED)
    started = MeetingFactory(series=alice.meeting.series, starts_at=timezone.now() - dt.timedelta(minutes=5))
    Notification.objects.filter(pk=too_late.pk).update(meeting=started)
    # A message about no meeting, failed two days after it fell due: staff may still want it out.
    escalation = Notification.objects.create(
        kind=Notification.Kind.ESCALATION,
        dedupe_key="escalation:outage-test",
        due_at=timezone.now() - dt.timedelta(days=2),
        recipient_email="staff@example.org",
        status=Notification.Status.FAILED,
    )
    chosen = (failed, sent, too_late, escalation)

    response = run_action(
        staff_client, "admin:scheduling_notification_changelist", "send_failed_again", *chosen
    )

    assert messages_of(response) == [
        "2 failed notification(s) will be sent at the next tick. 2 left as they are: not failed, or about a "
        "meeting that has started."
    ]
    rows = Notification.objects.filter(pk__in=[row.pk for row in chosen])
    assert dict(rows.values_list("pk", "status")) == {
        failed.pk: "pending",
        sent.pk: "sent",
        too_late.pk: "failed",
        escalation.pk: "pending",
    }


def test_a_mentor_cannot_send_failed_notifications_again(alice_client, alice: MentorRows):
    failed = failed_during_an_outage(alice.meeting)

    run_action(alice_client, "admin:scheduling_notification_changelist", "send_failed_again", failed)

    failed.refresh_from_db()
    assert failed.status == Notification.Status.FAILED


def test_notifications_and_delivery_attempts_are_read_only(staff_client, alice: MentorRows):
    sync_meeting_notifications(meetings=[alice.meeting])
    notification = Notification.objects.filter(meeting=alice.meeting).first()

    add = staff_client.get(reverse("admin:scheduling_notification_add"))
    change = staff_client.post(
        reverse("admin:scheduling_notification_change", args=[notification.pk]), {"status": "sent"}
    )
    attempts = staff_client.get(reverse("admin:scheduling_deliveryattempt_add"))

    assert (add.status_code, change.status_code, attempts.status_code) == (403, 403, 403)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING


def test_staff_rotate_a_mentors_feed_link(staff_client, alice: MentorRows):
    response = run_action(staff_client, "admin:mentors_mentor_changelist", "rotate_feed_links", alice.mentor)

    token = FeedToken.objects.get(mentor=alice.mentor, revoked_at__isnull=True)
    assert messages_of(response)[0].startswith("New calendar link for Alice: <code>http")
    assert f"/feeds/{token.token_hint}" in messages_of(response)[0]


def test_a_mentor_rotates_their_own_feed_link(alice_client, alice: MentorRows):
    run_action(alice_client, "admin:mentors_mentor_changelist", "rotate_feed_links", alice.mentor)

    assert FeedToken.objects.filter(mentor=alice.mentor, revoked_at__isnull=True).count() == 1


def test_staff_cancel_the_rest_of_a_series(staff_client, alice: MentorRows):
    response = run_action(
        staff_client, "admin:scheduling_meetingseries_changelist", "cancel_rest", alice.series
    )

    assert messages_of(response) == [f"{alice.series}: 1 upcoming meetings cancelled."]
    assert Meeting.objects.get(pk=alice.meeting.pk).status == Meeting.Status.CANCELLED


def test_a_mentors_page_shows_staff_their_import_warnings(staff_client):
    mentor = MentorFactory()
    ImportWarning.objects.create(
        stream=StreamFactory(),
        mentor=mentor,
        code=ImportWarning.Code.CADENCE_UNSPECIFIED,
        message="No cadence.",
    )

    response = staff_client.get(reverse("admin:mentors_mentor_change", args=[mentor.pk]))

    assert "No cadence." in response.content.decode()
