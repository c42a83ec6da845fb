"""Scholars, the teams they form, who mentors them, the check-ins they write, and what a mentor or a scholar changes
about single dates: days or hours they cannot meet (blackouts) and hours they add (extra hours)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from cohort.models import (
    Cohort,
    DateSpan,
    MeetingInput,
    MeetingLimits,
    Person,
    Phase,
    Stream,
    TimeStamped,
)
from cohort.validators import validate_weekdays, validate_whole_minute
from mentors.models import Mentor

MIDNIGHT = dt.time(0)


def one_person_only(name: str) -> models.CheckConstraint:
    """A row of a mentor's or of a scholar's (time away, extra hours, a calendar): exactly one of the two."""
    return models.CheckConstraint(
        condition=Q(mentor__isnull=False, scholar__isnull=True)
        | Q(mentor__isnull=True, scholar__isnull=False),
        name=name,
    )


def default_work_days() -> list[int]:
    return [0, 1, 2, 3, 4]


# Callables, not fixed times: Django's system check takes a fixed time default within ten seconds of the clock for
# a mistaken "now" (fields.W161), so `check --deploy` failed at 09:00:00 and at 17:00:00.
def default_work_start() -> dt.time:
    return dt.time(9, 0)


def default_work_end() -> dt.time:
    return dt.time(17, 0)


class Scholar(MeetingInput, MeetingLimits, Person):
    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        TRAINING = "training", "Training"
        RESEARCH = "research", "Research"
        EXTENDED = "extended", "Extended"
        ALUMNI = "alumni", "Alumni"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Scholars in these states no longer get meetings or reminders.
    INACTIVE_STATUSES = frozenset({Status.ALUMNI, Status.WITHDRAWN})
    # Fields that decide which of the published meetings the scholar attends (status: which phases).
    calendar_fields = frozenset({"cohort", "left_on", "status"})

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="scholars")
    stream = models.ForeignKey(Stream, on_delete=models.PROTECT, related_name="scholars")
    slug = models.SlugField(max_length=120)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACCEPTED)
    work_start = models.TimeField(
        default=default_work_start, help_text="Start of working hours, in the scholar's zone."
    )
    work_end = models.TimeField(
        default=default_work_end, help_text="End of working hours, in the scholar's zone."
    )
    work_days = models.JSONField(
        default=default_work_days, validators=[validate_weekdays], help_text="0 = Monday … 6 = Sunday."
    )
    left_on = models.DateField(
        null=True, blank=True, help_text="Last day of the programme, if they left early."
    )
    is_sample = models.BooleanField(default=False, help_text="Demo data, safe to delete.")

    class Meta:
        ordering = ["name"]
        constraints = [
            *MeetingLimits.Meta.constraints,
            models.UniqueConstraint(fields=["cohort", "slug"], name="scholar_slug_unique_in_cohort"),
            models.CheckConstraint(
                condition=Q(work_end__gt=F("work_start")), name="scholar_work_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["cohort", "status"], name="scholar_cohort_status_idx")]

    def clean(self) -> None:
        super().clean()
        if self.work_start is not None and self.work_end is not None and self.work_end <= self.work_start:
            raise ValidationError({"work_end": "Working hours must end after they start."})
        if (
            self.left_on
            and self.cohort_id
            and not (self.cohort.start_date <= self.left_on <= self.cohort.end_date)
        ):
            raise ValidationError({"left_on": "The leaving date must lie inside the cohort."})

    @property
    def is_active(self) -> bool:
        return self.status not in self.INACTIVE_STATUSES

    def phase_kinds(self) -> frozenset[str]:
        """The kinds of phase this scholar takes part in, by status (none once they left the programme)."""
        return PHASES_BY_STATUS.get(self.status, frozenset())

    def calendar_cohorts(self) -> list[Cohort]:
        return [self.cohort]


# The phases a scholar takes part in, by status: everyone active trains, only some reach research, and only
# extended scholars go on into an extension. "Other" phases (a retreat, an induction week) are for everyone.
# Dates that no phase covers restrict nobody, so a cohort without phases meets throughout. Materialising series
# and the compliance report both read it (``Scholar.phase_kinds``), so a scholar is expected exactly where
# they are invited.
PHASES_BY_STATUS: dict[str, frozenset[str]] = {
    Scholar.Status.ACCEPTED: frozenset({Phase.Kind.TRAINING, Phase.Kind.OTHER}),
    Scholar.Status.TRAINING: frozenset({Phase.Kind.TRAINING, Phase.Kind.OTHER}),
    Scholar.Status.RESEARCH: frozenset({Phase.Kind.TRAINING, Phase.Kind.RESEARCH, Phase.Kind.OTHER}),
    Scholar.Status.EXTENDED: frozenset(
        {Phase.Kind.TRAINING, Phase.Kind.RESEARCH, Phase.Kind.EXTENSION, Phase.Kind.OTHER}
    ),
}


class Team(MeetingInput, TimeStamped):
    """Scholars of one mentor who work together and meet as a team."""

    # Who is in the team decides who its team meeting invites; its name is only a label.
    calendar_fields = frozenset({"cohort", "mentor", "members"})

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="teams")
    mentor = models.ForeignKey(Mentor, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    members = models.ManyToManyField(Scholar, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["cohort", "name"], name="team_name_unique_in_cohort")]

    def __str__(self) -> str:
        return self.name

    def calendar_cohorts(self) -> list[Cohort]:
        return [self.cohort]


class Mentorship(MeetingInput, TimeStamped):
    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary mentor"
        CO_MENTOR = "co_mentor", "Co-mentor"

    mentor = models.ForeignKey(Mentor, on_delete=models.CASCADE, related_name="mentorships")
    scholar = models.ForeignKey(Scholar, on_delete=models.CASCADE, related_name="mentorships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PRIMARY)
    start_date = models.DateField(null=True, blank=True, help_text="Empty: from the cohort's start.")
    end_date = models.DateField(null=True, blank=True, help_text="Empty: to the cohort's end.")

    class Meta:
        ordering = ["scholar", "role"]
        constraints = [
            models.UniqueConstraint(fields=["mentor", "scholar"], name="mentorship_unique_pair"),
            models.UniqueConstraint(
                fields=["scholar"], condition=Q(role="primary"), name="mentorship_one_primary_per_scholar"
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="mentorship_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.scholar} ({self.get_role_display()})"

    def calendar_cohorts(self) -> list[Cohort]:
        return [self.scholar.cohort]

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The mentorship must not end before it starts."})
        if not self.scholar_id:
            return
        cohort = self.scholar.cohort
        for field in ("start_date", "end_date"):
            day = getattr(self, field)
            if day and not cohort.start_date <= day <= cohort.end_date:
                raise ValidationError(
                    {field: f"Must lie inside the cohort ({cohort.start_date} to {cohort.end_date})."}
                )


class CheckIn(TimeStamped):
    """A scholar's short written update for one week."""

    scholar = models.ForeignKey(Scholar, on_delete=models.CASCADE, related_name="check_ins")
    week_start = models.DateField(help_text="The Monday of the week it covers.")
    progress = models.TextField()
    blockers = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [models.UniqueConstraint(fields=["scholar", "week_start"], name="checkin_one_per_week")]

    def __str__(self) -> str:
        return f"{self.scholar} — week of {self.week_start:%d %b %Y}"

    def clean(self) -> None:
        super().clean()
        if self.week_start and self.week_start.weekday() != 0:
            raise ValidationError({"week_start": "A check-in's week starts on a Monday."})


