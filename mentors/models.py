"""Mentors, their weekly availability and their cadence, and what the stream-document importer asks staff to check
about them. What they change about single dates (time away, extra hours) lives in scholars, beside the scholars'
own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from cohort.cadence import Cadence
from cohort.models import Cohort, MeetingInput, MeetingLimits, Person, Stream, TimeStamped
from cohort.suggestions import Suggestion as DocumentSuggestion
from cohort.suggestions import SuggestionField
from cohort.validators import validate_meeting_place, validate_weekdays


class Mentor(MeetingInput, MeetingLimits, Person):
    # A cadence sets which meetings a mentor holds, how often and how long.
    calendar_fields = frozenset({"cadence"})

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    biography = models.TextField(blank=True)
    sections = models.JSONField(
        default=list, blank=True, help_text="The document's bullet blocks, as imported (nested)."
    )
    streams = models.ManyToManyField(Stream, related_name="mentors", blank=True)
    cadence = models.JSONField(
        default=dict, blank=True, help_text="The meeting rhythm read from the document."
    )
    meeting_place = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_meeting_place],
        help_text="Where their meetings happen: a video link (https://…) or a room. In every calendar, mail and page.",
    )
    cadence_edited_by_staff = models.BooleanField(
        default=False, help_text="Set when staff change the cadence; re-imports then keep it."
    )
    preferred_weekdays = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_weekdays],
        help_text="Days the planner leans to for their meetings (0 = Monday, in their time zone), when that costs "
        "nothing else.",
    )
    # A mentor also prefers days for the meetings they organise, and sets them with their limits and hours.
    EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = (*MeetingLimits.EDITABLE_FIELDS, "preferred_weekdays")

    class Meta:
        ordering = ["name"]
        constraints = [*MeetingLimits.Meta.constraints]

    @property
    def cadence_value(self) -> Cadence:
        return Cadence.from_dict(self.cadence)

    def calendar_cohorts(self) -> list[Cohort]:
        """The cohorts the mentor takes part in: those offering one of their streams, and their scholars'."""
        return self.calendar_cohorts_of([self])[0]

    @classmethod
    def calendar_cohorts_of(cls, mentors: Sequence[Mentor]) -> list[list[Cohort]]:
        """``calendar_cohorts`` of each mentor, in three queries however many mentors (an import's thousands)."""
        ids = [mentor.pk for mentor in mentors if mentor.pk is not None]
        cohort_ids: dict[int, set[int]] = defaultdict(set)
        for lookup in ("streams__mentors", "scholars__mentorships__mentor"):
            pairs = Cohort.objects.filter(**{f"{lookup}__in": ids}).values_list(lookup, "pk")
            for mentor_id, cohort_id in pairs:
                cohort_ids[mentor_id].add(cohort_id)
        wanted = set().union(*cohort_ids.values())
        by_id = {c.pk: c for c in Cohort.objects.filter(pk__in=wanted)} if wanted else {}
        in_order = sorted(by_id.values(), key=lambda cohort: (cohort.start_date, cohort.pk))
        rank = {cohort.pk: at for at, cohort in enumerate(in_order)}
        return [
            [by_id[pk] for pk in sorted(cohort_ids.get(mentor.pk, ()), key=rank.__getitem__)]
            for mentor in mentors
        ]


