"""Cohorts, their phases and breaks, the streams they offer, and the audit trail of every change that shapes
meetings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from cohort.cadence import Cadence, MeetingKind
from cohort.outbound import validate_webhook_url
from cohort.validators import (
    validate_date_range,
    validate_reminder_offsets,
    validate_time_zone,
    validate_weekdays,
    validate_whole_minute,
)

# Longer than any sensible gap between two meetings; the planner's own bound.
MAX_BUFFER_MINUTES = 240
# The planner's own bound on a preference's weight.
MAX_PREFERENCE_WEIGHT = 10
# A year: a threshold beyond it would never fire in any cohort.
MAX_HEALTH_THRESHOLD = 365


def default_reminder_offsets() -> list[int]:
    return [24 * 60, 15]


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class MeetingInput:
    """A row whose saved values shape published meetings (a blackout, a mentorship, a scholar's cohort, a phase,
    a cadence). ``cohort.services.meeting_inputs_change`` writes it and asks it, before and after, which cohorts'
    meetings it shapes, so a row moved from one cohort to another refreshes both."""

    # The fields whose change reaches the meetings; None: every field does.
    calendar_fields: ClassVar[frozenset[str] | None] = None

    def calendar_cohorts(self) -> list[Cohort]:
        raise NotImplementedError

    @classmethod
    def calendar_cohorts_of(cls, rows: Sequence[MeetingInput]) -> list[list[Cohort]]:
        """``calendar_cohorts`` of many rows of this model, in their order; a model whose rows come in thousands
        (mentors from one stream document) answers for all of them in a few queries."""
        return [row.calendar_cohorts() for row in rows]


class Person(TimeStamped):
    """What mentors and scholars share: who they are, where their clock is, and how they want to be reminded."""

    # A webhook URL is a credential: the audit trail records that it changed, never its value.
    audit_hidden_fields: ClassVar[frozenset[str]] = frozenset({"slack_webhook_url"})

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="%(class)s"
    )
    reminder_offsets_minutes = models.JSONField(
        default=default_reminder_offsets,
        validators=[validate_reminder_offsets],
        help_text="Minutes before each meeting at which to send a reminder, e.g. [1440, 15].",
    )
    slack_webhook_url = models.URLField(
        blank=True,
        validators=[validate_webhook_url],
        help_text="Incoming-webhook URL (https://hooks.slack.com/…); when set, reminders also go to Slack.",
    )
    # Set, with the URL cleared, when Slack refused the webhook for good; saving a new URL clears them.
    slack_webhook_disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    slack_webhook_disabled_reason = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.slack_webhook_url and self.slack_webhook_disabled_at:
            self.slack_webhook_disabled_at = None
            self.slack_webhook_disabled_reason = ""
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {
                    *kwargs["update_fields"],
                    "slack_webhook_disabled_at",
                    "slack_webhook_disabled_reason",
                }
        super().save(*args, **kwargs)


def preference_weight(name: str, default: int, help_text: str) -> models.PositiveSmallIntegerField:
    """One of a cohort's planning weights, 0 to MAX_PREFERENCE_WEIGHT; its default is the database's too."""
    return models.PositiveSmallIntegerField(
        f"weight: {name}",
        default=default,
        db_default=default,
        validators=[MaxValueValidator(MAX_PREFERENCE_WEIGHT)],
        help_text=help_text,
    )


def health_threshold(name: str, default: int, help_text: str) -> models.PositiveSmallIntegerField:
    """One of a cohort's pair-health thresholds, 0 to MAX_HEALTH_THRESHOLD; its default is the database's too."""
    return models.PositiveSmallIntegerField(
        name,
        default=default,
        db_default=default,
        validators=[MaxValueValidator(MAX_HEALTH_THRESHOLD)],
        help_text=help_text,
    )


def hours_order_error(start: dt.time | None, end: dt.time | None, start_name: str) -> str | None:
    """Why hours from ``start`` to ``end`` in a day are no hours (an end of 00:00 is midnight), or None."""
    if start is not None and end is not None and end != dt.time(0) and end <= start:
        return f"Must be after {start_name} ({start:%H:%M}); 00:00 is midnight."
    return None


def hours_in_order(start_field: str, end_field: str, name: str) -> models.CheckConstraint:
    """The database's side of ``hours_order_error``."""
    return models.CheckConstraint(
        condition=Q(**{f"{start_field}__isnull": True})
        | Q(**{f"{end_field}__isnull": True})
        | Q(**{f"{end_field}__gt": F(start_field)})
        | Q(**{end_field: dt.time(0)}),
        name=name,
    )


