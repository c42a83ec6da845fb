"""Forms of the scholars app: a blackout, mentor's or scholar's, checked for what a person types by mistake, and the
hours either adds on a date; and on a scholar's own pages, their preferences and their weekly check-in.

The model checks a blackout's own dates; the form adds what only the person's cohorts show (a blackout outside
every cohort, usually a wrong year). The scholar's forms check shapes only: ``scholars.services`` decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohort.forms import (
    DATE_INPUT,
    QUARTER_HOUR_INPUT,
    ReminderOffsetsField,
    TimeZoneField,
    WeekdaysField,
)
from cohort.models import Cohort
from cohort.outbound import validate_calendar_url
from mentors.forms import OverlapCheckedFormSet
from scholars.calendar_sources import MAX_SOURCES_PER_PERSON, calendar_source_set_url
from scholars.models import Blackout, CalendarSource, ExtraHours, Scholar
from scholars.services import MAX_FIELD_CHARS


def _describe_cohorts(cohorts: Iterable[Cohort]) -> str:
    return "; ".join(f"{c.name}: {c.start_date:%d %b %Y} to {c.end_date:%d %b %Y}" for c in cohorts)


class BlackoutForm(forms.ModelForm):
    """Refuses a blackout that touches none of the person's cohorts: it could never keep a meeting away."""

    class Meta:
        model = Blackout
        fields = ["start_date", "end_date", "start_time", "end_time", "reason"]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start is None or end is None or end < start or not self.has_changed():
            return data
        cohorts = self.instance.calendar_cohorts()
        if cohorts and not any(c.start_date <= end and start <= c.end_date for c in cohorts):
            raise ValidationError(
                f"{start:%d %b %Y} to {end:%d %b %Y} lies outside the cohort ({_describe_cohorts(cohorts)}): "
                "no meeting falls on those days. Check the year and the dates."
            )
        return data


class TimeAwayForm(BlackoutForm):
    """The same checks on a mentor's own page, with the browser's date pickers."""

    class Meta(BlackoutForm.Meta):
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "start_time": QUARTER_HOUR_INPUT,
            "end_time": QUARTER_HOUR_INPUT,
        }
        labels = {
            "start_date": "From",
            "end_date": "To (inclusive)",
            "start_time": "Only from",
            "end_time": "until",
            "reason": "Why (optional, seen by staff)",
        }
        # The labels and the page say it: no help text (its id would be referenced by nothing on the page).
        help_texts = {"end_date": "", "start_time": "", "end_time": ""}


class ExtraHoursForm(forms.ModelForm):
    """Hours on one date on a person's own page; the model checks them (end after start, no overlap). Prefixed:
    the page's time-away form has fields of the same names."""

    prefix = "extra"

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        # A day behind the server's: the person's zone may still be on yesterday.
        if day < timezone.localdate() - dt.timedelta(days=1):
            raise ValidationError("That date has passed.")
        return day

    class Meta:
        model = ExtraHours
        fields = ["date", "start_time", "end_time", "note"]
        widgets = {"date": DATE_INPUT, "start_time": QUARTER_HOUR_INPUT, "end_time": QUARTER_HOUR_INPUT}
        labels = {
            "date": "On",
            "start_time": "From",
            "end_time": "until",
            "note": "Note (optional, seen by staff)",
        }


class ExtraHoursFormSet(OverlapCheckedFormSet):
    day_field = "date"

    def overlap_message(self, earlier: dict) -> str:
        above = ExtraHours(
            date=earlier["date"], start_time=earlier["start_time"], end_time=earlier["end_time"]
        )
        return f"These overlap the extra hours of {above} above; make them one row."


class ScholarPreferencesForm(forms.Form):
    work_start = forms.TimeField(label="Working hours from", widget=QUARTER_HOUR_INPUT)
    work_end = forms.TimeField(label="to", widget=QUARTER_HOUR_INPUT)
    work_days = WeekdaysField(
        label="Work days", error_messages={"required": "Tick at least one day you work."}
    )

    def __init__(self, *args, scholar: Scholar, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "time_zone": scholar.time_zone,
                "work_start": scholar.work_start,
                "work_end": scholar.work_end,
                "work_days": scholar.work_days,
                "reminder_offsets_minutes": scholar.reminder_offsets_minutes,
            },
        )
        super().__init__(*args, **kwargs)
        # Choices depend on what the scholar has now; the zone first, as the page shows it.
        self.fields = {
            "time_zone": TimeZoneField(
                label="Time zone", help_text="Every time you see is shown in it.", current=scholar.time_zone
            ),
            **self.fields,
            "reminder_offsets_minutes": ReminderOffsetsField(
                label="Remind me before each meeting", current=scholar.reminder_offsets_minutes
            ),
        }


class CheckInForm(forms.Form):
    progress = forms.CharField(
        label="Progress",
        help_text="What you did and found.",
        max_length=MAX_FIELD_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Say what you did this week; progress cannot be empty."},
    )
    blockers = forms.CharField(
        label="Blockers",
        help_text="What is in your way, if anything.",
        max_length=MAX_FIELD_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_steps = forms.CharField(
        label="Next steps",
        help_text="What you will do next.",
        max_length=MAX_FIELD_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SecretURLInput(forms.URLInput):
    """A calendar's address is a secret: the page never writes it back, not even into a refused form."""

    def format_value(self, value: object) -> None:
        return None


# Longer than any provider's secret address; what the outbound policy then checks.
URL_MAX_LENGTH = 2000


class CalendarSourceAdminForm(forms.ModelForm):
    """A calendar on a person's admin page: the address is asked for when the row is added, or to replace it, and
    never shown back."""

    url = forms.CharField(
        label="Secret address (iCal)",
        required=False,
        max_length=URL_MAX_LENGTH,
        widget=SecretURLInput(attrs={"autocomplete": "off", "placeholder": "https://… (kept secret)"}),
        help_text="Leave empty to keep the address it has.",
    )

    class Meta:
        model = CalendarSource
        fields = ["label"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if not url and self.instance.pk is None:
            raise ValidationError("Give the calendar's secret address.")
        if url:
            validate_calendar_url(url)
        return url

    def save(self, commit: bool = True) -> CalendarSource:
        if self.cleaned_data.get("url"):
            calendar_source_set_url(self.instance, self.cleaned_data["url"])
        return super().save(commit)


class CalendarSourceInlineFormSet(forms.BaseInlineFormSet):
    """A person's calendars on their admin page: at most MAX_SOURCES_PER_PERSON, as anywhere else."""

    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if form.has_changed() or form.instance.pk]
        kept = [form for form in kept if not (self.can_delete and self._should_delete_form(form))]
        if len(kept) > MAX_SOURCES_PER_PERSON:
            raise ValidationError(
                f"At most {MAX_SOURCES_PER_PERSON} calendars a person: remove one before adding another."
            )


class CalendarSourceForm(forms.Form):
    """A person's own calendar address; the outbound policy (``scholars.calendar_sources``) decides."""

    url = forms.CharField(
        label="Secret address in iCal format",
        max_length=URL_MAX_LENGTH,
        widget=SecretURLInput(attrs={"placeholder": "https://calendar.google.com/calendar/ical/…/basic.ics"}),
        help_text="Google: Settings → your calendar → Integrate calendar → Secret address in iCal format. "
        "Outlook: Settings → Calendar → Shared calendars → Publish a calendar → ICS. "
        "Apple: Calendar → Share Calendar → Public Calendar.",
    )
    label = forms.CharField(max_length=100, required=False, help_text="Optional, e.g. “Work”.")
