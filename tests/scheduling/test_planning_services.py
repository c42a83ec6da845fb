"""Planning a cohort end to end through the services: problem, solve, apply, materialise, edit."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from scheduling.compliance import mentorship_compliance
from scheduling.models import HealthFinding, Meeting, MeetingSeries, Notification, PlanRun
from scheduling.recurrence import DateRange, DateRanges, rrule_string
from scheduling.services.cohort_dates import CohortDates
from scheduling.services.health import running_cohorts_health_sync
from scheduling.services.materialise import cohort_meetings_refresh
from scheduling.services.meeting_edits import meeting_cancel, meeting_mark, meeting_move
from scheduling.services.planning import (
    PLAN_RUN_ENQUEUE_GRACE,
    PlanNotApplicable,
    plan_apply,
    plan_cohort,
    plan_run_execute,
    plan_runs_recover,
)
from tests.factories import (
    AvailabilityFactory,
    BlackoutFactory,
    BreakFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 1, 1)


def weekly(per_week: float = 1, kind: MeetingKind = MeetingKind.ONE_ON_ONE) -> dict:
    demand = MeetingDemand(kind=kind, per_week_min=per_week, per_week_max=per_week, duration_minutes=60)
    return Cadence(demands=(demand,)).to_dict()


@pytest.fixture
def cohort(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    # Spans the London clock change on 28 March 2027.
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 4, 30))
    BreakFactory(cohort=cohort, start_date=dt.date(2027, 4, 5), end_date=dt.date(2027, 4, 9))
    return cohort


def mentor_with_hours(**fields):
    mentor = MentorFactory(**fields)
    for day in range(5):
        AvailabilityFactory(mentor=mentor, weekday=day, start_time=dt.time(10), end_time=dt.time(12))
    return mentor


def mentee(cohort, mentor, **fields):
    scholar = ScholarFactory(cohort=cohort, **fields)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    return scholar


def apply_plan(cohort) -> PlanRun:
    run = plan_cohort(cohort=cohort)
    assert run.status == PlanRun.Status.SOLVED, run.error
    plan_apply(plan_run=run, today=TODAY)
    return run


def test_planning_places_every_demand_and_books_nobody_twice(cohort):
    mentor = mentor_with_hours(cadence=weekly(2))
    co_mentor = mentor_with_hours(cadence=weekly(1))
    shared = mentee(cohort, mentor)
    MentorshipFactory(mentor=co_mentor, scholar=shared, role="co_mentor")
    mentee(cohort, mentor)

    run = apply_plan(cohort)

    assert run.result["placed"] == run.result["demanded"] == 5
    assert run.result["unplaced"] == []
    meetings = list(Meeting.objects.filter(series__scholars=shared).order_by("starts_at"))
    for first, second in itertools.pairwise(meetings):
        assert first.ends_at <= second.starts_at


def test_meetings_skip_breaks_and_blackouts_and_keep_london_wall_clock(cohort):
    mentor = mentor_with_hours(cadence=weekly(1))
    BlackoutFactory(mentor=mentor, start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 3, 19))
    mentee(cohort, mentor)

    apply_plan(cohort)

    series = MeetingSeries.objects.get()
    local = [
        m.starts_at.astimezone(dt.timezone(dt.timedelta(0))) for m in series.meetings.order_by("starts_at")
    ]
    days = [m.starts_at.date() for m in series.meetings.all()]
    assert not any(dt.date(2027, 4, 5) <= d <= dt.date(2027, 4, 9) for d in days)
    assert not any(dt.date(2027, 3, 15) <= d <= dt.date(2027, 3, 19) for d in days)
    # The same London wall-clock time is an hour earlier in UTC once summer time starts.
    winter = {t.hour for t in local if t.date() < dt.date(2027, 3, 28)}
    summer = {t.hour for t in local if t.date() > dt.date(2027, 3, 28)}
    assert winter == {series.start_time.hour}
    assert summer == {series.start_time.hour - 1}


def test_a_stored_blackout_over_every_date_is_one_range_and_cancels_every_meeting(cohort):
    mentor = mentor_with_hours(cadence=weekly(1))
    mentee(cohort, mentor)
    apply_plan(cohort)
    # Written before blackouts were bounded (the factory skips validation): it must still cost one range.
    BlackoutFactory(mentor=mentor, start_date=dt.date.min, end_date=dt.date.max)

    dates = CohortDates.load(cohort)
    cohort_meetings_refresh(cohort=cohort, today=TODAY)

    assert dates.away == {("mentor", mentor.pk): DateRanges((DateRange(dt.date.min, dt.date.max),))}
    assert set(Meeting.objects.values_list("status", flat=True)) == {Meeting.Status.CANCELLED}


def test_adding_a_scholar_keeps_every_published_series(cohort):
    mentor = mentor_with_hours(cadence=weekly(1))
    mentee(cohort, mentor)
    mentee(cohort, mentor)
    apply_plan(cohort)
    before = set(MeetingSeries.objects.values_list("uid", "weekday", "start_time", "version"))

    mentee(cohort, mentor)
    run = apply_plan(cohort)

    after = set(MeetingSeries.objects.values_list("uid", "weekday", "start_time", "version"))
    assert before < after
    assert len(after - before) == 1
    assert len(run.diff["unchanged"]) == 2
    assert len(run.diff["added"]) == 1


def test_a_series_stores_the_rule_its_feeds_write(cohort):
    mentor = mentor_with_hours(cadence=weekly(0.5))
    mentee(cohort, mentor)

    apply_plan(cohort)

    series = MeetingSeries.objects.get()
    assert series.interval_weeks == 2
    assert series.rrule == rrule_string(series.weekly_rule(), until_utc=None)
    assert "WKST=MO" in series.rrule


def test_impossible_demand_comes_back_with_its_reason(cohort):
    mentor = mentor_with_hours(cadence=weekly(1))
    mentee(cohort, mentor, time_zone="Asia/Tokyo")

    run = plan_cohort(cohort=cohort)

    [unplaced] = run.result["unplaced"]
    assert "share no available hour" in unplaced["reason"]
    assert run.result["placed"] == 0


def test_mentor_without_cadence_or_default_is_reported(cohort):
    mentor = mentor_with_hours()
    mentee(cohort, mentor)

    run = plan_cohort(cohort=cohort)

    [item] = run.result["unschedulable"]
    assert item["reason"] == (
        f"{mentor.name}'s cadence is unspecified and the cohort has no default cadence: set one in the admin."
    )


def test_cohort_default_cadence_applies_to_an_unspecified_mentor(cohort):
    cohort.default_cadence = weekly(1)
    cohort.save()
    mentor = mentor_with_hours()
    mentee(cohort, mentor)

    run = plan_cohort(cohort=cohort)

    assert run.result["cadence_used"] == {mentor.slug: "1-on-1, weekly, 60 min (cohort default)"}
    assert run.result["placed"] == 1


def test_a_pending_run_whose_enqueue_was_lost_is_queued_again_and_a_fresh_one_is_not(cohort):
    now = timezone.now()
    lost = PlanRun.objects.create(cohort=cohort)
    PlanRun.objects.filter(pk=lost.pk).update(
        created_at=now - PLAN_RUN_ENQUEUE_GRACE - dt.timedelta(seconds=1)
    )
    PlanRun.objects.create(cohort=cohort)

    assert plan_runs_recover(now=now).requeue == [lost.pk]


def test_a_run_whose_worker_stopped_long_ago_fails_with_a_reason(cohort, settings):
    now = timezone.now()
    stuck = PlanRun.objects.create(cohort=cohort, status=PlanRun.Status.RUNNING)
    long_ago = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - PLAN_RUN_ENQUEUE_GRACE
    PlanRun.objects.filter(pk=stuck.pk).update(updated_at=long_ago - dt.timedelta(seconds=1))
    working = PlanRun.objects.create(cohort=cohort, status=PlanRun.Status.RUNNING)

    assert plan_runs_recover(now=now).failed == 1
    stuck.refresh_from_db()
    working.refresh_from_db()
    assert (stuck.status, stuck.error) == (
        PlanRun.Status.FAILED,
        "The worker stopped before the plan was solved; plan the cohort again.",
    )
    assert working.status == PlanRun.Status.RUNNING


def test_a_pending_run_enqueued_twice_is_solved_once(cohort):
    mentee(cohort, mentor_with_hours(cadence=weekly(1)))
    run = PlanRun.objects.create(cohort=cohort)

    first = plan_run_execute(plan_run_id=run.pk)
    second = plan_run_execute(plan_run_id=run.pk)

    assert first.status == second.status == PlanRun.Status.SOLVED
    assert second.finished_at == first.finished_at


def test_an_applied_plan_cannot_be_applied_again(cohort):
    mentee(cohort, mentor_with_hours(cadence=weekly(1)))
    run = apply_plan(cohort)

    with pytest.raises(PlanNotApplicable, match="not a solved preview"):
        plan_apply(plan_run=run, today=TODAY)


def test_applying_writes_reminders_for_the_meetings(cohort):
    scholar = mentee(cohort, mentor_with_hours(cadence=weekly(1)))

    apply_plan(cohort)

    meetings = Meeting.objects.count()
    reminders = Notification.objects.filter(kind=Notification.Kind.REMINDER, recipient_scholar=scholar)
    assert reminders.count() == meetings * len(scholar.reminder_offsets_minutes)


@pytest.fixture
def planned_meeting(cohort):
    mentee(cohort, mentor_with_hours(cadence=weekly(1)))
    apply_plan(cohort)
    return Meeting.objects.order_by("starts_at").last()


def test_moving_a_meeting_bumps_its_version_and_supersedes_old_reminders(planned_meeting):
    new_start = planned_meeting.starts_at + dt.timedelta(days=1)

    moved = meeting_move(meeting=planned_meeting, starts_at=new_start)

    assert (moved.status, moved.version, moved.starts_at) == ("moved", 2, new_start)
    old = Notification.objects.filter(meeting=moved, meeting_version=1, kind=Notification.Kind.REMINDER)
    assert set(old.values_list("status", flat=True)) == {"superseded"}


def test_moving_onto_another_meeting_of_an_attendee_is_refused(planned_meeting):
    other = Meeting.objects.exclude(pk=planned_meeting.pk).order_by("starts_at").last()

    with pytest.raises(ValidationError) as error:
        meeting_move(meeting=planned_meeting, starts_at=other.starts_at)

    assert "That time overlaps" in error.value.message_dict["starts_at"][0]


def test_cancelling_a_meeting_bumps_its_version(planned_meeting):
    cancelled = meeting_cancel(meeting=planned_meeting)

    assert (cancelled.status, cancelled.version) == ("cancelled", 2)


def test_a_future_meeting_cannot_be_marked_held(planned_meeting):
    with pytest.raises(ValidationError) as error:
        meeting_mark(meeting=planned_meeting, status="held")

    assert error.value.message_dict["status"] == [
        "A meeting can be marked held or missed only once it has started."
    ]


def test_compliance_counts_held_meetings_against_the_cadence_and_a_missed_one_puts_it_behind(cohort):
    scholar = mentee(cohort, mentor_with_hours(cadence=weekly(1)))
    apply_plan(cohort)
    first, second, third = Meeting.objects.order_by("starts_at")[:3]
    Meeting.objects.filter(pk__in=[first.pk, second.pk]).update(status="held")
    Meeting.objects.filter(pk=third.pk).update(status="missed")
    as_of = dt.datetime(2027, 3, 20, 12, tzinfo=dt.UTC)

    [row] = mentorship_compliance(cohort=cohort, as_of=as_of)

    assert (row.scholar, row.held, row.unmarked, row.expected, row.behind) == (scholar.name, 2, 0, 3, True)


def test_compliance_takes_past_meetings_nobody_marked_as_having_taken_place(cohort):
    mentee(cohort, mentor_with_hours(cadence=weekly(1)))
    apply_plan(cohort)
    first = Meeting.objects.order_by("starts_at").first()
    Meeting.objects.filter(pk=first.pk).update(status="held")
    as_of = dt.datetime(2027, 3, 20, 12, tzinfo=dt.UTC)

    [row] = mentorship_compliance(cohort=cohort, as_of=as_of)

    assert (row.held, row.unmarked, row.expected, row.behind) == (1, 2, 3, False)


def test_plan_command_prints_the_summary_and_applies(cohort, capsys):
    mentor = mentor_with_hours(cadence=weekly(1))
    mentee(cohort, mentor)

    call_command("plan", cohort.slug, "--apply")

    out = capsys.readouterr().out
    assert f"{mentor.name}: 1 placed, wanted 1–1" in out
    assert "applied" in out
    assert MeetingSeries.objects.count() == 1


def test_staff_hear_once_about_a_mentorship_behind_its_cadence(cohort, settings):
    settings.STAFF_ALERT_EMAILS = ["ops@example.org"]
    behind = mentee(cohort, mentor_with_hours(cadence=weekly(1)))
    mentee(cohort, mentor_with_hours(cadence=weekly(1)))  # meets, unmarked: on track
    apply_plan(cohort)
    Meeting.objects.filter(
        series__scholars=behind, starts_at__lt=dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
    ).update(status="missed")
    as_of = dt.datetime(2027, 3, 20, 12, tzinfo=dt.UTC)

    running_cohorts_health_sync(as_of=as_of)
    running_cohorts_health_sync(as_of=as_of + dt.timedelta(days=1))

    [finding] = HealthFinding.objects.filter(rule="behind_cadence")
    assert finding.scholar == behind
    to_staff = Notification.objects.filter(
        kind=Notification.Kind.HEALTH_FINDING, payload__finding_id=finding.pk
    )
    assert [n.recipient_email for n in to_staff.exclude(recipient_email="")] == ["ops@example.org"]
