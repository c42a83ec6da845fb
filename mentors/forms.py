"""Forms of the mentors app: a mentor's cadence, and the checks one submission needs as a whole, in the admin; and
on a mentor's own page the seven-day editor of their weekly hours.

The models check each row against what is saved; these forms add what only a whole submission shows (two new
windows that overlap each other).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.forms.models import BaseInlineFormSet

from cohort.dates import WEEKDAY_FULL_NAMES
from cohort.forms import CadenceField, CadenceFieldsForm, WeekdaysField
from mentors.models import Availability, Mentor
from mentors.services import HoursWindow


class MentorAdminForm(CadenceFieldsForm):
    cadence_fields = ("cadence",)
    cadence = CadenceField(
        required=False,
        help_text="No rows: unspecified, and the cohort's default cadence applies. Saving a change here keeps it "
        "through later imports.",
    )

    preferred_weekdays = WeekdaysField(
        required=False,
        help_text="The planner leans to these days for this mentor's meetings (in their time zone), when that costs "
        "no meeting and no extra meeting day.",
    )

    class Meta:
        model = Mentor
        fields = ["cadence", "cadence_edited_by_staff"]  # the admin adds the fields of its fieldsets

    def save(self, commit: bool = True) -> Mentor:
        if "cadence" in self.changed_data:
            self.instance.cadence_edited_by_staff = True
        return super().save(commit=commit)


class OverlapCheckedFormSet(BaseInlineFormSet):
    """Rows of hours, also checked against each other: the model compares a row only with saved rows. Rows with the
    same ``day_field`` value must not overlap; ``overlap_message`` says so of the later, given the earlier one."""

    day_field = ""

    def overlap_message(self, earlier: dict) -> str:
        raise NotImplementedError

    def clean(self) -> None:
        super().clean()
        fields = (self.day_field, "start_time", "end_time")
        kept = [
            form
            for form in self.forms
            if form.is_valid()
            and not form.cleaned_data.get("DELETE")
            and all(form.cleaned_data.get(key) is not None for key in fields)
        ]
        for earlier, later in itertools.combinations(kept, 2):
            first, second = earlier.cleaned_data, later.cleaned_data
            if (
                first[self.day_field] == second[self.day_field]
                and first["start_time"] < second["end_time"]
                and second["start_time"] < first["end_time"]
                and later.is_valid()
            ):
                later.add_error(None, self.overlap_message(first))


class WeeklyWindowFormSet(OverlapCheckedFormSet):
    day_field = "weekday"

    def overlap_message(self, earlier: dict) -> str:
        window = Availability(
            weekday=earlier["weekday"], start_time=earlier["start_time"], end_time=earlier["end_time"]
        )
        return f"This window overlaps the {window} window above; merge them into one window."


STEP_MINUTES = 15
# Empty ranges shown under each day's last one (all days alike, so "copy to all days" copies range by range).
SPARE_RANGES = 1
MIN_RANGES_SHOWN = 2


@dataclass
class DayHours:
    weekday: int
    on: bool
    ranges: list[tuple[str, str]]  # as typed, "HH:MM"
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return WEEKDAY_FULL_NAMES[self.weekday]


class WeeklyHoursForm:
    """A mentor's whole week of hours, as the page sends it: per day ``day-N-on`` (the day's toggle) and any
    number of ``day-N-start`` / ``day-N-end`` pairs, "HH:MM" in the mentor's zone, on 15-minute steps.

    A day switched off keeps nothing; a day switched on needs at least one range; ranges of one day must not
    overlap. Empty pairs are ignored, so the page can always show a spare one.
    """

    def __init__(self, data: Mapping | None = None, *, windows: Iterable[Availability] = ()) -> None:
        self.is_bound = data is not None
        if data is None:
            by_day: dict[int, list[tuple[str, str]]] = {day: [] for day in range(7)}
            for window in sorted(windows, key=lambda w: (w.weekday, w.start_time)):
                by_day[window.weekday].append((f"{window.start_time:%H:%M}", f"{window.end_time:%H:%M}"))
            self.days = [DayHours(day, bool(ranges), ranges) for day, ranges in by_day.items()]
        else:
            self.days = [
                DayHours(
                    day,
                    data.get(f"day-{day}-on") == "on",
                    [
                        (start.strip(), end.strip())
                        for start, end in zip(
                            data.getlist(f"day-{day}-start"), data.getlist(f"day-{day}-end"), strict=False
                        )
                        if start.strip() or end.strip()
                    ],
                )
                for day in range(7)
            ]
        self.windows: list[HoursWindow] = []
        # About the week as a whole (what the service refused when saving it), shown above the days.
        self.errors_above: list[str] = []

    def is_valid(self) -> bool:
        self.windows = []
        for day in self.days:
            day.errors = []
            if not day.on:
                continue
            if not day.ranges:
                day.errors.append(f"Add hours for {day.name}, or switch the day off.")
            parsed = sorted(filter(None, (self._range(day, start, end) for start, end in day.ranges)))
            for (_, first_end), (second_start, _) in itertools.pairwise(parsed):
                if second_start < first_end:
                    day.errors.append(
                        f"{day.name}: {second_start:%H:%M} starts before {first_end:%H:%M}, when the range "
                        "before it ends; make them one range."
                    )
            self.windows.extend((day.weekday, start, end) for start, end in parsed)
        return not self.errors

    @property
    def errors(self) -> list[str]:
        return [*self.errors_above, *(error for day in self.days for error in day.errors)]

    @staticmethod
    def _range(day: DayHours, start_text: str, end_text: str) -> tuple[dt.time, dt.time] | None:
        try:
            start, end = dt.time.fromisoformat(start_text), dt.time.fromisoformat(end_text)
        except ValueError:
            day.errors.append(f"{day.name}: give both times of a range, as 09:00 and 17:30.")
            return None
        for value in (start, end):
            if value.second or value.microsecond or value.minute % STEP_MINUTES:
                day.errors.append(f"{day.name}: {value:%H:%M} is not on a quarter hour (:00, :15, :30, :45).")
                return None
        if end <= start:
            day.errors.append(f"{day.name}: {end:%H:%M} is not after {start:%H:%M}.")
            return None
        return start, end

    def ranges_shown(self) -> int:
        """How many range rows every day shows: the most any day has, and a spare."""
        return max(MIN_RANGES_SHOWN, max(len(day.ranges) for day in self.days) + SPARE_RANGES)

    def rows(self) -> list[tuple[DayHours, list[tuple[str, str]]]]:
        """Each day with its ranges padded with empty ones to ``ranges_shown``."""
        shown = self.ranges_shown()
        return [(day, day.ranges + [("", "")] * (shown - len(day.ranges))) for day in self.days]