class MeetingLimits(models.Model):
    """How much of their week a person gives to meetings, on top of their hours, and when they would rather meet.

    The planner keeps each limit as a hard one; days and weeks are the person's own (weeks from Monday). Empty means
    no limit. Preferred hours are soft: plans lean to them, weighed by their cohort's planning weights.
    """

    meeting_buffer_minutes = models.PositiveSmallIntegerField(
        "buffer between meetings (minutes)",
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Kept free before and after each meeting, from their other meetings; plans also keep it clear of "
        "busy times in their own calendar where they can, as they do the busy times themselves.",
    )
    max_meetings_per_day = models.PositiveSmallIntegerField(
        "at most meetings a day",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    max_meetings_per_week = models.PositiveSmallIntegerField(
        "at most meetings a week",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    max_meeting_minutes_per_day = models.PositiveSmallIntegerField(
        "at most minutes of meetings a day",
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
        help_text="For example 180 for three hours.",
    )
    max_meeting_minutes_per_week = models.PositiveSmallIntegerField(
        "at most minutes of meetings a week",
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 60)],
        help_text="For example 600 for ten hours.",
    )
    earliest_meeting_start = models.TimeField(
        "no meeting before", null=True, blank=True, validators=[validate_whole_minute]
    )
    latest_meeting_end = models.TimeField(
        "no meeting after",
        null=True,
        blank=True,
        validators=[validate_whole_minute],
        help_text="Meetings end by then; 00:00 is midnight.",
    )
    meeting_free_days = models.JSONField(
        "days without meetings",
        default=list,
        blank=True,
        validators=[validate_weekdays],
        help_text="0 = Monday … 6 = Sunday, in their time zone.",
    )

    preferred_meeting_start = models.TimeField(
        "preferably from",
        null=True,
        blank=True,
        validators=[validate_whole_minute],
        help_text="Plans lean to meetings inside your preferred hours, within the hours you gave. Empty: the "
        "cohort's usual hours.",
    )
    preferred_meeting_end = models.TimeField(
        "preferably until",
        null=True,
        blank=True,
        validators=[validate_whole_minute],
        help_text="00:00 is midnight.",
    )

    # The hard limits, then the preferred hours: what a form or the API edits together, in the order people read them.
    LIMIT_FIELDS: ClassVar[tuple[str, ...]] = (
        "meeting_buffer_minutes",
        "max_meetings_per_day",
        "max_meetings_per_week",
        "max_meeting_minutes_per_day",
        "max_meeting_minutes_per_week",
        "earliest_meeting_start",
        "latest_meeting_end",
        "meeting_free_days",
    )
    PREFERENCE_FIELDS: ClassVar[tuple[str, ...]] = ("preferred_meeting_start", "preferred_meeting_end")
    EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = LIMIT_FIELDS + PREFERENCE_FIELDS

    class Meta:
        abstract = True
        constraints = [
            hours_in_order(
                "earliest_meeting_start",
                "latest_meeting_end",
                "%(app_label)s_%(class)s_meetings_end_after_they_start",
            ),
            hours_in_order(
                "preferred_meeting_start",
                "preferred_meeting_end",
                "%(app_label)s_%(class)s_preferred_hours_in_order",
            ),
            models.CheckConstraint(
                condition=Q(preferred_meeting_start__isnull=True, preferred_meeting_end__isnull=True)
                | Q(preferred_meeting_start__isnull=False, preferred_meeting_end__isnull=False),
                name="%(app_label)s_%(class)s_preferred_hours_both_or_neither",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        self.check_hours({field: getattr(self, field) for field in self.EDITABLE_FIELDS})

    @staticmethod
    def check_hours(values: Mapping[str, object]) -> None:
        """Raises ValidationError by field unless each end comes after its start (00:00 is midnight), and preferred
        hours have both ends or neither."""
        errors = {}
        for start, end, start_name in (
            ("earliest_meeting_start", "latest_meeting_end", "the earliest start"),
            ("preferred_meeting_start", "preferred_meeting_end", "the preferred start"),
        ):
            error = hours_order_error(values.get(start), values.get(end), start_name)
            if error:
                errors[end] = error
        given = [values.get(field) is not None for field in MeetingLimits.PREFERENCE_FIELDS]
        if any(given) and not all(given):
            missing = MeetingLimits.PREFERENCE_FIELDS[given.index(False)]
            errors[missing] = "Give both ends of your preferred hours, or neither."
        if errors:
            raise ValidationError(errors)


class DateSpan(TimeStamped):
    """An inclusive range of calendar dates; feeds show when it last changed."""

    start_date = models.DateField()
    end_date = models.DateField(help_text="Inclusive.")

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date:
            validate_date_range(self.start_date, self.end_date)

    def contains(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


class Stream(TimeStamped):
    """A research area with its mentors, imported from a stream document."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source_file = models.CharField(max_length=255, blank=True, help_text="The document it was imported from.")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


# Callables, not fixed times: Django's system check takes a fixed time default within ten seconds of the clock for
# a mistaken "now" (fields.W161), and `check --deploy --fail-level WARNING` (part of the test command) would fail
# at 09:00:00 and at 18:00:00.
def default_usual_hours_start() -> dt.time:
    return dt.time(9)


def default_usual_hours_end() -> dt.time:
    return dt.time(18)


class Cohort(MeetingInput, TimeStamped):
    # Its dates bound every series; its default cadence and length stand in for a mentor's unspecified ones.
    calendar_fields = frozenset({"start_date", "end_date", "default_cadence", "default_meeting_minutes"})

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    start_date = models.DateField()
    end_date = models.DateField()
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    streams = models.ManyToManyField(Stream, related_name="cohorts", blank=True)
    default_cadence = models.JSONField(
        default=dict,
        blank=True,
        help_text="Applies to mentors whose own cadence is unspecified.",
    )
    default_meeting_minutes = models.PositiveSmallIntegerField(
        default=60, help_text="Length of a meeting whose cadence does not say."
    )
    usual_hours_start = models.TimeField(
        "usual hours from",
        default=default_usual_hours_start,
        db_default=dt.time(9),
        validators=[validate_whole_minute],
        help_text="The preferred hours of everyone who gives none, each in their own time zone.",
    )
    usual_hours_end = models.TimeField(
        "usual hours until",
        default=default_usual_hours_end,
        db_default=dt.time(18),
        validators=[validate_whole_minute],
        help_text="00:00 is midnight.",
    )
    weight_preferred_day = preference_weight(
        "preferred day", 3, "Won by each meeting on a day its mentor prefers."
    )
    weight_preferred_hours = preference_weight(
        "preferred hours", 4, "Lost for each attendee a meeting falls outside the preferred hours of."
    )
    weight_fair_share = preference_weight(
        "fair share",
        2,
        "Lost again for each such meeting after a person's first, times how many they already have, so no one "
        "always gets the early or late slot. Off while preferred hours weigh 0.",
    )
    weight_mid_window = preference_weight(
        "away from the edges",
        1,
        "Won per half hour, up to two, that a meeting keeps from the edges of its attendees' hours.",
    )

    health_first_meeting_days = health_threshold(
        "days to a first meeting",
        14,
        "A pair that has not met this many days after the mentorship began is a finding. 0 turns the rule off.",
    )
    health_behind_weeks = health_threshold(
        "weeks below the cadence",
        2,
        "A pair that held fewer meetings than its cadence asks in this many weeks running is a finding (a week "
        "counts the cadence's own period: two weeks for every other week). 0 turns the rule off.",
    )
    health_missed_check_ins = health_threshold(
        "check-ins missed",
        2,
        "A scholar who answered none of their last this many check-in prompts is a finding. 0 turns the rule off.",
    )
    health_cancelled_count = health_threshold(
        "cancellations",
        2,
        "A mentor or scholar who cancelled more than this many of their last meetings (the number below) is a "
        "finding.",
    )
    health_cancelled_of_last = health_threshold(
        "of their last meetings",
        6,
        "How many of a person's latest meetings the cancellations are counted in. 0 turns the rule off.",
    )
    health_low_ratings = health_threshold(
        "low ratings in a row",
        2,
        "A pair whose last this many meeting ratings (either side's) were all “not useful” or “somewhat useful” "
        "is a finding. 0 turns the rule off.",
    )

    # How plans weigh preferences, staff's to see and set; every preference ranks below meetings placed, kept
    # published slots, dates lost to busy times, meeting days and blocks. The defaults are the database's too, so
    # rows written without these columns (by an older release mid-deploy, or a migration's model) get them.
    PLANNING_FIELDS: ClassVar[tuple[str, ...]] = (
        "usual_hours_start",
        "usual_hours_end",
        "weight_preferred_day",
        "weight_preferred_hours",
        "weight_fair_share",
        "weight_mid_window",
    )

    # When a pair is in trouble (``scheduling.pair_health``): staff's to set per cohort, read by every health pass.
    HEALTH_FIELDS: ClassVar[tuple[str, ...]] = (
        "health_first_meeting_days",
        "health_behind_weeks",
        "health_missed_check_ins",
        "health_cancelled_count",
        "health_cancelled_of_last",
        "health_low_ratings",
    )

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="cohort_ends_after_it_starts"
            ),
            hours_in_order("usual_hours_start", "usual_hours_end", "cohort_usual_hours_in_order"),
            models.CheckConstraint(
                condition=Q(
                    weight_preferred_day__lte=MAX_PREFERENCE_WEIGHT,
                    weight_preferred_hours__lte=MAX_PREFERENCE_WEIGHT,
                    weight_fair_share__lte=MAX_PREFERENCE_WEIGHT,
                    weight_mid_window__lte=MAX_PREFERENCE_WEIGHT,
                ),
                name="cohort_planning_weights_in_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    health_first_meeting_days__lte=MAX_HEALTH_THRESHOLD,
                    health_behind_weeks__lte=MAX_HEALTH_THRESHOLD,
                    health_missed_check_ins__lte=MAX_HEALTH_THRESHOLD,
                    health_cancelled_count__lte=MAX_HEALTH_THRESHOLD,
                    health_cancelled_of_last__lte=MAX_HEALTH_THRESHOLD,
                    health_low_ratings__lte=MAX_HEALTH_THRESHOLD,
                ),
                name="cohort_health_thresholds_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date:
            if self.end_date <= self.start_date:
                raise ValidationError({"end_date": "A cohort must end after it starts."})
            validate_date_range(self.start_date, self.end_date)
        error = hours_order_error(self.usual_hours_start, self.usual_hours_end, "the usual hours' start")
        if error:
            raise ValidationError({"usual_hours_end": error})
        if 0 < self.health_cancelled_of_last <= self.health_cancelled_count:
            raise ValidationError(
                {
                    "health_cancelled_count": f"Must be fewer than the meetings they are counted in "
                    f"({self.health_cancelled_of_last}), or no one could ever cancel more."
                }
            )

    @property
    def cadence_default(self) -> Cadence:
        return Cadence.from_dict(self.default_cadence)

    def calendar_cohorts(self) -> list[Cohort]:
        return [self]


class CohortSpan(MeetingInput, DateSpan):
    """A date range that must lie inside its cohort."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="%(class)ss")
    name = models.CharField(max_length=120)

    class Meta:
        abstract = True
        ordering = ["start_date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date:%d %b}–{self.end_date:%d %b %Y})"

    def calendar_cohorts(self) -> list[Cohort]:
        return [self.cohort]

    def clean(self) -> None:
        super().clean()
        cohort = self.cohort if self.cohort_id else None
        if cohort and self.start_date and self.end_date:
            if self.start_date < cohort.start_date or self.end_date > cohort.end_date:
                raise ValidationError(
                    f"{self.name or 'This range'} must lie inside the cohort "
                    f"({cohort.start_date:%d %b %Y} to {cohort.end_date:%d %b %Y})."
                )
            overlapping = (
                type(self)
                .objects.filter(cohort=cohort, start_date__lte=self.end_date, end_date__gte=self.start_date)
                .exclude(pk=self.pk)
            )
            if overlapping.exists():
                raise ValidationError(f"It overlaps {overlapping.first()}.")


class Phase(CohortSpan):
    class Kind(models.TextChoices):
        TRAINING = "training", "Training"
        RESEARCH = "research", "Research"
        EXTENSION = "extension", "Extension"
        OTHER = "other", "Other"

    # Which scholars take part in a phase follows from their status (``Scholar.phase_kinds``): a scholar still
    # in training gets no meetings in the research phase.
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RESEARCH)
    meeting_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="Meeting kinds held in this phase (one_on_one, team, group, standup); empty means every kind. "
        "E.g. list only one_on_one on the training phase so team meetings start with research.",
    )

    class Meta(CohortSpan.Meta):
        constraints = [
            models.UniqueConstraint(fields=["cohort", "name"], name="phase_name_unique_in_cohort"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="phase_end_not_before_start"
            ),
        ]

    def clean(self) -> None:
        super().clean()
        known = {kind.value for kind in MeetingKind}
        unknown = [kind for kind in self.meeting_kinds or [] if kind not in known]
        if unknown:
            raise ValidationError(
                {
                    "meeting_kinds": f"Unknown meeting kind {unknown[0]!r}; use one of {', '.join(sorted(known))}."
                }
            )

    def holds(self, kind: str) -> bool:
        """Whether meetings of this kind take place in the phase."""
        return not self.meeting_kinds or kind in self.meeting_kinds


class Break(CohortSpan):
    """Days without meetings (holidays, a retreat)."""

    class Meta(CohortSpan.Meta):
        verbose_name_plural = "breaks"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="break_end_not_before_start"
            ),
        ]


