"""Pair health: which mentorships and people are in trouble, by rules over plain records (pure: no Django).

Each rule reads what a cohort's meetings and check-ins say and returns a ``Finding`` about a subject that stays the
same while the trouble lasts ("mentorship=12", "scholar=5", "mentor=3"). ``scheduling.services.health`` keeps one row
per finding while its rule still finds it, tells people once, and resolves it when the rule no longer does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Rule(StrEnum):
    NO_FIRST_MEETING = "no_first_meeting"
    BEHIND_CADENCE = "behind_cadence"
    MISSED_CHECK_INS = "missed_check_ins"
    CANCELLATIONS = "cancellations"
    LOW_RATINGS = "low_ratings"


# Ratings run from 1 (not useful) to 4 (very useful); these two are low.
LOW_RATING = 2

RULE_LABELS = {
    Rule.NO_FIRST_MEETING: "No first meeting",
    Rule.BEHIND_CADENCE: "Below the cadence",
    Rule.MISSED_CHECK_INS: "Check-ins missed",
    Rule.CANCELLATIONS: "Many cancellations",
    Rule.LOW_RATINGS: "Low ratings",
}


@dataclass(frozen=True)
class Thresholds:
    """A cohort's thresholds (``Cohort.HEALTH_FIELDS``); 0 turns a rule off (cancellations: ``cancelled_of_last``)."""

    first_meeting_days: int = 14
    behind_weeks: int = 2
    missed_check_ins: int = 2
    cancelled_count: int = 2
    cancelled_of_last: int = 6
    low_ratings: int = 2


@dataclass(frozen=True)
class Finding:
    """What a rule found, and about whom. Staff are told of every finding, and the mentor too when
    ``tell_mentor`` (a pair's mentor, a scholar's primary mentor; not a mentor about their own cancellations)."""

    rule: Rule
    subject: str
    summary: str
    details: dict = field(default_factory=dict)
    mentorship_id: int | None = None
    mentor_id: int | None = None
    scholar_id: int | None = None
    tell_mentor: bool = True


@dataclass(frozen=True)
class KindTally:
    """Meetings of one kind held over the cadence's period ending with a week, against what the cadence asks."""

    kind: str  # as people read it: "1-on-1"
    held: int
    expected: int

    @property
    def short(self) -> bool:
        return self.held < self.expected


@dataclass(frozen=True)
class WeekTally:
    week: dt.date  # its Monday
    kinds: tuple[KindTally, ...]

    @property
    def short(self) -> tuple[KindTally, ...]:
        return tuple(kind for kind in self.kinds if kind.short)


@dataclass(frozen=True)
class PairRecord:
    mentorship_id: int
    mentor_id: int
    scholar_id: int
    mentor: str
    scholar: str
    started_on: dt.date
    first_met_on: dt.date | None  # the first meeting they held (or that is over and nobody marked)
    weeks: tuple[WeekTally, ...] = ()  # the complete weeks of the mentorship so far, oldest first
    # Their meetings' ratings, newest meeting first: the scholar's of the mentor's meetings, the mentor's of their
    # 1-on-1s.
    ratings: tuple[int, ...] = ()


@dataclass(frozen=True)
class CheckInRecord:
    scholar_id: int
    scholar: str
    mentor_id: int | None  # their primary mentor
    prompted_weeks: tuple[dt.date, ...]  # weeks they were asked in time and that have closed, oldest first
    answered_weeks: frozenset[dt.date]


@dataclass(frozen=True)
class CancellationRecord:
    """A mentor's own meetings (``scholar_id`` None), or a scholar's with their primary mentor's id."""

    name: str
    latest: tuple[bool, ...]  # their latest meetings, newest first: True where they cancelled it themselves
    mentor_id: int | None
    scholar_id: int | None = None

    @property
    def subject(self) -> str:
        return f"scholar={self.scholar_id}" if self.scholar_id is not None else f"mentor={self.mentor_id}"


def no_first_meeting(pair: PairRecord, *, today: dt.date, days: int) -> Finding | None:
    if not days or pair.first_met_on is not None or (today - pair.started_on).days < days:
        return None
    return Finding(
        Rule.NO_FIRST_MEETING,
        f"mentorship={pair.mentorship_id}",
        f"{pair.mentor} and {pair.scholar} have not met within {days} days of their mentorship's start "
        f"({pair.started_on:%d %b %Y}).",
        {"started_on": pair.started_on.isoformat(), "days": days},
        mentorship_id=pair.mentorship_id,
        mentor_id=pair.mentor_id,
        scholar_id=pair.scholar_id,
    )


