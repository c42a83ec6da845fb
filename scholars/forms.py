"""Forms of the scholars app: a blackout, mentor's or scholar's, checked for what a person types by mistake; and on
a scholar's own pages, their preferences and their weekly check-in.

The model checks a blackout's own dates; the form adds what only the person's cohorts show (a blackout outside
every cohort, usually a wrong year). The scholar's forms check shapes only: ``scholars.services`` decides.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError

from cohort.models import Cohort
from cohort.time_zones import canonical_zone_names
from scholars.models import Blackout, Scholar
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
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
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


# What a person picks from; an offset set some other way (the API, the admin) is offered too, so saving the form
# never drops it.
REMINDER_CHOICES = {
    10080: "1 week",
    2880: "2 days",
    1440: "1 day",
    240: "4 hours",
    60: "1 hour",
    30: "30 minutes",
    15: "15 minutes",
    5: "5 minutes",
}
FULL_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
QUARTER_HOUR = {"type": "time", "step": 900}


def reminder_label(minutes: int) -> str:
    """'1 day', '90 minutes': how a page names a reminder offset."""
    if minutes in REMINDER_CHOICES:
        return REMINDER_CHOICES[minutes]
    hours, rest = divmod(minutes, 60)
    if rest or not hours:
        return f"{minutes} minutes"
    return f"{hours} hours"


class ScholarPreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", help_text="Every time you see is shown in it.")
    work_start = forms.TimeField(
        label="Working hours from", widget=forms.TimeInput(attrs=QUARTER_HOUR, format="%H:%M")
    )
    work_end = forms.TimeField(label="to", widget=forms.TimeInput(attrs=QUARTER_HOUR, format="%H:%M"))
    work_days = forms.TypedMultipleChoiceField(
        label="Work days",
        coerce=int,
        choices=list(enumerate(FULL_WEEKDAY_NAMES)),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one day you work."},
    )
    reminder_offsets_minutes = forms.TypedMultipleChoiceField(
        label="Remind me before each meeting",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: no reminders.",
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
        zones = canonical_zone_names()
        # A zone stored before the canonical-name rule stays selectable (and the service says why to change it).
        if scholar.time_zone not in zones:
            zones = (scholar.time_zone, *zones)
        self.fields["time_zone"].choices = [(zone, zone.replace("_", " ")) for zone in zones]
        offsets = {**REMINDER_CHOICES}
        for minutes in scholar.reminder_offsets_minutes:
            offsets.setdefault(minutes, reminder_label(minutes))
        self.fields["reminder_offsets_minutes"].choices = sorted(offsets.items(), reverse=True)

    def clean_work_days(self) -> list[int]:
        return sorted(self.cleaned_data["work_days"])

    def clean_reminder_offsets_minutes(self) -> list[int]:
        return sorted(self.cleaned_data["reminder_offsets_minutes"], reverse=True)


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
