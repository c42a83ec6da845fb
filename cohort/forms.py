"""Forms of the cohort app: a cadence edited as rows of meeting demands (a mentor's, or a cohort's default), the
fields every person's settings are edited with (a zone picker, reminders and work days as check boxes, native date
and quarter-hour time inputs), the address a scholar or mentor asks a sign-in link for, and a file staff upload
to import.

The models check each value; the cadence forms turn rows into a Cadence and say what is wrong with a row as a whole.
"""

from __future__ import annotations

import math

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from cohort.cadence import KIND_LABELS, Cadence, MeetingDemand, MeetingKind
from cohort.dates import WEEKDAY_FULL_NAMES, format_duration
from cohort.models import Cohort, MeetingLimits
from cohort.time_zones import canonical_zone_names


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class MeetingDemandForm(forms.Form):
    """One row of a cadence: which meeting, how many a week (0.5 = every other week), how long."""

    # The blank choice keeps the spare row unchanged (so unchecked) until someone fills it in.
    kind = forms.ChoiceField(
        label="Meeting",
        choices=[("", "---------")] + [(kind.value, KIND_LABELS[kind]) for kind in MeetingKind],
    )
    per_week_min = forms.FloatField(
        label="At least, per week", min_value=0.5, max_value=7, help_text="0.5 is every other week."
    )
    per_week_max = forms.FloatField(label="At most, per week", min_value=0.5, max_value=7)
    duration_minutes = forms.IntegerField(
        label="Minutes", required=False, min_value=5, max_value=480, help_text="Empty: the cohort's default."
    )
    # The sentence the row was read from, kept so staff still see why the importer proposed it.
    source = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        low, high = data["per_week_min"], data["per_week_max"]
        if high < low:
            raise ValidationError(
                f"“At most” ({_number(high)}) is less than “at least” ({_number(low)}) meetings a week."
            )
        try:
            self.demand = MeetingDemand(
                kind=MeetingKind(data["kind"]),
                per_week_min=low,
                per_week_max=high,
                duration_minutes=data["duration_minutes"],
                source=data["source"],
            )
        except ValueError as error:
            raise ValidationError(f"This row is not a cadence the planner can use: {error}.") from error
        return data


class BaseMeetingDemandFormSet(BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kinds = [demand.kind for demand in self.demands()]
        for kind in {kind for kind in kinds if kinds.count(kind) > 1}:
            raise ValidationError(
                f"Two {KIND_LABELS[kind]} rows: put them in one row with a range (e.g. 2 to 3 a week)."
            )

    def demands(self) -> tuple[MeetingDemand, ...]:
        """The rows kept, in order; only after validation."""
        # Untouched extra rows were never cleaned, so they have no demand.
        return tuple(
            form.demand
            for form in self.forms
            if hasattr(form, "demand") and not form.cleaned_data.get("DELETE")
        )


MeetingDemandFormSet = forms.formset_factory(
    MeetingDemandForm, formset=BaseMeetingDemandFormSet, extra=1, can_delete=True
)


class CadenceWidget(forms.Widget):
    """Renders a cadence as a small table of demand rows (a formset prefixed with the field's name)."""

    template_name = "admin/cohort/cadence_widget.html"
    use_fieldset = True

    @staticmethod
    def formset_for(name: str, value: object) -> BaseFormSet:
        if isinstance(value, BaseFormSet):
            return value
        cadence = Cadence.from_dict(value) if isinstance(value, dict) else Cadence()
        return MeetingDemandFormSet(prefix=name, initial=[demand.to_dict() for demand in cadence.demands])

    def value_from_datadict(self, data, files, name: str) -> BaseFormSet:
        return MeetingDemandFormSet(data=data, prefix=name)

    def value_omitted_from_data(self, data, files, name: str) -> bool:
        return f"{name}-TOTAL_FORMS" not in data

    def render(self, name: str, value: object, attrs=None, renderer=None) -> SafeString:
        # The project's template engine, not the form renderer's: the template lives with the admin overrides.
        return render_to_string(self.template_name, {"formset": self.formset_for(name, value)})


class CadenceField(forms.Field):
    """Cleans to a Cadence without sources; ``CadenceFieldsForm`` keeps the sources the row was read from."""

    widget = CadenceWidget

    def clean(self, value: object) -> Cadence:
        if not isinstance(value, BaseFormSet) or not value.is_valid():
            raise ValidationError("Some rows below need fixing.", code="invalid_rows")
        demands = value.demands()
        if self.required and not demands:
            raise ValidationError(self.error_messages["required"], code="required")
        return Cadence(demands=demands)

    def has_changed(self, initial: object, data: object) -> bool:
        try:
            cleaned = self.clean(data)
        except ValidationError:
            return True
        return cleaned.demands != Cadence.from_dict(initial if isinstance(initial, dict) else None).demands


class CadenceFieldsForm(forms.ModelForm):
    """A model form whose JSON cadence fields (``cadence_fields``) are edited as rows of demands."""

    cadence_fields: tuple[str, ...] = ()

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in self.cadence_fields:
            if name not in self.changed_data:
                # Unchanged rows keep the stored value as it is: a rewrite in another spelling ({} as empty
                # demands) would count as a change of the cadence, and refresh and audit for nothing.
                cleaned[name] = getattr(self.instance, name)
            elif isinstance(cleaned.get(name), Cadence):
                # The form still holds the saved value here: keep the sentences it was read from.
                previous = Cadence.from_dict(getattr(self.instance, name))
                cleaned[name] = Cadence(demands=cleaned[name].demands, sources=previous.sources).to_dict()
        return cleaned


class CohortAdminForm(CadenceFieldsForm):
    cadence_fields = ("default_cadence",)
    default_cadence = CadenceField(
        required=False, help_text="Applies to mentors whose own cadence is unspecified."
    )

    class Meta:
        model = Cohort
        fields = ["default_cadence"]  # the admin adds the fields of its fieldsets


class SignInRequestForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True, "required": True}),
        error_messages={"required": "Type your email address.", "invalid": "That is not an email address."},
    )


MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class DocumentUploadForm(forms.Form):
    """One file to import (a stream document, a roster): small text, read whole."""

    document = forms.FileField(label="File", error_messages={"required": "Choose a file to import."})

    def __init__(self, *args, max_bytes: int = MAX_UPLOAD_BYTES, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document.size > self.max_bytes:
            raise ValidationError(
                f"{document.name} is {math.ceil(document.size / 1024)} KB; at most {self.max_bytes // 1024} KB "
                "is taken."
            )
        return document


# --- A person's settings, as people pick them -------------------------------------------------------------------

# What a person picks from; an offset set some other way (the API) is offered too, so saving a form never drops it.
REMINDER_CHOICES = {
    minutes: format_duration(minutes, exact=True) for minutes in (10080, 2880, 1440, 240, 60, 30, 15, 5)
}
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUARTER_HOUR_INPUT = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")


class TimeZoneField(forms.ChoiceField):
    """A picker of the canonical IANA zones; a zone stored before that rule stays selectable (the model's
    validator then says what to pick instead)."""

    def __init__(self, *, current: str = "", **kwargs) -> None:
        zones = canonical_zone_names()
        if current and current not in zones:
            zones = (current, *zones)
        super().__init__(choices=[(zone, zone.replace("_", " ")) for zone in zones], **kwargs)


class ReminderOffsetsField(forms.TypedMultipleChoiceField):
    """Reminder offsets as check boxes, latest first; none ticked is no reminders."""

    def __init__(self, *, current: list[int] = (), **kwargs) -> None:
        offsets = {**REMINDER_CHOICES}
        for minutes in current:
            offsets.setdefault(minutes, format_duration(minutes, exact=True))
        kwargs.setdefault("help_text", "None ticked: no reminders.")
        super().__init__(
            coerce=int,
            required=False,
            choices=sorted(offsets.items(), reverse=True),
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def clean(self, value) -> list[int]:
        return sorted(super().clean(value), reverse=True)


class WeekdaysField(forms.TypedMultipleChoiceField):
    """Days of the week as check boxes, Monday first."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("error_messages", {"required": "Tick at least one day."})
        super().__init__(
            coerce=int,
            choices=list(enumerate(WEEKDAY_FULL_NAMES)),
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def clean(self, value) -> list[int]:
        return sorted(super().clean(value))


class MeetingLimitsForm(forms.Form):
    """A person's meeting limits and preferred hours on their own page, shaped as the model's fields;
    ``meeting_limits_update`` decides what it accepts."""

    def limit_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in MeetingLimits.LIMIT_FIELDS]

    def preference_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in MeetingLimits.PREFERENCE_FIELDS]

    def preferred_days(self) -> forms.BoundField | None:
        """A mentor's preferred days for the meetings they organise; None for a scholar."""
        return self["preferred_weekdays"] if "preferred_weekdays" in self.fields else None

    def __init__(self, *args, person: MeetingLimits, **kwargs) -> None:
        editable = type(person).EDITABLE_FIELDS
        kwargs.setdefault("initial", {field: getattr(person, field) for field in editable})
        super().__init__(*args, **kwargs)
        self.fields = forms.fields_for_model(
            type(person),
            fields=editable,
            widgets={
                field: QUARTER_HOUR_INPUT
                for field in (
                    "earliest_meeting_start",
                    "latest_meeting_end",
                    "preferred_meeting_start",
                    "preferred_meeting_end",
                )
            },
        )
        free_days = self.fields["meeting_free_days"]
        self.fields["meeting_free_days"] = WeekdaysField(
            required=False, label=free_days.label, help_text="In your time zone."
        )
        if "preferred_weekdays" in self.fields:
            self.fields["preferred_weekdays"] = WeekdaysField(
                required=False,
                label="Preferred days",
                help_text="In your time zone. Plans lean to these days for the meetings you hold, when that costs "
                "no meeting and no extra meeting day.",
            )
