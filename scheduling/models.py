"""Planned meetings, their occurrences, the notifications they cause, and calendar-feed tokens."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from cohort import encryption
from cohort.cadence import KIND_LABELS, MeetingKind
from cohort.models import Cohort, Stream, TimeStamped
from cohort.outbound import validate_endpoint_url
from cohort.validators import validate_meeting_place, validate_time_zone
from mentors.models import Mentor
from scheduling.pair_health import RULE_LABELS, Rule
from scheduling.recurrence import WeeklyRule
from scholars.models import Mentorship, Scholar, Team


def of_one_person(name: str) -> models.CheckConstraint:
    """A row about one person: exactly one of its ``mentor`` and ``scholar``."""
    return models.CheckConstraint(
        condition=Q(mentor__isnull=False, scholar__isnull=True)
        | Q(mentor__isnull=True, scholar__isnull=False),
        name=name,
    )


class PlanRun(TimeStamped):
    """One run of the planner over a cohort: what it proposed, why some demands did not fit, and what changed."""

    # The audit entry of an applied plan records its status and when; the plan itself stays on the run.
    audit_skipped_fields: ClassVar[frozenset[str]] = frozenset({"result", "diff"})

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SOLVED = "solved", "Solved (preview)"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"
        DISCARDED = "discarded", "Discarded"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="plan_runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.JSONField(default=dict, blank=True, help_text="Placements, unplaced demands and summary.")
    diff = models.JSONField(default=dict, blank=True, help_text="Series added, moved and removed if applied.")
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"Plan #{self.pk} for {self.cohort} ({self.get_status_display()})"


class MeetingSeries(TimeStamped):
    """One recurring meeting a cadence demands: a wall-clock rule in its own zone, expanded into Meetings."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="meeting_series")
    mentor = models.ForeignKey(Mentor, on_delete=models.CASCADE, related_name="meeting_series")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="meeting_series"
    )
    scholars = models.ManyToManyField(Scholar, related_name="meeting_series", blank=True)
    kind = models.CharField(max_length=20, choices=[(kind.value, KIND_LABELS[kind]) for kind in MeetingKind])
    demand_key = models.CharField(
        max_length=200, help_text="Stable identity of the demand this series serves, across re-plans."
    )
    title = models.CharField(max_length=255)
    uid = models.CharField(max_length=255, unique=True, help_text="iCalendar UID; never changes.")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday, in the series' zone.")
    start_time = models.TimeField(help_text="Wall-clock start in the series' zone.")
    duration_minutes = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    interval_weeks = models.PositiveSmallIntegerField(default=1)
    week_parity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For every-other-week series."
    )
    rrule = models.CharField(max_length=255)
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped on every change; feeds use it as SEQUENCE."
    )
    plan_run = models.ForeignKey(
        PlanRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="series"
    )
    meeting_place = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_meeting_place],
        help_text="Where these meetings happen: a video link (https://…) or a room. Empty: the mentor's own "
        "place. Kept by every series of the same meeting, across plans.",
    )

    class Meta:
        ordering = ["cohort", "mentor", "weekday", "start_time"]
        verbose_name_plural = "meeting series"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="series_end_not_before_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="series_weekday_0_to_6"),
        ]
        indexes = [
            models.Index(fields=["cohort", "status"], name="series_cohort_status_idx"),
            models.Index(fields=["cohort", "demand_key"], name="series_cohort_demand_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def place(self) -> str:
        """Where its meetings happen: its own place, or the mentor's."""
        return self.meeting_place or self.mentor.meeting_place

    @property
    def place_link(self) -> str:
        """The place as a link to follow (a video call), or empty when it is a room."""
        return self.place if self.place.startswith("https://") else ""

    def active_scholars(self) -> list[Scholar]:
        """The scholars still in the programme; filtered here so a prefetched ``scholars`` is reused."""
        return [s for s in self.scholars.all() if s.is_active]

    def weekly_rule(self) -> WeeklyRule:
        """The wall-clock rule its meetings and its feed event come from; weeks count from ``starts_on``."""
        return WeeklyRule(
            weekdays=(self.weekday,),
            start=self.start_time,
            duration_minutes=self.duration_minutes,
            time_zone=self.time_zone,
            interval_weeks=self.interval_weeks,
            anchor=self.starts_on,
        )


class Meeting(TimeStamped):
    """One occurrence of a series; staff or the mentor can move, cancel or mark it."""

    # Who cancelled it is the audit entry's own actor already.
    audit_skipped_fields: ClassVar[frozenset[str]] = frozenset({"cancelled_by"})

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        MOVED = "moved", "Moved"
        CANCELLED = "cancelled", "Cancelled"
        HELD = "held", "Held"
        MISSED = "missed", "Missed"

    series = models.ForeignKey(MeetingSeries, on_delete=models.CASCADE, related_name="meetings")
    original_start = models.DateTimeField(
        help_text="Where the rule put it (UTC); the calendar RECURRENCE-ID."
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change; reminders key on it.")
    cancelled_by_calendar = models.BooleanField(
        default=False,
        help_text="Cancelled because the cohort's calendar took its date (a break, a blackout, a leaving date, "
        "a phase), not by a person: it comes back when the date is free again.",
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who cancelled it, when a person did: pair health counts a mentor's or scholar's own.",
    )
    private_notes = models.TextField(blank=True, help_text="Never shown in calendar feeds.")

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["series", "original_start"], name="meeting_unique_occurrence"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"),
        ]
        indexes = [
            # Date-range lists and reminder planning read meetings by start.
            models.Index(fields=["starts_at"], name="meeting_starts_at_idx"),
            models.Index(fields=["series", "starts_at"], name="meeting_series_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.series.title} at {self.starts_at:%Y-%m-%d %H:%M} UTC"


# Meetings in these states are history: a re-plan, a calendar refresh or an edit never touches them.
SETTLED_STATUSES = (Meeting.Status.HELD, Meeting.Status.MISSED)


class CalendarClash(TimeStamped):
    """A published meeting that an attendee's own calendar now shows them busy for. Flagged, never acted on:
    staff or the mentor decide whether to move the meeting; the clash resolves itself when the busy time goes, or
    the meeting moves (a moved meeting still busy is a new clash), is cancelled or is over."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="clashes")
    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="clashes"
    )
    scholar = models.ForeignKey(
        Scholar, null=True, blank=True, on_delete=models.CASCADE, related_name="clashes"
    )
    meeting_version = models.PositiveIntegerField(
        help_text="The meeting's version it was found at: a moved meeting is checked, and told, afresh."
    )
    busy_starts_at = models.DateTimeField()
    busy_ends_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting__starts_at", "pk"]
        constraints = [
            of_one_person("calendar_clash_of_one_person"),
            # One open clash per meeting and person: a refresh that finds it again keeps it (and its notice).
            models.UniqueConstraint(
                fields=["meeting", "mentor"],
                condition=Q(resolved_at__isnull=True, mentor__isnull=False),
                name="calendar_clash_open_once_mentor",
            ),
            models.UniqueConstraint(
                fields=["meeting", "scholar"],
                condition=Q(resolved_at__isnull=True, scholar__isnull=False),
                name="calendar_clash_open_once_scholar",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} busy during {self.meeting}"

    @property
    def person(self) -> Mentor | Scholar:
        return self.mentor or self.scholar


class MeetingFeedback(TimeStamped):
    """One attendee's rating of a meeting they had, with an optional note: given once, from the link mailed after
    the meeting or from their own page. A note is read as a check-in is: by its writer, staff, and (a scholar's) by
    their mentors."""

    class Rating(models.IntegerChoices):
        POOR = 1, "Not useful"
        FAIR = 2, "Somewhat useful"
        GOOD = 3, "Useful"
        GREAT = 4, "Very useful"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="feedback")
    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback"
    )
    scholar = models.ForeignKey(
        Scholar, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "meeting feedback"
        constraints = [
            of_one_person("meeting_feedback_of_one_person"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=4), name="meeting_feedback_rating_1_to_4"
            ),
            models.UniqueConstraint(
                fields=["meeting", "mentor"],
                condition=Q(mentor__isnull=False),
                name="meeting_feedback_once_mentor",
            ),
            models.UniqueConstraint(
                fields=["meeting", "scholar"],
                condition=Q(scholar__isnull=False),
                name="meeting_feedback_once_scholar",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} on {self.meeting}: {self.get_rating_display()}"

    @property
    def person(self) -> Mentor | Scholar:
        return self.mentor or self.scholar


class HealthFinding(TimeStamped):
    """A pair or a person in trouble, as a rule of ``scheduling.pair_health`` found it.

    Two clocks: ``status`` is staff's (open, acknowledged, resolved, with who and when); ``cleared_at`` is the
    data's (when the rule stopped finding it). A finding the rule still finds is *live*: one per cohort, rule and
    subject (a mentor can mentor in two cohorts), kept and updated by every health pass and told once. When the data recovers it clears, and resolves itself if
    staff had not; a finding staff resolved while it was live stays resolved until it clears, so a rule that
    finds the same trouble again after that opens, and tells, a new one.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    # About a mentor's own cancellations: staff's to raise with them, so never shown or told to that mentor (the
    # pure rule's ``tell_mentor``). Every other finding names the mentor who was told.
    ABOUT_THE_MENTOR = Q(rule=Rule.CANCELLATIONS, scholar__isnull=True)

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="health_findings")
    rule = models.CharField(max_length=30, choices=[(rule.value, RULE_LABELS[rule]) for rule in Rule])
    subject = models.CharField(
        max_length=60, help_text='What it is about, the same while it lasts: "mentorship=12", "scholar=5".'
    )
    mentorship = models.ForeignKey(
        Mentorship, null=True, blank=True, on_delete=models.CASCADE, related_name="health_findings"
    )
    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="health_findings"
    )
    scholar = models.ForeignKey(
        Scholar, null=True, blank=True, on_delete=models.CASCADE, related_name="health_findings"
    )
    summary = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty on a resolved finding: it resolved itself, the data having recovered.",
    )
    resolution_note = models.TextField(blank=True)
    cleared_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the rule stopped finding it: the meetings or check-ins recovered.",
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "rule", "subject"],
                condition=Q(cleared_at__isnull=True),
                name="health_finding_live_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "cohort"], name="health_finding_status_idx")]

    def __str__(self) -> str:
        return self.summary

    @property
    def who(self) -> str:
        """Whom it is about, in a few words: "Cas and Dee", or one person."""
        if self.mentorship_id is not None:
            return f"{self.mentor.name} and {self.scholar.name}"
        return (self.scholar or self.mentor).name


class WebhookEvent(models.TextChoices):
    """What an integration can hear of, by the name its messages carry in ``type``."""

    MEETING_PLANNED = "meeting.planned", "Meeting planned"
    MEETING_MOVED = "meeting.moved", "Meeting moved"
    MEETING_CANCELLED = "meeting.cancelled", "Meeting cancelled"
    MEETING_HELD = "meeting.held", "Meeting held"
    MEETING_MISSED = "meeting.missed", "Meeting missed"
    MENTORSHIP_CREATED = "mentorship.created", "Mentorship created"
    MENTORSHIP_ENDED = "mentorship.ended", "Mentorship ended"
    HEALTH_FINDING_OPENED = "health_finding.opened", "Pair health finding opened"


def validate_webhook_events(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Pick at least one event.", code="no_events")
    unknown = sorted({str(v) for v in value} - set(WebhookEvent.values))
    if unknown:
        raise ValidationError(
            f"Not an event: {', '.join(unknown)}. Events: {', '.join(WebhookEvent.values)}.",
            code="unknown_event",
        )


MAX_FAILURES_BEFORE_DISABLING = 1000


class WebhookEndpoint(TimeStamped):
    """An integration's https address that hears of the events it picked, signed with its secret (see
    ``scheduling.webhook_signatures``), from the notification outbox. Staff register it; it is switched off by
    itself after ``disable_after_failures`` failed attempts in a row, and staff are told."""

    # The secrets are credentials, and so may the URL's path be: the audit trail records that they changed, never
    # their value.
    audit_hidden_fields: ClassVar[frozenset[str]] = frozenset(
        {"url", "secret_encrypted", "previous_secret_encrypted"}
    )

    name = models.CharField(max_length=200, help_text='Who listens here, for staff: "CRM", "Data warehouse".')
    url = models.CharField(
        max_length=2000,
        validators=[validate_endpoint_url],
        help_text="https only, on a public address; it receives a signed POST for each event.",
    )
    events = models.JSONField(default=list, validators=[validate_webhook_events])
    cohort = models.ForeignKey(
        Cohort,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="Only this cohort's events; empty: every cohort's.",
    )
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Until then messages are signed with the old secret too.",
    )
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.TextField(blank=True, editable=False)
    failures_in_a_row = models.PositiveIntegerField(default=0, editable=False)
    paused_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="After a failure, its messages wait until then."
    )
    disable_after_failures = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_FAILURES_BEFORE_DISABLING)],
        help_text="Switched off after this many failed attempts in a row (retries count).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    disable_after_failures__gte=1, disable_after_failures__lte=MAX_FAILURES_BEFORE_DISABLING
                ),
                name="webhook_endpoint_disable_after_failures_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def secrets_in_use(self, *, now: dt.datetime) -> list[str]:
        """The secrets a message is signed with now: the current one, and the one it replaced while its overlap
        lasts."""
        in_use = [encryption.decrypt(self.secret_encrypted)]
        if (
            self.previous_secret_encrypted
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > now
        ):
            in_use.append(encryption.decrypt(self.previous_secret_encrypted))
        return in_use


