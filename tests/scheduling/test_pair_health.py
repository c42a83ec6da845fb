"""Pair health through the real services: a cohort driven through weeks of held, missed and cancelled meetings
and unanswered check-ins, its findings opened once, told once (mailed by the real send path), and resolved when
the data recovers."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from cohort.models import AuditEntry
from scheduling.models import HealthFinding, Meeting, Notification
from scheduling.services.health import (
    cohort_health_sync,
    finding_acknowledge,
    finding_resolve,
    running_cohorts_health_sync,
)
from scheduling.services.meeting_edits import meeting_cancel
from scholars.models import Mentorship
from tests.factories import (
    CheckInFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)
from tests.meeting_rows import weekly_series_with_meetings

pytestmark = pytest.mark.django_db

UTC = dt.UTC
Kind = Notification.Kind
Status = HealthFinding.Status


def weekly_one_on_ones() -> dict:
    demand = MeetingDemand(kind=MeetingKind.ONE_ON_ONE, per_week_min=1, per_week_max=1, duration_minutes=60)
    return Cadence(demands=(demand,)).to_dict()


def monday(week: int) -> dt.datetime:
    """09:00 UTC on the Monday of the cohort's ``week`` (1 is the week of 4 January 2027)."""
    return dt.datetime(2027, 1, 4, 9, tzinfo=UTC) + dt.timedelta(weeks=week - 1)


@pytest.fixture
def cohort(settings):
    settings.STAFF_ALERT_EMAILS = ["staff@cohortops.test"]
    return CohortFactory()  # 4 January to 26 March 2027, Europe/London


def pair(cohort, mentor_name, scholar_name, *, mentor_user=None):
    """A mentor with weekly 1-on-1s and their scholar, meeting on Mondays at 10:00 all cohort long."""
    mentor = MentorFactory(name=mentor_name, cadence=weekly_one_on_ones(), user=mentor_user)
    scholar = ScholarFactory(name=scholar_name, cohort=cohort)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    weekly_series_with_meetings(cohort=cohort, mentor=mentor, scholars=[scholar])
    return mentor, scholar


def mark(scholar, status, *, weeks):
    for week in weeks:
        Meeting.objects.filter(series__scholars=scholar, starts_at__date=monday(week).date()).update(
            status=status
        )


def live(cohort):
    return {(f.rule, f.subject) for f in HealthFinding.objects.filter(cohort=cohort, cleared_at=None)}


def fast_forward(instant: dt.datetime) -> list:
    """The periodic pass and the sends, as the worker does them at ``instant``: the pair health mails sent (the
    pass also asks for feedback on the meetings just over)."""
    already = len(mail.outbox)
    call_command("send_due_notifications", "--as-of", instant.isoformat(), stdout=io.StringIO())
    return [m for m in mail.outbox[already:] if not m.subject.startswith("How was it? ")]


def test_a_pair_below_its_cadence_two_weeks_running_is_found_once_told_once_and_resolves_when_it_meets(
    cohort,
):
    pair(cohort, "Ada", "Ben")
    cas, dee = pair(cohort, "Cas", "Dee")
    mark(dee, Meeting.Status.HELD, weeks=[1])
    mark(dee, Meeting.Status.MISSED, weeks=[2, 3])

    assert fast_forward(monday(3)) == []  # one short week so far
    sent = fast_forward(monday(4))
    again = fast_forward(monday(4) + dt.timedelta(minutes=15))

    [finding] = HealthFinding.objects.all()
    assert (finding.rule, finding.subject, finding.mentor, finding.scholar, finding.status) == (
        "behind_cadence",
        f"mentorship={dee.mentorships.get().pk}",
        cas,
        dee,
        Status.OPEN,
    )
    assert sorted(m.to[0] for m in sent) == sorted(["staff@cohortops.test", cas.email])
    assert {m.subject for m in sent} == {"Below the cadence: Cas and Dee"}
    assert again == []

    # Week 4's meeting is held: the last two weeks are no longer both short.
    mark(dee, Meeting.Status.HELD, weeks=[4])
    assert fast_forward(monday(5)) == []
    finding.refresh_from_db()
    assert (finding.status, finding.resolved_by, finding.cleared_at) == (Status.RESOLVED, None, monday(5))
    assert finding.resolution_note.startswith("Resolved by itself")

    # Trouble again later is a new finding, told again.
    mark(dee, Meeting.Status.MISSED, weeks=[5, 6])
    sent = fast_forward(monday(7))
    assert HealthFinding.objects.filter(cleared_at=None).count() == 1
    assert len(sent) == 2


