"""What decides which dates a cohort's series meet on and who attends them, read once per cohort."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from cohort.cadence import MeetingKind
from cohort.models import Cohort, Phase
from mentors.models import Mentor
from scheduling.recurrence import DateRange, DateRanges, dates_in
from scholars.models import Blackout, Mentorship, Scholar

NO_DATES = DateRanges()


@dataclass
class CohortDates:
    """What decides which dates a series meets on and who attends, for one cohort, read in a fixed number of
    queries so re-materialising every series of a cohort stays cheap."""

    cohort: Cohort
    break_days: DateRanges
    phases: list[Phase]
    away: dict[tuple[str, int], DateRanges]  # ("mentor" | "scholar", pk) -> days away, whole
    away_hours: dict[
        tuple[str, int], list[tuple[Blackout, str]]
    ]  # -> time away for part of a day, in their zone
    spans: dict[tuple[int, int], tuple[dt.date, dt.date]]  # (mentor pk, scholar pk) -> mentorship dates
    scholars: dict[str, Scholar]  # by slug
    mentors: dict[str, int]  # pk by slug

    @classmethod
    def load(cls, cohort: Cohort) -> CohortDates:
        away_ranges: dict[tuple[str, int], list[DateRange]] = defaultdict(list)
        away_hours: dict[tuple[str, int], list[tuple[Blackout, str]]] = defaultdict(list)
        blackouts = (
            Blackout.objects.filter(
                Q(mentor__mentorships__scholar__cohort=cohort) | Q(scholar__cohort=cohort)
            )
            .select_related("mentor", "scholar")
            .distinct()
        )
        for blackout in blackouts:
            person = blackout.mentor or blackout.scholar
            who = ("mentor", blackout.mentor_id) if blackout.mentor_id else ("scholar", blackout.scholar_id)
            if blackout.is_part_day:
                away_hours[who].append((blackout, person.time_zone))
            else:
                away_ranges[who].append(DateRange(blackout.start_date, blackout.end_date))
        spans = {
            (m.mentor_id, m.scholar_id): (m.start_date or cohort.start_date, m.end_date or cohort.end_date)
            for m in Mentorship.objects.filter(scholar__cohort=cohort)
        }
        return cls(
            cohort=cohort,
            break_days=dates_in(DateRange(b.start_date, b.end_date) for b in cohort.breaks.all()),
            phases=list(cohort.phases.all()),
            away={who: dates_in(ranges) for who, ranges in away_ranges.items()},
            away_hours=dict(away_hours),
            spans=spans,
            scholars={s.slug: s for s in cohort.scholars.all()},
            mentors=dict(
                Mentor.objects.filter(mentorships__scholar__cohort=cohort)
                .values_list("slug", "pk")
                .distinct()
            ),
        )

    def away_on(self, person: tuple[str, int]) -> DateRanges:
        return self.away.get(person, NO_DATES)

    def phase_on(self, day: dt.date) -> Phase | None:
        return next((phase for phase in self.phases if phase.contains(day)), None)

    def away_during(self, person: tuple[str, int], span: tuple[dt.datetime, dt.datetime]) -> bool:
        """Whether the person's time away for part of a day overlaps the meeting's time."""
        return any(blackout.away_during(*span, zone) for blackout, zone in self.away_hours.get(person, ()))

    def meets_on(
        self,
        day: dt.date,
        *,
        kind: str,
        mentor_id: int,
        scholar_ids: list[int],
        span: tuple[dt.datetime, dt.datetime] | None = None,
    ) -> bool:
        """Whether a meeting of this kind takes place on the date (at ``span``, its start and end) at all.

        Breaks, the mentor's time away and phases that do not hold the kind cancel it. A scholar's time away
        cancels only a 1-on-1: in a team or group meeting the others still meet, and the scholar who is away is
        simply not expected (they stay invited: a series has one list of attendees). Time away for part of a day
        counts where it overlaps ``span``.
        """
        mentor = ("mentor", mentor_id)
        if day in self.break_days or day in self.away_on(mentor):
            return False
        if span is not None and self.away_during(mentor, span):
            return False
        phase = self.phase_on(day)
        if phase is not None and not phase.holds(kind):
            return False
        if kind == MeetingKind.ONE_ON_ONE:
            scholars = [("scholar", pk) for pk in scholar_ids]
            return not any(
                day in self.away_on(scholar) or (span is not None and self.away_during(scholar, span))
                for scholar in scholars
            )
        return True

    def attends(self, scholar: Scholar, day: dt.date, *, mentor_id: int) -> bool:
        """Whether the scholar is in the programme, in this mentorship and in a phase of theirs on the date."""
        if not scholar.is_active or (scholar.left_on and day > scholar.left_on):
            return False
        first, last = self.spans.get((mentor_id, scholar.pk), (self.cohort.start_date, self.cohort.end_date))
        if not first <= day <= last:
            return False
        phase = self.phase_on(day)
        return phase is None or phase.kind in scholar.phase_kinds()