class Notification(TimeStamped):
    """One reminder or prompt to one person, due at one instant, sent at most once."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Meeting reminder"
        CANCELLATION = "cancellation", "Meeting cancelled"
        CHANGE = "change", "Meeting moved"
        CHECKIN_PROMPT = "checkin_prompt", "Check-in prompt"
        CHECKIN_DIGEST = "checkin_digest", "Check-in digest"
        ESCALATION = "escalation", "Escalation to staff"
        CLASH = "clash", "Calendar clash"
        HEALTH_FINDING = "health_finding", "Pair health finding"
        FEEDBACK_REQUEST = "feedback_request", "Feedback request"
        WEBHOOK_EVENT = "webhook_event", "Webhook event"
        ENDPOINT_DISABLED = "endpoint_disabled", "Webhook endpoint disabled"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SLACK = "slack", "Slack"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded"
        SKIPPED = "skipped", "Skipped"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    dedupe_key = models.CharField(
        max_length=255,
        unique=True,
        help_text="(meeting, recipient, kind, version, channel): a second send is impossible.",
    )
    due_at = models.DateTimeField()
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    meeting_version = models.PositiveIntegerField(null=True, blank=True)
    recipient_mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    recipient_scholar = models.ForeignKey(
        Scholar, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    recipient_email = models.EmailField(
        blank=True, help_text="For staff recipients, who are not mentors or scholars."
    )
    webhook_endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    payload = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="While sending: the claim that owns the row (when it was claimed)."
    )
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While sending: when the claim's lease runs out, unless renewed, and the row may be taken over.",
    )
    attempting = models.BooleanField(
        default=False,
        help_text="While sending: an attempt has started (the row is not only queued). Taken over, the row gets a new "
        "claim, which fences that attempt off.",
    )
    retry_at = models.DateTimeField(
        null=True, blank=True, help_text="Pending after a transient failure: the earliest next attempt."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The beat tick's query: pending rows whose time has come, oldest first.
            models.Index(fields=["status", "due_at"], name="notification_due_idx"),
            # An endpoint's messages still to go, which a later message about the same thing waits behind.
            models.Index(fields=["webhook_endpoint", "status"], name="notification_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M} UTC ({self.status})"


class DeliveryAttempt(models.Model):
    """The delivery log staff read: what was sent to whom, when, through which channel, and failures."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        TRANSIENT_ERROR = "transient_error", "Transient error (will retry)"
        UNREACHABLE = "unreachable", "Server unreachable (will retry)"
        PERMANENT_ERROR = "permanent_error", "Permanent error"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attempts_log")
    # When the attempt was made, not when its batch recorded it: whether a channel is down is read from the order.
    attempted_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, choices=Notification.Channel.choices)
    recipient = models.CharField(max_length=255)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-attempted_at"]
        indexes = [
            # Whether a channel is down, and since when: its last delivery against its unreachable attempts.
            models.Index(fields=["channel", "outcome", "attempted_at"], name="delivery_channel_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}: {self.outcome}"


class FeedToken(TimeStamped):
    """A calendar subscription secret. Only its hash is stored; the URL is shown once, when it is made."""

    class Scope(models.TextChoices):
        SCHOLAR = "scholar", "Scholar"
        MENTOR = "mentor", "Mentor"
        TEAM = "team", "Team"
        STREAM = "stream", "Stream"
        COHORT = "cohort", "Cohort"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    scholar = models.ForeignKey(
        Scholar, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    stream = models.ForeignKey(
        Stream, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    subscriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feed_tokens",
        help_text="Whose link this is, for feeds many people share (team, stream, cohort): each subscriber has "
        "their own, so one person rotating theirs leaves everyone else's working.",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8, help_text="First characters, so staff can tell tokens apart.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="scholar", scholar__isnull=False)
                    | Q(scope="mentor", mentor__isnull=False)
                    | Q(scope="team", team__isnull=False)
                    | Q(scope="stream", stream__isnull=False, cohort__isnull=False)
                    | Q(scope="cohort", cohort__isnull=False)
                ),
                name="feedtoken_scope_has_owner",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.get_scope_display()} feed {self.token_hint}… ({state})"