def test_every_other_week_is_judged_over_two_weeks(cohort):
    demand = MeetingDemand(
        kind=MeetingKind.ONE_ON_ONE, per_week_min=0.5, per_week_max=0.5, duration_minutes=60
    )
    ada, ben = pair(cohort, "Ada", "Ben")
    ada.cadence = Cadence(demands=(demand,)).to_dict()
    ada.save()
    # They meet in weeks 1 and 3 (the others taken by the calendar): on their rhythm.
    for week in (2, 4, 5, 6):
        Meeting.objects.filter(series__scholars=ben, starts_at__date=monday(week).date()).update(
            status=Meeting.Status.CANCELLED, cancelled_by_calendar=True
        )
    cohort_health_sync(cohort=cohort, as_of=monday(5))
    assert live(cohort) == set()

    # Weeks 4 to 6 without one: the two-week periods ending in weeks 5 and 6 are both short.
    cohort_health_sync(cohort=cohort, as_of=monday(7))
    assert live(cohort) == {("behind_cadence", f"mentorship={ben.mentorships.get().pk}")}


def test_meetings_nobody_marked_count_as_held(cohort):
    pair(cohort, "Ada", "Ben")

    cohort_health_sync(cohort=cohort, as_of=monday(6))

    assert live(cohort) == set()


def test_no_first_meeting_within_the_cohorts_days_then_the_first_meeting_resolves_it(cohort):
    _, ben = pair(cohort, "Ada", "Ben")
    mark(ben, Meeting.Status.CANCELLED, weeks=[1, 2])
    subject = f"mentorship={ben.mentorships.get().pk}"

    cohort_health_sync(cohort=cohort, as_of=monday(3) - dt.timedelta(hours=10))  # day 13, week 2 not over
    assert live(cohort) == set()

    cohort_health_sync(cohort=cohort, as_of=monday(3))  # day 14
    assert live(cohort) == {("behind_cadence", subject), ("no_first_meeting", subject)}

    # Week 3's meeting (Monday 10:00) is over and nobody marked it: they met.
    cohort_health_sync(cohort=cohort, as_of=monday(3) + dt.timedelta(hours=3))
    assert live(cohort) == {("behind_cadence", subject)}


def test_each_threshold_is_the_cohorts_own_and_0_turns_a_rule_off(cohort):
    _, ben = pair(cohort, "Ada", "Ben")
    mark(ben, Meeting.Status.MISSED, weeks=[1, 2, 3])
    cohort.health_first_meeting_days = 0
    cohort.health_behind_weeks = 3
    cohort.save()

    cohort_health_sync(cohort=cohort, as_of=monday(4) - dt.timedelta(hours=10))
    assert live(cohort) == set()  # Sunday evening: two weeks complete, the third not yet

    cohort_health_sync(cohort=cohort, as_of=monday(4))
    assert [rule for rule, _ in live(cohort)] == ["behind_cadence"]


def prompt_sent(scholar, week: int):
    start = monday(week).date()
    Notification.objects.create(
        kind=Kind.CHECKIN_PROMPT,
        dedupe_key=f"checkin_prompt:scholar={scholar.pk}:week={start.isoformat()}:email",
        due_at=monday(week),
        status=Notification.Status.SENT,
        recipient_scholar=scholar,
        payload={"week_start": start.isoformat()},
    )


