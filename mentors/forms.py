"""Admin forms of the mentors app: a mentor's cadence, and the checks one submission needs as a whole.

The models check each row against what is saved; these forms add what only a whole submission shows (two new
windows that overlap each other).
"""

from __future__ import annotations

import itertools

from django.forms.models import BaseInlineFormSet

from cohort.forms import CadenceField, CadenceFieldsForm
from mentors.models import Availability, Mentor


class MentorAdminForm(CadenceFieldsForm):
    cadence_fields = ("cadence",)
    cadence = CadenceField(
        required=False,
        help_text="No rows: unspecified, and the cohort's default cadence applies. Saving a change here keeps it "
        "through later imports.",
    )

    class Meta:
        model = Mentor
        fields = ["cadence", "cadence_edited_by_staff"]  # the admin adds the fields of its fieldsets

    def save(self, commit: bool = True) -> Mentor:
        if "cadence" in self.changed_data:
            self.instance.cadence_edited_by_staff = True
        return super().save(commit=commit)


class WeeklyWindowFormSet(BaseInlineFormSet):
    """Availability rows, also checked against each other: the model compares a row only with saved rows."""

    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.is_valid()
            and not form.cleaned_data.get("DELETE")
            and all(form.cleaned_data.get(key) is not None for key in ("weekday", "start_time", "end_time"))
        ]
        for earlier, later in itertools.combinations(kept, 2):
            first, second = earlier.cleaned_data, later.cleaned_data
            if (
                first["weekday"] == second["weekday"]
                and first["start_time"] < second["end_time"]
                and second["start_time"] < first["end_time"]
                and later.is_valid()
            ):
                window = Availability(
                    weekday=first["weekday"], start_time=first["start_time"], end_time=first["end_time"]
                )
                later.add_error(
                    None, f"This window overlaps the {window} window above; merge them into one window."
                )