def behind_cadence(pair: PairRecord, *, weeks: int) -> Finding | None:
    """The last ``weeks`` weeks that ask for a meeting all short. A week that asks for none (a break, a holiday that
    leaves too few days for a meeting) neither counts nor breaks the run."""
    asking = [week for week in pair.weeks if week.kinds]
    last = asking[-weeks:] if weeks else ()
    if len(last) < weeks or not last or not all(week.short for week in last):
        return None
    latest = last[-1]
    held = ", ".join(f"{kind.held} of {kind.expected} {kind.kind}" for kind in latest.short)
    return Finding(
        Rule.BEHIND_CADENCE,
        f"mentorship={pair.mentorship_id}",
        f"{pair.mentor} and {pair.scholar} held fewer meetings than their cadence asks for {weeks} weeks "
        f"running (to the week of {latest.week:%d %b}: {held}).",
        {
            "weeks": [
                {
                    "week_start": week.week.isoformat(),
                    "short": [{"kind": k.kind, "held": k.held, "expected": k.expected} for k in week.short],
                }
                for week in last
            ]
        },
        mentorship_id=pair.mentorship_id,
        mentor_id=pair.mentor_id,
        scholar_id=pair.scholar_id,
    )


def low_ratings(pair: PairRecord, *, count: int) -> Finding | None:
    last = pair.ratings[:count] if count else ()
    if len(last) < count or not last or any(rating > LOW_RATING for rating in last):
        return None
    return Finding(
        Rule.LOW_RATINGS,
        f"mentorship={pair.mentorship_id}",
        f"The last {count} ratings of {pair.mentor} and {pair.scholar}'s meetings were low.",
        {"ratings": list(last)},
        mentorship_id=pair.mentorship_id,
        mentor_id=pair.mentor_id,
        scholar_id=pair.scholar_id,
    )


def missed_check_ins(record: CheckInRecord, *, prompts: int) -> Finding | None:
    last = record.prompted_weeks[-prompts:] if prompts else ()
    if len(last) < prompts or not last or any(week in record.answered_weeks for week in last):
        return None
    weeks = " and ".join(f"{week:%d %b}" for week in last)
    return Finding(
        Rule.MISSED_CHECK_INS,
        f"scholar={record.scholar_id}",
        f"{record.scholar} wrote no check-in for their last {prompts} prompted weeks (weeks of {weeks}).",
        {"weeks": [week.isoformat() for week in last]},
        mentor_id=record.mentor_id,
        scholar_id=record.scholar_id,
    )


def cancellations(record: CancellationRecord, *, count: int, of_last: int) -> Finding | None:
    latest = record.latest[:of_last]
    cancelled = sum(latest)
    if not of_last or cancelled <= count:
        return None
    return Finding(
        Rule.CANCELLATIONS,
        record.subject,
        f"{record.name} cancelled {cancelled} of their last {len(latest)} meetings.",
        {"cancelled": cancelled, "of_last": len(latest)},
        mentor_id=record.mentor_id,
        scholar_id=record.scholar_id,
        tell_mentor=record.scholar_id is not None,
    )


def findings(
    *,
    thresholds: Thresholds,
    today: dt.date,
    pairs: Iterable[PairRecord] = (),
    check_ins: Iterable[CheckInRecord] = (),
    cancellation_records: Iterable[CancellationRecord] = (),
) -> list[Finding]:
    """Every finding of a cohort's records, in a stable order (by rule, then subject)."""
    found: list[Finding | None] = []
    for pair in pairs:
        found.append(no_first_meeting(pair, today=today, days=thresholds.first_meeting_days))
        found.append(behind_cadence(pair, weeks=thresholds.behind_weeks))
        found.append(low_ratings(pair, count=thresholds.low_ratings))
    found.extend(missed_check_ins(record, prompts=thresholds.missed_check_ins) for record in check_ins)
    found.extend(
        cancellations(record, count=thresholds.cancelled_count, of_last=thresholds.cancelled_of_last)
        for record in cancellation_records
    )
    return sorted((f for f in found if f is not None), key=lambda f: (list(Rule).index(f.rule), f.subject))