def test_two_unanswered_prompts_are_a_finding_until_the_scholar_answers_again(cohort):
    ada, ben = pair(cohort, "Ada", "Ben")
    for week in (1, 2, 3):
        prompt_sent(ben, week)
    CheckInFactory(scholar=ben, week_start=monday(1).date())

    # Week 3 is still open on its Sunday evening: not missed yet.
    cohort_health_sync(cohort=cohort, as_of=monday(4) - dt.timedelta(hours=10))
    assert live(cohort) == set()

    sent = fast_forward(monday(4))
    [finding] = HealthFinding.objects.filter(rule="missed_check_ins")
    assert (finding.subject, finding.mentor, finding.details) == (
        f"scholar={ben.pk}",
        ada,
        {"weeks": ["2027-01-11", "2027-01-18"]},
    )
    assert sorted(m.to[0] for m in sent) == sorted(["staff@cohortops.test", ada.email])
    assert (
        "Ben wrote no check-in for their last 2 prompted weeks (weeks of 11 Jan and 18 Jan)." in sent[0].body
    )

    prompt_sent(ben, 4)
    CheckInFactory(scholar=ben, week_start=monday(4).date())
    cohort_health_sync(cohort=cohort, as_of=monday(5))
    finding.refresh_from_db()
    assert finding.status == Status.RESOLVED


def test_a_mentor_who_cancels_more_than_the_cohort_allows_is_told_to_staff_only(cohort):
    ada_login = UserFactory()
    ada, ben = pair(cohort, "Ada", "Ben", mentor_user=ada_login)
    staff = UserFactory(is_staff=True)
    meetings = list(Meeting.objects.filter(series__scholars=ben).order_by("starts_at"))
    # Weeks 1 to 5 are over when the pass runs (Monday of week 6); staff's cancellation is no one's choice.
    meeting_cancel(meeting=meetings[0], by=staff)
    for meeting in meetings[1:3]:
        meeting_cancel(meeting=meeting, by=ada_login)
    cohort_health_sync(cohort=cohort, as_of=monday(6))
    assert not HealthFinding.objects.filter(rule="cancellations").exists()  # 2 of the last 6: not more than 2

    # A third, of a meeting not yet held, counts as soon as it is made.
    meeting_cancel(meeting=meetings[8], by=ada_login)
    sync = cohort_health_sync(cohort=cohort, as_of=monday(6))

    [finding] = HealthFinding.objects.filter(rule="cancellations")
    assert (finding.subject, finding.summary) == (
        f"mentor={ada.pk}",
        "Ada cancelled 3 of their last 6 meetings.",
    )
    assert sync.notices.created == 1
    assert list(
        Notification.objects.filter(kind=Kind.HEALTH_FINDING).values_list(
            "recipient_email", "recipient_mentor"
        )
    ) == [("staff@cohortops.test", None)]
    assert Meeting.objects.get(pk=meetings[1].pk).cancelled_by == ada_login


def test_a_mentor_in_two_cohorts_has_a_finding_in_each(cohort):
    ada_login = UserFactory()
    ada, ben = pair(cohort, "Ada", "Ben", mentor_user=ada_login)
    other = CohortFactory()
    dee = ScholarFactory(name="Dee", cohort=other)
    MentorshipFactory(mentor=ada, scholar=dee)
    weekly_series_with_meetings(cohort=other, mentor=ada, scholars=[dee], weekday=2)
    for scholar in (ben, dee):
        for meeting in Meeting.objects.filter(series__scholars=scholar).order_by("starts_at")[5:8]:
            meeting_cancel(meeting=meeting, by=ada_login)

    for each in (cohort, other):
        cohort_health_sync(cohort=each, as_of=monday(6))

    assert sorted(HealthFinding.objects.filter(rule="cancellations").values_list("cohort", "subject")) == [
        (cohort.pk, f"mentor={ada.pk}"),
        (other.pk, f"mentor={ada.pk}"),
    ]


def test_staff_acknowledge_and_resolve_with_who_and_when_and_a_resolved_finding_stays_resolved(cohort):
    _, ben = pair(cohort, "Ada", "Ben")
    mark(ben, Meeting.Status.MISSED, weeks=[2, 3])
    cohort_health_sync(cohort=cohort, as_of=monday(4))
    [finding] = HealthFinding.objects.all()
    lead = UserFactory(is_staff=True)

    finding_acknowledge(finding=finding, by=lead)
    finding.refresh_from_db()
    assert (finding.status, finding.acknowledged_by) == (Status.ACKNOWLEDGED, lead)
    with pytest.raises(ValidationError):
        finding_acknowledge(finding=finding, by=lead)

    finding_resolve(finding=finding, by=lead, note="Talked to both; Ben was ill.")
    finding.refresh_from_db()
    assert (finding.status, finding.resolved_by, finding.resolution_note) == (
        Status.RESOLVED,
        lead,
        "Talked to both; Ben was ill.",
    )
    assert AuditEntry.objects.filter(actor=lead).count() == 2

    # The rule still finds it: no new finding, no new notice, and staff's resolution stands.
    before = Notification.objects.filter(kind=Kind.HEALTH_FINDING).count()
    cohort_health_sync(cohort=cohort, as_of=monday(4) + dt.timedelta(hours=1))
    assert HealthFinding.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.HEALTH_FINDING).count() == before
    finding.refresh_from_db()
    assert (finding.status, finding.resolved_by, finding.cleared_at) == (Status.RESOLVED, lead, None)

    # Once the data recovers it clears, keeping who resolved it.
    cohort_health_sync(cohort=cohort, as_of=monday(5))
    finding.refresh_from_db()
    assert (finding.resolved_by, finding.cleared_at) == (lead, monday(5))