class WeeklyWindow(models.Model):
    """A weekly wall-clock window in its owner's time zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.start_time is not None and self.end_time is not None and self.end_time <= self.start_time:
            raise ValidationError({"end_time": "The window must end after it starts (on the same day)."})


class Availability(MeetingInput, WeeklyWindow):
    """When a mentor can meet, in the mentor's own time zone."""

    mentor = models.ForeignKey(Mentor, on_delete=models.CASCADE, related_name="availability")

    class Meta:
        ordering = ["mentor", "weekday", "start_time"]
        verbose_name_plural = "availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="availability_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["mentor", "weekday"], name="availability_mentor_day_idx")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def calendar_cohorts(self) -> list[Cohort]:
        return self.mentor.calendar_cohorts()

    def clean(self) -> None:
        super().clean()
        if not self.mentor_id or self.start_time is None or self.end_time is None:
            return
        overlapping = Availability.objects.filter(
            mentor_id=self.mentor_id,
            weekday=self.weekday,
            start_time__lt=self.end_time,
            end_time__gt=self.start_time,
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(
                f"This window overlaps your {overlapping.first()} window; merge them into one window."
            )


class ImportWarning(TimeStamped):
    """Something in a stream document a person should look at; kept until staff resolve it."""

    class Code(models.TextChoices):
        CADENCE_UNSPECIFIED = "cadence_unspecified", "Cadence unspecified"
        CADENCE_NEEDS_REVIEW = "cadence_needs_review", "Cadence needs review"
        NAMES_OTHER_MENTOR = "names_other_mentor", "Names another mentor"
        DUPLICATED_TEXT = "duplicated_text", "Text duplicated from another mentor"
        MISSING_ORGANISATION = "missing_organisation", "Missing organisation"
        MENTOR_REMOVED = "mentor_removed", "Mentor no longer in the document"
        CADENCE_KEPT = "cadence_kept", "Staff-edited cadence kept"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="import_warnings")
    mentor = models.ForeignKey(
        Mentor, null=True, blank=True, on_delete=models.CASCADE, related_name="import_warnings"
    )
    # A passage several sections share is one warning, filed under the first of them; the others see it here.
    shared_with = models.ManyToManyField(
        Mentor,
        blank=True,
        related_name="shared_import_warnings",
        help_text="The other mentors this warning is about too (a passage their sections share).",
    )
    code = models.CharField(max_length=40, choices=Code.choices)
    message = models.TextField()
    source_file = models.CharField(max_length=255, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["stream", "mentor", "code"]
        indexes = [
            # The admin's default view: open warnings first.
            models.Index(fields=["resolved_at", "stream"], name="importwarning_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()}: {self.message[:80]}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class Suggestion(TimeStamped):
    """Something a stream document says about a mentor beyond the cadence ("based in Stockholm", "usually on
    Thursdays"), offered to staff with the words it was read from; nothing changes until they accept it."""

    class Setting(models.TextChoices):
        TIME_ZONE = "time_zone", "Time zone"
        PREFERRED_WEEKDAYS = "preferred_weekdays", "Preferred days"
        PREFERRED_HOURS = "preferred_hours", "Preferred hours"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    mentor = models.ForeignKey(Mentor, on_delete=models.CASCADE, related_name="suggestions")
    setting = models.CharField(max_length=40, choices=Setting.choices)
    # A zone name, weekday numbers joined by commas ("0,3"), or hours ("09:00-12:00"):
    # ``cohort.suggestions.Suggestion.value``.
    value = models.CharField(max_length=64)
    phrase = models.TextField(help_text="The words the suggestion was read from.")
    source = models.TextField(help_text="The sentence around them.")
    source_file = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["mentor", "setting", "value"]
        constraints = [
            # Decided once: a re-import offers the same suggestion again only if staff never decided it.
            models.UniqueConstraint(fields=["mentor", "setting", "value"], name="suggestion_once_per_mentor"),
        ]
        indexes = [models.Index(fields=["status", "mentor"], name="suggestion_open_idx")]

    def __str__(self) -> str:
        return f"{self.mentor}: {self.describe()}"

    def as_read(self) -> DocumentSuggestion:
        """The suggestion as the reader made it, which knows how to say it and what its value means."""
        return DocumentSuggestion(SuggestionField(self.setting), self.value, self.phrase, self.source)

    def describe(self) -> str:
        return self.as_read().describe()


class StreamImportJob(TimeStamped):
    """A stream document uploaded through the API, imported on a worker: the bytes wait here until it runs, then
    the report, or the error that refused the document, is kept for the uploader to read."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    document = models.BinaryField(help_text="The uploaded bytes, kept until the import runs.")
    report = models.JSONField(
        default=dict, blank=True, help_text="What the import did, as the API returns it."
    )
    error_line = models.PositiveIntegerField(null=True, blank=True)
    error_reason = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_status_display()})"
