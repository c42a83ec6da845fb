"""Admin forms of the scholars app: a blackout, mentor's or scholar's, checked for what a person types by mistake.

The model checks a blackout's own dates; the form adds what only the person's cohorts show (a blackout outside
every cohort, usually a wrong year).
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError

from cohort.models import Cohort
from scholars.models import Blackout


def _describe_cohorts(cohorts: Iterable[Cohort]) -> str:
    return "; ".join(f"{c.name}: {c.start_date:%d %b %Y} to {c.end_date:%d %b %Y}" for c in cohorts)


class BlackoutForm(forms.ModelForm):
    """Refuses a blackout that touches none of the person's cohorts: it could never keep a meeting away."""

    class Meta:
        model = Blackout
        fields = ["start_date", "end_date", "reason"]

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