def test_a_finding_follows_the_scholars_new_primary_mentor(cohort):
    ada, ben = pair(cohort, "Ada", "Ben")
    for week in (1, 2):
        prompt_sent(ben, week)
    cohort_health_sync(cohort=cohort, as_of=monday(3))
    [finding] = HealthFinding.objects.filter(rule="missed_check_ins")
    assert finding.mentor == ada

    cas = MentorFactory(name="Cas")
    Mentorship.objects.filter(scholar=ben).update(role=Mentorship.Role.CO_MENTOR)
    MentorshipFactory(mentor=cas, scholar=ben)
    cohort_health_sync(cohort=cohort, as_of=monday(3) + dt.timedelta(hours=1))

    finding.refresh_from_db()
    assert (finding.mentor, finding.cleared_at) == (cas, None)
    told = Notification.objects.filter(kind=Kind.HEALTH_FINDING, payload__finding_id=finding.pk)
    assert sorted(told.values_list("recipient_email", "recipient_mentor__name")) == [
        ("", "Ada"),
        ("", "Cas"),
        ("staff@cohortops.test", None),
    ]


def test_a_pass_at_an_earlier_instant_changes_nothing(cohort):
    _, ben = pair(cohort, "Ada", "Ben")
    mark(ben, Meeting.Status.MISSED, weeks=[2, 3])
    cohort_health_sync(cohort=cohort, as_of=monday(4))
    notices = Notification.objects.filter(kind=Kind.HEALTH_FINDING).count()

    earlier = cohort_health_sync(cohort=cohort, as_of=monday(3))
    cohort_health_sync(cohort=cohort, as_of=monday(4) + dt.timedelta(minutes=15))

    assert (earlier.opened, earlier.cleared) == (0, 0)
    [finding] = HealthFinding.objects.all()
    assert finding.cleared_at is None
    assert Notification.objects.filter(kind=Kind.HEALTH_FINDING).count() == notices


def test_a_cohort_once_over_clears_its_findings_and_is_left_alone(cohort):
    _, ben = pair(cohort, "Ada", "Ben")
    mark(ben, Meeting.Status.MISSED, weeks=[2, 3])
    running_cohorts_health_sync(as_of=monday(4))
    assert len(live(cohort)) == 1

    after_the_end = dt.datetime(2027, 3, 29, 9, tzinfo=UTC)
    running_cohorts_health_sync(as_of=after_the_end)
    assert live(cohort) == set()
    assert running_cohorts_health_sync(as_of=after_the_end + dt.timedelta(days=1)).cleared == 0


def test_a_health_pass_costs_the_same_queries_for_two_pairs_as_for_six(cohort):
    def sync_counting_queries(count):
        """Add ``count`` pairs in trouble to the cohort; the queries of one pass over it."""
        for n in range(count):
            _, scholar = pair(cohort, f"Mentor {count}-{n}", f"Scholar {count}-{n}")
            mark(scholar, Meeting.Status.MISSED, weeks=[2, 3])
            prompt_sent(scholar, 2)
        with CaptureQueriesContext(connection) as queries:
            cohort_health_sync(cohort=cohort, as_of=monday(4))
        HealthFinding.objects.all().delete()
        Notification.objects.filter(kind=Kind.HEALTH_FINDING).delete()
        return len(queries)

    assert sync_counting_queries(2) == sync_counting_queries(4)  # 2 pairs, then 6
