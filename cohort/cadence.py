"""A mentor's meeting rhythm as data, and the parser that reads it from prose.

Pure Python: no Django import, so the planner and the benchmarks can use it without a database.

The parser reads sentence by sentence and only believes a rhythm that is bound to a meeting: "weekly meetings",
"meeting 2-3x per week", "we meet twice a week", "two 45-minute 1-on-1s per week". A frequency that merely shares a
long sentence with a meeting word ("we keep daily lab books – and happy to join regular standup") is not a rhythm.
What it cannot read with confidence it leaves unspecified for staff to review; it never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum


class MeetingKind(StrEnum):
    ONE_ON_ONE = "one_on_one"
    TEAM = "team"
    GROUP = "group"
    STANDUP = "standup"


KIND_LABELS = {
    MeetingKind.ONE_ON_ONE: "1-on-1",
    MeetingKind.TEAM: "team",
    MeetingKind.GROUP: "group",
    MeetingKind.STANDUP: "stand-up",
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class MeetingDemand:
    """One kind of recurring meeting a cadence asks for.

    ``per_week_min``/``per_week_max`` are meetings per week: 0.5 is every other week, 5 is every workday.
    ``duration_minutes`` is None when the text does not say; planning then uses the cohort's default.
    """

    kind: MeetingKind
    per_week_min: float
    per_week_max: float
    duration_minutes: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.per_week_min <= 0 or self.per_week_max < self.per_week_min:
            raise ValueError(f"per-week range {self.per_week_min}..{self.per_week_max} is not valid")
        if self.per_week_max > 7:
            raise ValueError(f"{self.per_week_max} meetings a week is more than one a day")
        if self.duration_minutes is not None and not 5 <= self.duration_minutes <= 480:
            raise ValueError(f"duration {self.duration_minutes} min is outside 5..480")

    @property
    def interval_weeks(self) -> int:
        """2 for every other week, 1 for anything weekly or more often."""
        return round(1 / self.per_week_max) if self.per_week_max < 1 else 1

    def meetings_per_week(self, *, at_most: bool) -> int:
        """Meetings in one week of the series (an every-other-week series meets once in its weeks)."""
        value = self.per_week_max if at_most else self.per_week_min
        return max(1, int(value))

    def describe(self) -> str:
        if self.per_week_max < 1:
            rhythm = "every other week" if self.interval_weeks == 2 else f"every {self.interval_weeks} weeks"
        elif self.per_week_min == self.per_week_max:
            count = _number(self.per_week_min)
            rhythm = {"1": "weekly", "5": "every workday"}.get(count, f"{count}× a week")
        else:
            rhythm = f"{_number(self.per_week_min)}–{_number(self.per_week_max)}× a week"
        parts = [KIND_LABELS[self.kind], rhythm]
        if self.duration_minutes:
            parts.append(f"{self.duration_minutes} min")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value,
            "per_week_min": self.per_week_min,
            "per_week_max": self.per_week_max,
            "duration_minutes": self.duration_minutes,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict) -> MeetingDemand:
        return cls(
            kind=MeetingKind(data["kind"]),
            per_week_min=float(data["per_week_min"]),
            per_week_max=float(data["per_week_max"]),
            duration_minutes=data.get("duration_minutes"),
            source=data.get("source", ""),
        )


@dataclass(frozen=True)
class Doubt:
    """Why the reader left part of a text for staff to decide: the words that raised it, and the reason."""

    phrase: str
    reason: str
    source: str = ""

    def describe(self) -> str:
        return f"“{self.phrase}”: {self.reason}"

    def to_dict(self) -> dict:
        return {"phrase": self.phrase, "reason": self.reason, "source": self.source}

    @classmethod
    def from_dict(cls, data: dict) -> Doubt:
        return cls(phrase=data["phrase"], reason=data["reason"], source=data.get("source", ""))


@dataclass(frozen=True)
class Cadence:
    """What a mentor asked for. No demands means unspecified: nothing is guessed, staff must review it.

    ``sources`` are the sentences the demands were read from. ``doubts`` are what the reader could not decide
    (an ambiguous word, an impossible value, two sentences that disagree, a section copied from another
    mentor's): the demands it did read stand, and the cadence needs review until staff settle it.
    """

    demands: tuple[MeetingDemand, ...] = ()
    sources: tuple[str, ...] = field(default=())
    doubts: tuple[Doubt, ...] = field(default=())

    @property
    def is_specified(self) -> bool:
        return bool(self.demands)

    @property
    def needs_review(self) -> bool:
        return not self.demands or bool(self.doubts)

    def with_doubt(self, doubt: Doubt) -> Cadence:
        return replace(self, doubts=(*self.doubts, doubt))

    def describe(self) -> str:
        read = "; ".join(demand.describe() for demand in self.demands) or "unspecified"
        return f"{read} — needs review" if self.needs_review else read

    def to_dict(self) -> dict:
        data = {"demands": [d.to_dict() for d in self.demands], "sources": list(self.sources)}
        if self.doubts:
            data["doubts"] = [doubt.to_dict() for doubt in self.doubts]
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> Cadence:
        if not data:
            return cls()
        return cls(
            demands=tuple(MeetingDemand.from_dict(d) for d in data.get("demands", [])),
            sources=tuple(data.get("sources", [])),
            doubts=tuple(Doubt.from_dict(d) for d in data.get("doubts", [])),
        )


# --- Parsing ------------------------------------------------------------------------------------------------

_NUMBER_WORDS = {"one": 1, "once": 1, "two": 2, "twice": 2, "three": 3, "thrice": 3, "four": 4, "five": 5}
_COUNT = r"(\d|one|two|three|four|five)"
_PER_WEEK = r"(?:a|per|each|every|/|an?\s+)\s*week\b"
_TIMES = r"\s*(?:x|×|times)"

# Meeting nouns the rhythm must bind to. "1-on-1" before "1 h" so the hour reader never sees its digits.
_MEETING_NOUN = (
    r"(?:1[\s-]?on[\s-]?1s?|one[\s-]on[\s-]ones?|meet(?:ing)?s?|calls?|syncs?|stand[\s-]?ups?|"
    r"check[\s-]?in\s+calls?|sessions?)"
)
_KIND_WORDS = (
    (MeetingKind.STANDUP, re.compile(r"stand[\s-]?ups?")),
    (MeetingKind.ONE_ON_ONE, re.compile(r"1[\s-]?on[\s-]?1s?|one[\s-]on[\s-]ones?|individual")),
    (MeetingKind.GROUP, re.compile(r"\bgroup\b")),
    (MeetingKind.TEAM, re.compile(r"\bteam\b")),
)

# Each reader finds (min, max) per week in a sentence, bound to a meeting noun.
_RANGE = r"(\d)\s*(?:-|–|—|to)\s*(\d)"
_FREQUENCY_READERS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "meeting 2-3x per week", "2–3 times weekly", "two to three times a week"
    (re.compile(rf"{_RANGE}{_TIMES}\s*(?:{_PER_WEEK}|weekly)"), "range"),
    (re.compile(rf"\b{_COUNT}\s+to\s+{_COUNT}{_TIMES}\s*(?:{_PER_WEEK}|weekly)"), "range"),
    # "twice a week", "once a week", "2x/week", "three times per week", "3 times weekly"
    (re.compile(rf"\b(once|twice|thrice)\s*(?:{_PER_WEEK}|weekly)"), "count"),
    (re.compile(rf"\b{_COUNT}{_TIMES}\s*(?:{_PER_WEEK}|weekly)"), "count"),
    # "every other week", "fortnightly", "biweekly", "every two weeks"
    (
        re.compile(r"\bevery\s+(?:other|second|two|2)\s+weeks?\b|\bfortnightly\b|\bbi-?weekly\b"),
        "fortnightly",
    ),
    # "every weekday", "each workday"
    (re.compile(r"\b(?:every|each)\s+(?:work\s*|week\s*)day\b"), "daily"),
)
# Adjective rhythms only count when they sit right next to the meeting noun: "weekly meeting", "daily stand-up",
# "meet weekly" — never "the weekly interval" or "daily lab books".
# Words that may stand between an adjective rhythm and its noun: "weekly team meeting", "daily 15-minute stand-up".
_NOUN_MODIFIER = (
    r"(?:team|group|research|reading|lab|project|individual|short|long|in[\s-]person|video|"
    r"1[\s-]?on[\s-]?1|one[\s-]on[\s-]one|\d+(?:\.\d+)?[\s-]?(?:min(?:ute)?s?|h|hours?)|hour[\s-]long)"
)
_ADJECTIVE_RHYTHM = re.compile(
    rf"\b(weekly|daily|every\s+week|each\s+week)\s+(?:{_NOUN_MODIFIER}\s+){{0,2}}({_MEETING_NOUN})\b"
    rf"|\b({_MEETING_NOUN})\s+(weekly|daily|every\s+week|each\s+week)\b"
)
# "two 45-minute 1-on-1s per week": the count stands before the noun.
_COUNTED_NOUNS = re.compile(rf"\b{_COUNT}\s+(?:[\w.-]+\s+){{0,2}}?({_MEETING_NOUN})\s+{_PER_WEEK}")
_BINDING_GAP = 30  # characters between a frequency phrase and its meeting noun

_DURATION_READERS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\bhalf\s+an?\s+hour\b|\bhalf[\s-]hour\b"), -30),
    (re.compile(r"\b(?:an|one)\s+hour\b"), -60),
    (re.compile(r"(?<![\w-])(\d+(?:\.\d+)?)\s*-?\s*(?:h|hr|hrs|hours?)\b(?![\s-]?on)"), 60),
    (re.compile(r"(?<![\w-])(\d+)\s*-?\s*(?:m|min|mins|minutes?)\b"), 1),
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(•])|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences and bullets, stripped of bullet marks."""
    pieces = _SENTENCE_END.split(text)
    return [piece.strip().lstrip("•").strip() for piece in pieces if piece.strip().lstrip("•").strip()]


def _normalise(sentence: str) -> str:
    return sentence.lower().replace("’", "'").replace("‑", "-")


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _near_meeting_noun(sentence: str, start: int, end: int) -> re.Match[str] | None:
    """The meeting noun closest to a frequency phrase, within the binding gap on either side."""
    best = None
    for noun in re.finditer(_MEETING_NOUN, sentence):
        gap = start - noun.end() if noun.end() <= start else noun.start() - end
        if gap <= _BINDING_GAP and (best is None or gap < best[0]):
            best = (gap, noun)
    return best[1] if best else None


def _rhythms(sentence: str) -> list[tuple[float, float, int, int]]:
    """(min, max, span start, span end) of every rhythm bound to a meeting noun in the sentence."""
    found: list[tuple[float, float, int, int]] = []

    def claim(low: float, high: float, start: int, end: int) -> None:
        if not any(start < f_end and f_start < end for _, _, f_start, f_end in found):
            found.append((low, high, start, end))

    for match in _COUNTED_NOUNS.finditer(sentence):
        count = _count(match.group(1))
        claim(count, count, match.start(), match.end())
    for pattern, reading in _FREQUENCY_READERS:
        for match in pattern.finditer(sentence):
            noun = _near_meeting_noun(sentence, match.start(), match.end())
            if noun is None:
                continue
            span = (min(match.start(), noun.start()), max(match.end(), noun.end()))
            if reading == "range":
                low, high = sorted((_count(match.group(1)), _count(match.group(2))))
                claim(low, high, *span)
            elif reading == "count":
                count = _count(match.group(1))
                claim(count, count, *span)
            elif reading == "fortnightly":
                claim(0.5, 0.5, *span)
            else:
                claim(5, 5, *span)
    for match in _ADJECTIVE_RHYTHM.finditer(sentence):
        word = match.group(1) or match.group(4)
        value = 5 if word == "daily" else 1
        claim(value, value, match.start(), match.end())
    return found


def _kinds(sentence: str, start: int, end: int) -> list[MeetingKind]:
    """Kinds named in the rhythm's phrase or a parenthesis right after it; unnamed means the 1-on-1."""
    region = sentence[start:end]
    after = sentence[end:]
    parenthesis = re.match(r"\s*\(([^)]*)\)", after)
    if parenthesis:
        region += " " + parenthesis.group(1)
    kinds = [kind for kind, pattern in _KIND_WORDS if pattern.search(region)]
    return kinds or [MeetingKind.ONE_ON_ONE]


def _duration(sentence: str) -> int | None:
    for pattern, scale in _DURATION_READERS:
        match = pattern.search(sentence)
        if match:
            minutes = -scale if scale < 0 else round(float(match.group(1)) * scale)
            return int(minutes) if 5 <= minutes <= 480 else None
    return None


def parse_cadence(text: str) -> Cadence:
    """Read the meeting rhythm from a mentor's section; unspecified (needs review) when unsure.

    The same demand stated twice is kept once. Two different rhythms for the same kind of meeting contradict
    each other: the result is unspecified, with both sentences as sources, for staff to decide.
    """
    demands: dict[MeetingKind, MeetingDemand] = {}
    sources: list[str] = []
    contradictions: list[str] = []
    for sentence in split_sentences(text):
        lowered = _normalise(sentence)
        rhythms = _rhythms(lowered)
        if not rhythms:
            continue
        duration = _duration(lowered)
        for low, high, start, end in rhythms:
            for kind in _kinds(lowered, start, end):
                demand = MeetingDemand(
                    kind=kind, per_week_min=low, per_week_max=high, duration_minutes=duration, source=sentence
                )
                known = demands.get(kind)
                if known is None:
                    demands[kind] = demand
                elif (known.per_week_min, known.per_week_max) != (low, high):
                    contradictions += [known.source, sentence]
                elif known.duration_minutes is None and duration is not None:
                    demands[kind] = demand
        if sentence not in sources:
            sources.append(sentence)
    if contradictions:
        return Cadence(demands=(), sources=tuple(dict.fromkeys(contradictions)))
    ordered = sorted(demands.values(), key=lambda d: list(MeetingKind).index(d.kind))
    return Cadence(demands=tuple(ordered), sources=tuple(sources))
