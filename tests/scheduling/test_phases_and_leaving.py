"""Phases, mentorship dates and scholars who leave decide who meets when; re-plans keep slots and history."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from cohort.dates import WEEKDAY_NAMES
from cohort.models import Phase
from mentors.models import Availability
from scheduling.compliance import mentorship_compliance
from scheduling.models import DeliveryAttempt, Meeting, MeetingSeries, Notification, PlanRun
from scheduling.services.materialise import cohort_meetings_refresh, cohorts_meetings_refresh
from scheduling.services.planning import plan_apply, plan_cohort
from scholars.models import Scholar
from tests.factories import (
    AvailabilityFactory,
    BlackoutFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    PhaseFactory,
    ScholarFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 1, 1)
LONDON = ZoneInfo("Europe/London")
TRAINING_END = dt.date(2027, 3, 19)
RESEARCH_START = dt.date(2027, 3, 22)


def cadence(*kinds: MeetingKind) -> dict:
    demands = tuple(
        MeetingDemand(kind=kind, per_week_min=1, per_week_max=1, duration_minutes=60) for kind in kinds
    )
    return Cadence(demands=demands).to_dict()


@pytest.fixture
def cohort(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 4, 30))
    PhaseFactory(
        cohort=cohort,
        name="Training",
        kind=Phase.Kind.TRAINING,
        start_date=cohort.start_date,
        end_date=TRAINING_END,
    )
    PhaseFactory(
        cohort=cohort,
        name="Research",
        kind=Phase.Kind.RESEARCH,
        start_date=RESEARCH_START,
        end_date=cohort.end_date,
    )
    return cohort


def mentor_with_hours(*kinds: MeetingKind):
    mentor = MentorFactory(cadence=cadence(*kinds))
    for day in range(5):
        AvailabilityFactory(mentor=mentor, weekday=day, start_time=dt.time(10), end_time=dt.time(13))
    return mentor


def mentee(cohort, mentor, **fields) -> Scholar:
    mentorship_fields = {k: fields.pop(k) for k in ("start_date", "end_date") if k in fields}
    scholar = ScholarFactory(cohort=cohort, **fields)
    MentorshipFactory(mentor=mentor, scholar=scholar, **mentorship_fields)
    return scholar


def apply_plan(cohort, today: dt.date = TODAY) -> PlanRun:
    run = plan_cohort(cohort=cohort)
    assert run.status == PlanRun.Status.SOLVED, run.error
    plan_apply(plan_run=run, today=today)
    run.refresh_from_db()
    return run


def live_days(scholar: Scholar, kind: MeetingKind) -> list[dt.date]:
    meetings = Meeting.objects.filter(series__scholars=scholar, series__kind=kind).exclude(
        status=Meeting.Status.CANCELLED
    )
    return sorted(m.starts_at.astimezone(LONDON).date() for m in meetings)


def slots() -> set[tuple[str, int, dt.time]]:
    return set(MeetingSeries.objects.values_list("demand_key", "weekday", "start_time"))


def test_a_scholar_in_training_meets_only_during_the_training_phase(cohort):
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE)
    trainee = mentee(cohort, mentor, status=Scholar.Status.TRAINING)
    researcher = mentee(cohort, mentor, status=Scholar.Status.RESEARCH)

    apply_plan(cohort)

    trainee_days = live_days(trainee, MeetingKind.ONE_ON_ONE)
    assert len(trainee_days) == 3
    assert max(trainee_days) <= TRAINING_END
    assert max(live_days(researcher, MeetingKind.ONE_ON_ONE)) > RESEARCH_START


def test_a_meeting_kind_left_out_of_the_training_phase_starts_with_research(cohort):
    Phase.objects.filter(kind=Phase.Kind.TRAINING).update(meeting_kinds=[MeetingKind.ONE_ON_ONE])
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE, MeetingKind.GROUP)
    scholar = mentee(cohort, mentor)

    apply_plan(cohort)

    assert min(live_days(scholar, MeetingKind.GROUP)) >= RESEARCH_START
    assert min(live_days(scholar, MeetingKind.ONE_ON_ONE)) < RESEARCH_START


def test_a_mentorships_dates_bound_its_meetings(cohort):
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE)
    scholar = mentee(cohort, mentor, start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 4, 2))

    apply_plan(cohort)

    days = live_days(scholar, MeetingKind.ONE_ON_ONE)
    assert len(days) == 3
    assert min(days) >= dt.date(2027, 3, 15)
    assert max(days) <= dt.date(2027, 4, 2)


def test_a_one_on_one_ends_on_the_scholars_leaving_date(cohort):
    scholar = mentee(cohort, mentor_with_hours(MeetingKind.ONE_ON_ONE), left_on=dt.date(2027, 3, 12))

    apply_plan(cohort)

    days = live_days(scholar, MeetingKind.ONE_ON_ONE)
    assert len(days) == 2
    assert max(days) <= dt.date(2027, 3, 12)


def test_a_leaver_drops_out_of_the_group_meeting_which_goes_on_in_the_same_slot(cohort):
    mentor = mentor_with_hours(MeetingKind.GROUP)
    stays = mentee(cohort, mentor)
    leaves = mentee(cohort, mentor, left_on=dt.date(2027, 3, 26))

    apply_plan(cohort)

    assert len(live_days(stays, MeetingKind.GROUP)) == 9
    assert max(live_days(leaves, MeetingKind.GROUP)) <= dt.date(2027, 3, 26)
    group = MeetingSeries.objects.filter(kind=MeetingKind.GROUP)
    assert len({(s.weekday, s.start_time) for s in group}) == 1
    assert [set(s.scholars.all()) for s in group.order_by("starts_on")] == [{stays, leaves}, {stays}]


def group_series() -> MeetingSeries:
    [series] = MeetingSeries.objects.filter(kind=MeetingKind.GROUP)
    return series


def pending_reminder_meetings(scholar: Scholar) -> set[int]:
    return set(
        Notification.objects.filter(
            recipient_scholar=scholar, kind=Notification.Kind.REMINDER, status=Notification.Status.PENDING
        ).values_list("meeting_id", flat=True)
    )


def live_meetings(series: MeetingSeries) -> set[int]:
    return set(series.meetings.exclude(status=Meeting.Status.CANCELLED).values_list("pk", flat=True))


def test_a_scholar_joining_the_group_keeps_its_series_and_uid_and_joins_its_reminders(cohort):
    mentor = mentor_with_hours(MeetingKind.GROUP)
    first = mentee(cohort, mentor)
    apply_plan(cohort)
    before = group_series()

    joiner = mentee(cohort, mentor)
    cohorts_meetings_refresh(cohorts=joiner.calendar_cohorts())

    after = group_series()
    assert (after.pk, after.uid, after.status) == (before.pk, before.uid, MeetingSeries.Status.ACTIVE)
    assert set(after.scholars.all()) == {first, joiner}
    assert after.version == before.version + 1
    assert live_meetings(after) == live_meetings(before)
    assert pending_reminder_meetings(joiner) == live_meetings(after)


def test_a_scholar_leaving_the_group_keeps_its_series_and_uid_and_drops_their_reminders(cohort):
    mentor = mentor_with_hours(MeetingKind.GROUP)
    stays = mentee(cohort, mentor)
    leaves = mentee(cohort, mentor)
    apply_plan(cohort)
    before = group_series()
    assert pending_reminder_meetings(leaves) == live_meetings(before)

    leaves.mentorships.get().delete()
    cohorts_meetings_refresh(cohorts=leaves.calendar_cohorts())

    after = group_series()
    assert (after.pk, after.uid, after.status) == (before.pk, before.uid, MeetingSeries.Status.ACTIVE)
    assert set(after.scholars.all()) == {stays}
    assert after.version == before.version + 1
    assert live_meetings(after) == live_meetings(before)
    assert pending_reminder_meetings(leaves) == set()
    assert pending_reminder_meetings(stays) == live_meetings(after)


def test_a_team_member_added_later_keeps_the_team_series_and_uid(cohort):
    mentor = mentor_with_hours(MeetingKind.TEAM)
    team = TeamFactory(cohort=cohort, mentor=mentor)
    team.members.set([mentee(cohort, mentor), mentee(cohort, mentor)])
    apply_plan(cohort)
    [before] = MeetingSeries.objects.filter(kind=MeetingKind.TEAM)

    newcomer = mentee(cohort, mentor)
    team.members.add(newcomer)
    cohort_meetings_refresh(cohort=cohort, today=TODAY)

    [after] = MeetingSeries.objects.filter(kind=MeetingKind.TEAM)
    assert (after.pk, after.uid) == (before.pk, before.uid)
    assert newcomer in after.scholars.all()
    assert after.scholars.count() == 3


def test_setting_a_leaving_date_and_re_planning_cancels_their_future_meetings_in_place(cohort):
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE, MeetingKind.GROUP)
    stays = mentee(cohort, mentor)
    leaves = mentee(cohort, mentor)
    apply_plan(cohort)
    before = slots()
    one_on_one = MeetingSeries.objects.get(kind=MeetingKind.ONE_ON_ONE, scholars=leaves)
    kept_reminders = Notification.objects.filter(
        recipient_scholar=stays, kind=Notification.Kind.REMINDER, status=Notification.Status.PENDING
    ).count()

    Scholar.objects.filter(pk=leaves.pk).update(left_on=dt.date(2027, 3, 26))
    run = apply_plan(cohort)

    assert slots() == before
    assert run.diff["moved"] == run.diff["removed"] == run.diff["added"] == []
    assert max(live_days(leaves, MeetingKind.ONE_ON_ONE)) <= dt.date(2027, 3, 26)
    assert max(live_days(leaves, MeetingKind.GROUP)) <= dt.date(2027, 3, 26)
    assert one_on_one.meetings.filter(status=Meeting.Status.CANCELLED).count() == 5
    # The group's later meetings moved to a series without the leaver, so the scholar who stays keeps every
    # reminder and is told of no change.
    assert len(live_days(stays, MeetingKind.GROUP)) == 9
    assert (
        Notification.objects.filter(
            recipient_scholar=stays, kind=Notification.Kind.REMINDER, status=Notification.Status.PENDING
        ).count()
        == kept_reminders
    )
    assert not Notification.objects.filter(
        recipient_scholar=leaves,
        status=Notification.Status.PENDING,
        meeting__starts_at__gt=dt.datetime(2027, 3, 27, tzinfo=LONDON),
    ).exists()


def test_a_scholars_blackout_does_not_cancel_the_group_meeting_but_the_mentors_does(cohort):
    mentor = mentor_with_hours(MeetingKind.GROUP)
    away = mentee(cohort, mentor)
    mentee(cohort, mentor)
    BlackoutFactory(mentor=None, scholar=away, start_date=dt.date(2027, 3, 8), end_date=dt.date(2027, 3, 12))
    BlackoutFactory(mentor=mentor, start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 3, 19))

    apply_plan(cohort)

    days = live_days(away, MeetingKind.GROUP)
    assert any(dt.date(2027, 3, 8) <= d <= dt.date(2027, 3, 12) for d in days)
    assert not any(dt.date(2027, 3, 15) <= d <= dt.date(2027, 3, 19) for d in days)


def test_a_blackout_added_later_cancels_the_meetings_it_covers_without_a_re_plan(cohort):
    scholar = mentee(cohort, mentor_with_hours(MeetingKind.ONE_ON_ONE))
    apply_plan(cohort)
    before = slots()

    BlackoutFactory(
        mentor=None, scholar=scholar, start_date=dt.date(2027, 3, 8), end_date=dt.date(2027, 3, 12)
    )
    changed = cohort_meetings_refresh(cohort=cohort, today=TODAY)

    assert [m.status for m in changed] == [Meeting.Status.CANCELLED]
    assert not any(dt.date(2027, 3, 8) <= d <= dt.date(2027, 3, 12) for d in live_days(scholar, "one_on_one"))
    assert slots() == before


def test_a_removed_series_cancels_its_meetings_and_keeps_their_delivery_log(cohort):
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE)
    mentee(cohort, mentor)
    withdrawn = mentee(cohort, mentor)
    apply_plan(cohort)
    series = MeetingSeries.objects.get(scholars=withdrawn)
    reminder = Notification.objects.filter(meeting__series=series).first()
    DeliveryAttempt.objects.create(
        notification=reminder, channel="email", recipient=withdrawn.email, outcome="sent"
    )

    Scholar.objects.filter(pk=withdrawn.pk).update(status=Scholar.Status.WITHDRAWN)
    run = apply_plan(cohort)

    [removed] = run.diff["removed"]
    assert removed.startswith(f"{series.title}: ")
    assert removed.endswith(f", {series.time_zone}")
    series.refresh_from_db()
    assert series.status == MeetingSeries.Status.ENDED
    assert set(series.meetings.values_list("status", flat=True)) == {Meeting.Status.CANCELLED}
    assert DeliveryAttempt.objects.filter(notification=reminder).exists()
    assert not Notification.objects.filter(
        meeting__series=series, status=Notification.Status.PENDING
    ).exists()


def test_a_slot_that_no_longer_fits_shows_as_moved_and_moves_on_apply(cohort):
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE)
    mentee(cohort, mentor)
    apply_plan(cohort)
    old = MeetingSeries.objects.get()
    Availability.objects.filter(mentor=mentor, weekday=old.weekday).delete()

    run = apply_plan(cohort)

    new = MeetingSeries.objects.get(status=MeetingSeries.Status.ACTIVE)
    assert new.weekday != old.weekday
    # In people's names and the series' zone, never the demand's internal key.
    assert run.diff["moved"] == [
        f"{old.title}: {WEEKDAY_NAMES[old.weekday]} {old.start_time:%H:%M} → "
        f"{WEEKDAY_NAMES[new.weekday]} {new.start_time:%H:%M}, {old.time_zone}"
    ]
    old.refresh_from_db()
    assert old.status == MeetingSeries.Status.ENDED
    assert set(old.meetings.values_list("status", flat=True)) == {Meeting.Status.CANCELLED}


def test_adding_a_scholar_to_a_planned_cohort_keeps_every_existing_series_where_it_was(cohort):
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE, MeetingKind.GROUP)
    other = mentor_with_hours(MeetingKind.ONE_ON_ONE)
    for _ in range(2):
        mentee(cohort, mentor)
        mentee(cohort, other)
    apply_plan(cohort)
    before = slots()

    mentee(cohort, mentor)
    run = apply_plan(cohort)

    assert before < slots()
    assert len(slots() - before) == 1
    assert run.diff["moved"] == run.diff["removed"] == []
    assert len(run.diff["unchanged"]) == len(before)


def test_compliance_counts_group_meetings_from_the_mentorships_start(cohort):
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE, MeetingKind.GROUP)
    scholar = mentee(cohort, mentor, start_date=dt.date(2027, 3, 8))
    apply_plan(cohort)
    as_of = dt.datetime(2027, 3, 20, 12, tzinfo=dt.UTC)
    Meeting.objects.filter(series__scholars=scholar, starts_at__lte=as_of).update(status=Meeting.Status.HELD)

    [row] = mentorship_compliance(cohort=cohort, as_of=as_of)

    assert (row.held, row.expected, row.weeks_elapsed, row.behind) == (4, 4, 2, False)


def test_compliance_asks_a_trainee_for_no_meetings_in_the_research_phase(cohort):
    scholar = mentee(cohort, mentor_with_hours(MeetingKind.ONE_ON_ONE), status=Scholar.Status.TRAINING)
    apply_plan(cohort)
    as_of = dt.datetime(2027, 4, 16, 18, tzinfo=dt.UTC)
    Meeting.objects.filter(series__scholars=scholar, starts_at__lte=as_of).update(status=Meeting.Status.HELD)

    [row] = mentorship_compliance(cohort=cohort, as_of=as_of)

    # Training runs three weeks (1-19 March); the four research weeks since ask nothing of a trainee.
    assert (row.held, row.expected, row.weeks_elapsed, row.behind) == (3, 3, 3, False)


def test_compliance_asks_for_no_group_meetings_in_a_phase_that_holds_none(cohort):
    training = Phase.objects.get(kind=Phase.Kind.TRAINING)
    training.meeting_kinds = [MeetingKind.ONE_ON_ONE.value]
    training.save()
    mentor = mentor_with_hours(MeetingKind.ONE_ON_ONE, MeetingKind.GROUP)
    mentee(cohort, mentor)
    apply_plan(cohort)

    [row] = mentorship_compliance(cohort=cohort, as_of=dt.datetime(2027, 3, 19, 18, tzinfo=dt.UTC))

    assert (row.expected, row.weeks_elapsed) == (3, 3)


def test_a_phase_naming_an_unknown_meeting_kind_is_invalid(cohort):
    phase = Phase.objects.get(kind=Phase.Kind.TRAINING)
    phase.meeting_kinds = ["one_on_one", "lecture"]

    with pytest.raises(ValidationError) as error:
        phase.full_clean()

    assert "Unknown meeting kind 'lecture'" in error.value.message_dict["meeting_kinds"][0]