class Blackout(MeetingInput, DateSpan):
    """Days a mentor or a scholar cannot meet (travel, conferences), inclusive, in that person's zone: whole days,
    or with ``start_time`` and ``end_time`` only those hours of each of the days (a half-day trip)."""

    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="blackouts"
    )
    scholar = models.ForeignKey(
        Scholar, null=True, blank=True, on_delete=models.CASCADE, related_name="blackouts"
    )
    reason = models.CharField(max_length=200, blank=True)
    start_time = models.TimeField(
        null=True, blank=True, help_text="Part of a day: away from, in the person's zone. Empty: whole days."
    )
    end_time = models.TimeField(
        null=True, blank=True, help_text="Part of a day: away until (00:00 is midnight)."
    )

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="blackout_end_not_before_start"
            ),
            one_person_only("blackout_belongs_to_one_person"),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True, end_time__isnull=True)
                | Q(start_time__isnull=False, end_time__isnull=False, end_time__gt=F("start_time"))
                | Q(start_time__gt=MIDNIGHT, end_time=MIDNIGHT),
                name="blackout_whole_days_or_hours",
            ),
        ]

    def __str__(self) -> str:
        hours = f", {self.hours_label}" if self.is_part_day else ""
        return f"{self.reason or 'Blackout'} ({self.start_date:%d %b}–{self.end_date:%d %b %Y}{hours})"

    @property
    def span_label(self) -> str:
        """'Tue 8 Dec', 'Tue 8 Dec to Fri 11 Dec 2026', 'Tue 8 Dec, 13:00–17:00': as a page or a message says it."""
        first, last = self.start_date, self.end_date
        days = (
            f"{first:%a} {first.day} {first:%b}"
            if first == last
            else f"{first:%a} {first.day} {first:%b} to {last:%a} {last.day} {last:%b %Y}"
        )
        return f"{days}, {self.hours_label}" if self.is_part_day else days

    @property
    def hours_label(self) -> str:
        """'13:00–17:00' for part of a day; empty for whole days."""
        return f"{self.start_time:%H:%M}–{self.end_time:%H:%M}" if self.is_part_day else ""

    @property
    def is_part_day(self) -> bool:
        return self.start_time is not None and self.end_time is not None

    def clean(self) -> None:
        super().clean()
        if self.mentor_id is not None and self.scholar_id is not None:
            raise ValidationError(
                {"scholar": "Time away is one person's: a mentor's or a scholar's, not both."}
            )
        if (self.start_time is None) != (self.end_time is None):
            missing = "end_time" if self.end_time is None else "start_time"
            raise ValidationError({missing: "Give both times for part of a day, or neither for whole days."})
        if self.is_part_day and self.end_time <= self.start_time and not self.until_midnight:
            raise ValidationError({"end_time": "Part of a day must end after it starts."})

    @property
    def until_midnight(self) -> bool:
        """Part of each day up to its end ("from 16:00 for the rest of the day"): an end of 00:00 after a later
        start."""
        return self.end_time == MIDNIGHT and self.start_time is not None and self.start_time > MIDNIGHT

    def hours_on(self, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """Its part of ``day`` as instants in ``zone``; an end of 00:00 is that day's midnight."""
        until = day + dt.timedelta(days=1) if self.until_midnight else day
        return (
            dt.datetime.combine(day, self.start_time, tzinfo=zone),
            dt.datetime.combine(until, self.end_time, tzinfo=zone),
        )

    def away_during(self, starts_at: dt.datetime, ends_at: dt.datetime, zone: str) -> bool:
        """Whether [starts_at, ends_at) falls on one of its days, in ``zone`` (the person's), and, for part of a
        day, overlaps its hours."""
        local_start, local_end = starts_at.astimezone(ZoneInfo(zone)), ends_at.astimezone(ZoneInfo(zone))
        if not self.is_part_day:
            return self.start_date <= local_start.date() <= self.end_date
        day = local_start.date()
        while day <= local_end.date():
            if self.start_date <= day <= self.end_date:
                away_from, away_until = self.hours_on(day, ZoneInfo(zone))
                if away_from < ends_at and starts_at < away_until:
                    return True
            day += dt.timedelta(days=1)
        return False

    def calendar_cohorts(self) -> list[Cohort]:
        if self.mentor_id:
            return self.mentor.calendar_cohorts()
        return [self.scholar.cohort] if self.scholar_id else []


class ExtraHours(MeetingInput, TimeStamped):
    """Hours on one date a mentor or a scholar can meet beyond their weekly ones, in their own zone ("on 12 March I
    can also meet 18:00-20:00"). They join that day's weekly hours for plans, moves and the meetings' checks; the
    person's limits still hold in them. Hours taken away on a date are time away (a blackout) instead."""

    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="extra_hours"
    )
    scholar = models.ForeignKey(
        Scholar, null=True, blank=True, on_delete=models.CASCADE, related_name="extra_hours"
    )
    date = models.DateField()
    start_time = models.TimeField(validators=[validate_whole_minute])
    end_time = models.TimeField(validators=[validate_whole_minute])
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start_time"]
        verbose_name_plural = "extra hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="extra_hours_end_after_start"
            ),
            one_person_only("extra_hours_belong_to_one_person"),
        ]
        indexes = [
            models.Index(fields=["mentor", "date"], name="extra_hours_mentor_date_idx"),
            models.Index(fields=["scholar", "date"], name="extra_hours_scholar_date_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.date:%a} {self.date.day} {self.date:%b %Y}, {self.start_time:%H:%M}–{self.end_time:%H:%M}"
        )

    def calendar_cohorts(self) -> list[Cohort]:
        if self.mentor_id:
            return self.mentor.calendar_cohorts()
        return [self.scholar.cohort] if self.scholar_id else []

    def clean(self) -> None:
        super().clean()
        if self.mentor_id is not None and self.scholar_id is not None:
            raise ValidationError(
                {"scholar": "Extra hours are one person's: a mentor's or a scholar's, not both."}
            )
        if self.start_time is None or self.end_time is None:
            return
        if self.end_time <= self.start_time:
            raise ValidationError({"end_time": "Extra hours must end after they start (on the same day)."})
        if (not self.mentor_id and not self.scholar_id) or self.date is None:
            return
        overlapping = ExtraHours.objects.filter(
            mentor_id=self.mentor_id,
            scholar_id=self.scholar_id,
            date=self.date,
            start_time__lt=self.end_time,
            end_time__gt=self.start_time,
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(
                f"These overlap your extra hours of {overlapping.first()}; change those instead."
            )


class CalendarSource(TimeStamped):
    """A mentor's or a scholar's own calendar (the secret iCalendar address Google, Outlook or Apple gives them),
    read on a schedule for the times they are busy. The address is a credential: it is stored encrypted and shown
    again only as ``url_hint``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be read"
        OK = "ok", "Read"
        REFUSED = "refused", "Address refused"
        UNREACHABLE = "unreachable", "Could not be read"
        TOO_LARGE = "too_large", "Too large"
        HTTP_ERROR = "http_error", "Refused by its server"
        INVALID = "invalid", "Not a calendar"

    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_sources"
    )
    scholar = models.ForeignKey(
        Scholar, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_sources"
    )
    label = models.CharField(max_length=100, blank=True, help_text="Which calendar it is, e.g. 'Work'.")
    url_encrypted = models.TextField(editable=False)
    url_hint = models.CharField(
        max_length=200, editable=False, help_text="The address's host and last characters: it is a secret."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, editable=False)
    status_detail = models.CharField(max_length=500, blank=True, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="Last read, or tried.")
    read_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="Last read successfully.")
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    etag = models.CharField(max_length=300, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    busy_digest = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Of the busy times last read: unchanged, no rewrite.",
    )
    full_read_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last read in full (not answered 'not modified')."
    )
    # Bumped by a new address, or a new zone or address of the owner: a read begun before finds its result stale.
    generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            one_person_only("calendar_source_belongs_to_one_person"),
        ]

    def __str__(self) -> str:
        return f"{self.owner}: {self.label or self.url_hint}"

    @property
    def owner(self) -> Mentor | Scholar:
        return self.mentor or self.scholar


class BusyBlock(models.Model):
    """A time its owner's own calendar says they are busy, and nothing else: no title, place or guest is kept."""

    source = models.ForeignKey(CalendarSource, on_delete=models.CASCADE, related_name="busy_blocks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["source", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="busy_block_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"busy {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M} UTC"