class ProgramEvent(TimeStamped):
    """A one-off event of the programme (kick-off, talks, a symposium): in the cohort's and streams' feeds."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="program_events")
    stream = models.ForeignKey(
        Stream,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="program_events",
        help_text="For one stream only; empty: everyone in the cohort.",
    )
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["cohort", "starts_at"], name="programevent_cohort_starts")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="programevent_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%d %b %Y %H:%M} UTC)"

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "An event must end after it starts."})
        cohort = self.cohort if self.cohort_id else None
        if cohort and self.starts_at:
            day = self.starts_at.astimezone(ZoneInfo(cohort.time_zone)).date()
            if not cohort.start_date <= day <= cohort.end_date:
                raise ValidationError(
                    {
                        "starts_at": f"The event must fall inside the cohort "
                        f"({cohort.start_date:%d %b %Y} to {cohort.end_date:%d %b %Y})."
                    }
                )


class AuditEntry(models.Model):
    """One row created, changed or deleted by a person or by the system: who, when, what changed, which cohorts.

    Written in the same transaction as the change it records (see ``cohort.services``), so no change that shapes
    meetings lands without its entry. Values are kept as text: the entry outlives the row and its schema.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
        help_text="Empty: the system (a worker, a command), or a user since deleted.",
    )
    # Kept as text too, so an entry still says who made it after their login is deleted.
    actor_name = models.CharField("by", max_length=150, blank=True, help_text="Empty: the system.")
    action = models.CharField(max_length=10, choices=Action.choices)
    # Nullable as in Django's own admin log: removing a model must not need its history removed first.
    target_type = models.ForeignKey(
        ContentType, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="model"
    )
    target_id = models.PositiveBigIntegerField()
    target_repr = models.CharField("row", max_length=200)
    changes = models.JSONField(default=dict, blank=True, help_text="Field name → [before, after], as text.")
    cohorts = models.ManyToManyField(Cohort, related_name="audit_entries", blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            # A row's own history: "who changed this blackout, and when".
            models.Index(fields=["target_type", "target_id"], name="auditentry_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target_repr}"


class SignInLink(TimeStamped):
    """A single-use sign-in link mailed to a scholar or a mentor. Only the SHA-256 of its secret is kept, so the
    table opens no account if it leaks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sign-in link for {self.user} until {self.expires_at:%Y-%m-%d %H:%M} UTC"
