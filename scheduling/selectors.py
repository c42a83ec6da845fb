"""Reads for the scheduling app: rows narrowed to what each user may see (see cohort.selectors for the roles),
and a cohort's week at a glance for staff, read in a fixed number of queries whatever the cohort's size."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Case, DateTimeField, Q, QuerySet, When
from django.db.models.utils import create_namedtuple_class

from cohort.dates import monday_of
from cohort.models import Cohort
from cohort.prepared import PreparedRead, Slot
from cohort.selectors import is_staff_role, mentor_of, reader_of, scholar_of
from mentors.models import ImportWarning, Mentor, Suggestion
from scheduling.channels import NOT_TRIED
from scheduling.compliance import Compliance, mentorships_behind_cadence
from scheduling.models import (
    CalendarClash,
    DeliveryAttempt,
    HealthFinding,
    Meeting,
    MeetingFeedback,
    MeetingSeries,
    Notification,
    PlanRun,
)
from scheduling.planner.validate import inside_windows
from scheduling.problem_builder import mentor_person
from scheduling.reports import cohort_report
from scheduling.week_plot import WeekCount
from scholars.models import CalendarSource, Mentorship, Scholar

PLANNED = (Meeting.Status.SCHEDULED, Meeting.Status.MOVED)


def series_for(user) -> QuerySet[MeetingSeries]:
    return _in_series_read_by(MeetingSeries.objects.all(), *reader_of(user), series="")


def meetings_for(user) -> QuerySet[Meeting]:
    return meetings_read_by(*reader_of(user))


def meetings_read_by(reader: str, person: object) -> QuerySet[Meeting]:
    """The meetings of ``reader_of``'s answer; ``person`` may be a ``Slot`` of the id, for a statement
    compiled once per kind of reader (``cohort.prepared``)."""
    return _in_series_read_by(Meeting.objects.all(), reader, person, series="series__")


def _meetings_read_by_kind(reader: str) -> QuerySet[Meeting]:
    """``meetings_read_by`` with the person a ``Slot`` named "person": one statement per kind of reader."""
    return meetings_read_by(reader, Slot("person", BigIntegerField()))


def _in_series_read_by(rows: QuerySet, reader: str, person: object, *, series: str) -> QuerySet:
    """``rows`` narrowed to the series of ``reader_of``'s answer (``person``: the person's id or a ``Slot``
    of it), reached through the path ``series``. Joined rather than through a subquery of the series: a series
    names a mentor once and a scholar at most once (its scholars' table is unique per pair), so one person's rows
    appear once either way, and the API's lists build and plan the join faster."""
    if reader == "staff":
        return rows
    if reader in _SERIES_PERSON and person is not None:
        return rows.filter(**{f"{series}{_SERIES_PERSON[reader]}": person})
    return rows.none()


# The MeetingSeries relation that names each kind of reader.
_SERIES_PERSON = {"mentor": "mentor", "scholar": "scholars"}


def upcoming_meetings_for(user, *, now: dt.datetime) -> QuerySet[Meeting]:
    """The user's next meetings that still take place, soonest first, the one under way included."""
    return _still_ahead(meetings_for(user), now).select_related("series__mentor")


def _still_ahead(meetings: QuerySet[Meeting], now: object) -> QuerySet[Meeting]:
    # The primary key breaks ties as in the meetings list: which of equal starts make a limit's cut stays fixed.
    return (
        meetings.filter(ends_at__gt=now).exclude(status=Meeting.Status.CANCELLED).order_by("starts_at", "pk")
    )


# What a listed meeting shows (the API's lists and /me/), and whose notes they are, as one row of values.
LISTED_MEETING_COLUMNS = (
    "pk",
    "series",
    "series__title",
    "series__time_zone",
    "series__mentor",
    "original_start",
    "starts_at",
    "ends_at",
    "status",
    "version",
    "private_notes",
)
ListedMeeting = create_namedtuple_class(*LISTED_MEETING_COLUMNS)


# The meetings list's order: by start, the primary key breaking ties (a cursor names a row by both).
MEETING_LIST_ORDER = ("starts_at", "pk")


def listed_meetings(meetings: QuerySet[Meeting]) -> QuerySet:
    """The meetings as ``ListedMeeting`` rows: a page of model instances (a meeting and its series each) cost
    more to build than its query took to run."""
    return meetings.values_list(*LISTED_MEETING_COLUMNS, named=True)


def meetings_listed_to(reader: str) -> QuerySet[Meeting]:
    """Every meeting a kind of reader reads (``reader_of``), in the list's order, with the person a ``Slot``
    named "person": the meetings list as it compiles it once per kind of reader (``cohort.pagination``)."""
    return _meetings_read_by_kind(reader).order_by(*MEETING_LIST_ORDER)


def upcoming_listed_for(user, *, now: dt.datetime, limit: int) -> list[ListedMeeting]:
    """The first ``limit`` of ``upcoming_meetings_for``, as ``ListedMeeting`` rows read by a statement compiled
    once per kind of reader (``cohort.prepared``): /me/ reads them on every call."""
    reader, person = reader_of(user)
    rows = _upcoming_listed_statement(reader, limit).run(person=person, now=now)
    return [ListedMeeting._make(row) for row in rows]


@cache
def _upcoming_listed_statement(reader: str, limit: int) -> PreparedRead:
    meetings = _meetings_read_by_kind(reader)
    return PreparedRead(_still_ahead(meetings, Slot("now", DateTimeField()))[:limit], *LISTED_MEETING_COLUMNS)


def meeting_statuses_ahead(person: Mentor | Scholar, *, now: dt.datetime) -> dict[int, str]:
    """The status of each of the person's meetings from ``now`` on: read before and after a write, it tells what
    the write did to them."""
    theirs = Q(series__mentor=person) if isinstance(person, Mentor) else Q(series__scholars=person)
    return dict(Meeting.objects.filter(theirs, starts_at__gte=now).values_list("pk", "status").distinct())


def meetings_outside_hours(mentor: Mentor, *, now: dt.datetime) -> list[Meeting]:
    """The mentor's planned meetings from ``now`` on that their hours (weekly, and those added on the meeting's date)
    no longer cover (the planner's own test): published before the hours changed, they wait for staff to re-plan."""
    hours = mentor_person(mentor)
    meetings = (
        Meeting.objects.filter(series__mentor=mentor, starts_at__gte=now, status__in=PLANNED)
        .select_related("series")
        .order_by("starts_at")
    )
    return [meeting for meeting in meetings if not inside_windows(hours, meeting.starts_at, meeting.ends_at)]


def meetings_editable_by(user) -> QuerySet[Meeting]:
    """Staff edit any meeting; a mentor edits their own; scholars edit none."""
    if is_staff_role(user):
        return Meeting.objects.all()
    mentor = mentor_of(user)
    return Meeting.objects.filter(series__mentor=mentor) if mentor else Meeting.objects.none()


def notifications_for(user) -> QuerySet[Notification]:
    if is_staff_role(user):
        return Notification.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    return Notification.objects.filter(
        Q(recipient_mentor=mentor) if mentor else Q(recipient_scholar=scholar) if scholar else Q(pk__in=[])
    )


def clashes_for(user) -> QuerySet[CalendarClash]:
    """Staff see every clash; a mentor those in their meetings (their scholars' too: the mentor moves meetings);
    a scholar only their own."""
    if is_staff_role(user):
        return CalendarClash.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    return CalendarClash.objects.filter(
        Q(meeting__series__mentor=mentor) if mentor else Q(scholar=scholar) if scholar else Q(pk__in=[])
    )


def health_findings_for(user) -> QuerySet[HealthFinding]:
    """Staff see every finding; a mentor those about their pairs and scholars they were told of (not those about
    their own cancellations, which are staff's to raise); scholars none."""
    findings = HealthFinding.objects.select_related("cohort", "mentor", "scholar")
    if is_staff_role(user):
        return findings
    mentor = mentor_of(user)
    if mentor is None:
        return findings.none()
    return findings.filter(mentor=mentor).exclude(HealthFinding.ABOUT_THE_MENTOR)


def feedback_for(user) -> QuerySet[MeetingFeedback]:
    """Feedback is read as check-ins are: staff all of it, a mentor their own and their scholars', a scholar their
    own."""
    feedback = MeetingFeedback.objects.select_related("meeting__series", "mentor", "scholar")
    if is_staff_role(user):
        return feedback
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor is not None:
        return feedback.filter(Q(mentor=mentor) | Q(scholar__mentorships__mentor=mentor)).distinct()
    if scholar is not None:
        return feedback.filter(scholar=scholar)
    return feedback.none()


# --- A cohort's week at a glance ------------------------------------------------------------------------------

ONE_WEEK = dt.timedelta(weeks=1)


@dataclass(frozen=True)
class WeekMeeting:
    pk: int
    title: str
    status: str
    status_label: str
    starts: dt.datetime  # in the page's zone
    ends: dt.datetime
    scholars: tuple[str, ...]
    behind: bool  # a 1-on-1 of a mentorship behind its cadence
    outside_hours: (
        bool  # planned where the mentor's hours (weekly, or added for that date) no longer reach: to re-plan
    )

    @property
    def span(self) -> str:
        return f"{self.starts:%H:%M}–{self.ends:%H:%M}"


@dataclass(frozen=True)
class MentorWeek:
    mentor_id: int
    name: str
    time_zone: str
    days: tuple[tuple[WeekMeeting, ...], ...]  # Monday to Sunday
    behind: tuple[Compliance, ...]
    findings: tuple[HealthFinding, ...]  # pair health findings about the mentor's pairs, not resolved


@dataclass(frozen=True)
class NotPlaced:
    label: str
    reason: str
    wanted: str  # "2–3 a week, 1 placed", or "" when the demand could not even be asked for


@dataclass(frozen=True)
class CohortWeek:
    cohort: Cohort
    zone: str
    week_start: dt.date
    days: tuple[dt.date, ...]
    mentors: tuple[MentorWeek, ...]
    behind: tuple[Compliance, ...]
    findings: tuple[HealthFinding, ...]  # the cohort's pair health findings not resolved, open first
    plan_run: PlanRun | None
    not_placed: tuple[NotPlaced, ...]
    weeks: tuple[WeekCount, ...]


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def _not_placed(run: PlanRun | None) -> tuple[NotPlaced, ...]:
    """The unplaced demands of a run's result document, as ``scheduling.services.planning`` stores them."""
    if run is None:
        return ()
    rows = [
        NotPlaced(
            label=item["label"],
            reason=item["reason"],
            wanted=f"{item['wanted_min']}–{item['wanted_max']} a week, {item['placed']} placed",
        )
        for item in run.result.get("unplaced", [])
    ]
    rows += [
        NotPlaced(label=item["name"], reason=item["reason"], wanted="")
        for item in run.result.get("unschedulable", [])
    ]
    return tuple(rows)


def cohort_week(*, cohort: Cohort, week_start: dt.date, zone: str, as_of: dt.datetime) -> CohortWeek:
    """One week (Monday ``week_start`` in ``zone``) of the cohort, read in a fixed number of queries."""
    tz = ZoneInfo(zone)
    week_start = monday_of(week_start)
    starts, ends = _local_midnight(week_start, tz), _local_midnight(week_start + ONE_WEEK, tz)

    behind = tuple(mentorships_behind_cadence(cohort=cohort, as_of=as_of))
    # Compliance names people; meetings are matched to it by (mentor, scholar) ids.
    pairs = {
        pk: (mentor_id, scholar_id)
        for pk, mentor_id, scholar_id in Mentorship.objects.filter(scholar__cohort=cohort).values_list(
            "pk", "mentor_id", "scholar_id"
        )
    }
    behind_pairs = {pairs[compliance.mentorship_id] for compliance in behind}
    behind_by_mentor: dict[int, list[Compliance]] = defaultdict(list)
    for compliance in behind:
        behind_by_mentor[pairs[compliance.mentorship_id][0]].append(compliance)
    findings = tuple(unresolved_findings(cohort=cohort))
    findings_by_mentor: dict[int | None, list[HealthFinding]] = defaultdict(list)
    for finding in findings:
        findings_by_mentor[finding.mentor_id].append(finding)

    mentors = list(
        Mentor.objects.filter(Q(mentorships__scholar__cohort=cohort) | Q(meeting_series__cohort=cohort))
        .distinct()
        .prefetch_related("availability", "extra_hours", "blackouts")
        .order_by("name", "pk")
    )
    hours = {mentor.pk: mentor_person(mentor) for mentor in mentors}
    meetings = (
        Meeting.objects.filter(series__cohort=cohort, starts_at__gte=starts, starts_at__lt=ends)
        .select_related("series")
        .prefetch_related("series__scholars")
        .order_by("starts_at", "pk")
    )
    days: dict[int, list[list[WeekMeeting]]] = {mentor.pk: [[] for _ in range(7)] for mentor in mentors}
    for meeting in meetings:
        series = meeting.series
        scholars = list(series.scholars.all())
        local_start = meeting.starts_at.astimezone(tz)
        days[series.mentor_id][(local_start.date() - week_start).days].append(
            WeekMeeting(
                pk=meeting.pk,
                title=series.title,
                status=meeting.status,
                status_label=meeting.get_status_display(),
                starts=local_start,
                ends=meeting.ends_at.astimezone(tz),
                scholars=tuple(scholar.name for scholar in scholars),
                behind=series.kind == "one_on_one"
                and any((series.mentor_id, scholar.pk) in behind_pairs for scholar in scholars),
                outside_hours=meeting.status in PLANNED
                and not inside_windows(hours[series.mentor_id], meeting.starts_at, meeting.ends_at),
            )
        )

    run = (
        PlanRun.objects.filter(cohort=cohort, status__in=(PlanRun.Status.APPLIED, PlanRun.Status.SOLVED))
        .order_by("-created_at", "-pk")
        .first()
    )
    return CohortWeek(
        cohort=cohort,
        zone=zone,
        week_start=week_start,
        days=tuple(week_start + dt.timedelta(days=offset) for offset in range(7)),
        mentors=tuple(
            MentorWeek(
                mentor_id=mentor.pk,
                name=mentor.name,
                time_zone=mentor.time_zone,
                days=tuple(tuple(day) for day in days[mentor.pk]),
                behind=tuple(behind_by_mentor[mentor.pk]),
                findings=tuple(findings_by_mentor[mentor.pk]),
            )
            for mentor in mentors
        ),
        behind=behind,
        findings=findings,
        plan_run=run,
        not_placed=_not_placed(run),
        weeks=cohort_report(cohort=cohort, as_of=as_of).plot_weeks(),
    )


# --- Staff's dashboard ----------------------------------------------------------------------------------------

WARNINGS_SHOWN = 10


@dataclass(frozen=True)
class CohortPlanning:
    cohort: Cohort
    latest: PlanRun | None  # the newest plan run, whatever its state
    to_apply: PlanRun | None  # the newest solved preview, when it is newer than anything applied


@dataclass(frozen=True)
class ChannelDown:
    """A channel whose server could not be reached at its last attempt, since when, why, and what waits for it."""

    channel: str
    label: str
    since: dt.datetime
    last_error: str
    waiting: int  # notifications due and not yet sent on it


def channels_down(*, now: dt.datetime) -> tuple[ChannelDown, ...]:
    """The channels down now: the last attempt that reached a verdict on their server found it unreachable."""
    down = []
    for channel, label in Notification.Channel.choices:
        outage = last_outage(channel)
        if outage is None or outage.recovered_at is not None:
            continue
        waiting = Notification.objects.filter(
            channel=channel,
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
            due_at__lte=now,
        )
        down.append(ChannelDown(channel, label, outage.since, outage.last_error, waiting.count()))
    return tuple(down)


@dataclass(frozen=True)
class Outage:
    """A channel's server unreachable from ``since`` until it delivered again at ``recovered_at`` (None: still
    down)."""

    since: dt.datetime
    recovered_at: dt.datetime | None
    last_error: str


def last_outage(channel: str) -> Outage | None:
    """The channel's latest outage: from its first unreachable attempt after its last delivery before the latest
    unreachable attempt, to its first delivery after that. None if its server was never found unreachable."""
    unreachable = DeliveryAttempt.objects.filter(channel=channel, outcome=DeliveryAttempt.Outcome.UNREACHABLE)
    sent = DeliveryAttempt.objects.filter(channel=channel, outcome=DeliveryAttempt.Outcome.SENT)
    # Each query is served by delivery_channel_outcome_idx.
    latest = unreachable.order_by("-attempted_at").only("attempted_at", "detail").first()
    if latest is None:
        return None
    sent_before = _first_instant(sent.filter(attempted_at__lt=latest.attempted_at), "-attempted_at")
    if sent_before is not None:
        unreachable = unreachable.filter(attempted_at__gt=sent_before)
    return Outage(
        since=_first_instant(unreachable, "attempted_at"),
        recovered_at=_first_instant(sent.filter(attempted_at__gt=latest.attempted_at), "attempted_at"),
        last_error=latest.detail.removeprefix(NOT_TRIED),
    )


def _first_instant(attempts: QuerySet[DeliveryAttempt], order: str) -> dt.datetime | None:
    return attempts.order_by(order).values_list("attempted_at", flat=True).first()


@dataclass(frozen=True)
class StaffDashboard:
    open_warnings: tuple[ImportWarning, ...]  # the first WARNINGS_SHOWN, with their stream and mentor
    open_warning_count: int
    open_suggestion_count: int  # what stream documents suggest about mentors, for staff to accept or dismiss
    cohorts: tuple[CohortPlanning, ...]  # cohorts not yet over, soonest first
    channels_down: tuple[ChannelDown, ...]  # reminders waiting for a mail server that cannot be reached
    clashes: tuple[CalendarClash, ...]  # the first CLASHES_SHOWN open ones, soonest meeting first
    clash_count: int
    failing_calendars: tuple[CalendarSource, ...]  # the first CLASHES_SHOWN calendars that cannot be read
    findings: tuple[
        HealthFinding, ...
    ]  # the first FINDINGS_SHOWN pair health findings not resolved, open first
    finding_count: int


def staff_dashboard(*, today: dt.date, now: dt.datetime) -> StaffDashboard:
    """What staff act on first: a channel that is down, pairs in trouble, import warnings and suggestions still open,
    and each running or coming cohort's planning state (in a fixed number of queries)."""
    open_warnings = ImportWarning.objects.filter(resolved_at__isnull=True)
    cohorts = list(Cohort.objects.filter(end_date__gte=today).order_by("start_date", "pk"))
    runs: dict[int, list[PlanRun]] = defaultdict(list)
    for run in (
        PlanRun.objects.filter(cohort__in=cohorts).defer("result", "diff").order_by("-created_at", "-pk")
    ):
        runs[run.cohort_id].append(run)
    planning = []
    for cohort in cohorts:
        history = runs[cohort.pk]
        applied = next((run for run in history if run.status == PlanRun.Status.APPLIED), None)
        solved = next((run for run in history if run.status == PlanRun.Status.SOLVED), None)
        newer = solved is not None and (applied is None or solved.created_at > applied.created_at)
        planning.append(CohortPlanning(cohort, history[0] if history else None, solved if newer else None))
    return StaffDashboard(
        open_warnings=tuple(
            open_warnings.select_related("stream", "mentor").order_by("-created_at")[:WARNINGS_SHOWN]
        ),
        open_warning_count=open_warnings.count(),
        open_suggestion_count=Suggestion.objects.filter(status=Suggestion.Status.OPEN).count(),
        cohorts=tuple(planning),
        channels_down=channels_down(now=now),
        clashes=tuple(open_clashes(now=now)[:CLASHES_SHOWN]),
        clash_count=open_clashes(now=now).count(),
        failing_calendars=tuple(
            CalendarSource.objects.exclude(
                status__in=(CalendarSource.Status.PENDING, CalendarSource.Status.OK)
            )
            .select_related("mentor", "scholar")
            .order_by("failing_since", "pk")[:CLASHES_SHOWN]
        ),
        findings=tuple(unresolved_findings()[:FINDINGS_SHOWN]),
        finding_count=unresolved_findings().count(),
    )


FINDINGS_SHOWN = 20


def unresolved_findings(
    *, cohort: Cohort | None = None, mentor: Mentor | None = None
) -> QuerySet[HealthFinding]:
    """Pair health findings staff have not resolved, open ones first, newest first; only ``cohort``'s or about
    ``mentor``'s pairs and scholars when given."""
    findings = HealthFinding.objects.exclude(status=HealthFinding.Status.RESOLVED)
    if cohort is not None:
        findings = findings.filter(cohort=cohort)
    if mentor is not None:
        findings = findings.filter(mentor=mentor)
    return findings.select_related("cohort", "mentor", "scholar").order_by(
        Case(When(status=HealthFinding.Status.OPEN, then=0), default=1), "-opened_at", "-pk"
    )


CLASHES_SHOWN = 20


def open_clashes(*, now: dt.datetime, person: Mentor | Scholar | None = None) -> QuerySet[CalendarClash]:
    """Clashes not resolved, of meetings not over, soonest first; only ``person``'s when given."""
    clashes = CalendarClash.objects.filter(resolved_at__isnull=True, meeting__ends_at__gt=now)
    if person is not None:
        clashes = clashes.filter(**{"mentor" if isinstance(person, Mentor) else "scholar": person})
    return clashes.select_related("meeting__series", "mentor", "scholar").order_by("meeting__starts_at", "pk")


@dataclass(frozen=True)
class CohortMomentsAhead:
    """The first moments after now when something reaches people: instants to fast-forward the demo to."""

    first_meeting: Meeting | None
    first_prompt_due: dt.datetime | None


def cohort_moments_ahead(*, cohort: Cohort, after: dt.datetime) -> CohortMomentsAhead:
    first_meeting = (
        Meeting.objects.filter(series__cohort=cohort, status__in=PLANNED, starts_at__gt=after)
        .select_related("series")
        .order_by("starts_at", "pk")
        .first()
    )
    first_prompt = (
        Notification.objects.filter(
            kind=Notification.Kind.CHECKIN_PROMPT,
            status=Notification.Status.PENDING,
            recipient_scholar__cohort=cohort,
            due_at__gt=after,
        )
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return CohortMomentsAhead(first_meeting, first_prompt)
