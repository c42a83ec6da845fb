"""A mentor's meeting rhythm as data, and the parser that reads it from prose.

Pure Python: no Django import, so the planner and the benchmarks can use it without a database.

The parser reads sentence by sentence and only believes a rhythm that is bound to a meeting: "weekly meetings",
"meeting 2-3x per week", "we meet twice a week", "two 45-minute 1-on-1s per week". A frequency that merely shares a
long sentence with a meeting word ("we keep daily lab books – and happy to join regular standup") is not a rhythm.
What it cannot read with confidence becomes a doubt (the words and the reason) that makes the cadence need review;
it never guesses a value. docs/architecture.md ("How a cadence is read") walks through the grammar.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

MAX_PER_WEEK = 7  # one a day
DURATION_RANGE = (5, 480)  # minutes a meeting may last


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


def every_weeks(interval_weeks: int) -> str:
    """ "weekly", "every other week", "every 4 weeks": how a series' interval reads."""
    return {1: "weekly", 2: "every other week"}.get(interval_weeks, f"every {interval_weeks} weeks")


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
        if self.per_week_max > MAX_PER_WEEK:
            raise ValueError(f"{self.per_week_max} meetings a week is more than one a day")
        low, high = DURATION_RANGE
        if self.duration_minutes is not None and not low <= self.duration_minutes <= high:
            raise ValueError(f"duration {self.duration_minutes} min is outside 5..480")

    @property
    def interval_weeks(self) -> int:
        """N for every N weeks (2 for every other week, 4 for monthly), 1 for anything weekly or more often."""
        return round(1 / self.per_week_max) if self.per_week_max < 1 else 1

    def meetings_per_week(self, *, at_most: bool) -> int:
        """Meetings in one week of the series (an every-other-week series meets once in its weeks)."""
        value = self.per_week_max if at_most else self.per_week_min
        return max(1, int(value))

    def describe(self) -> str:
        if self.per_week_max < 1:
            rhythm = every_weeks(self.interval_weeks)
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


# --- Reading ------------------------------------------------------------------------------------------------
#
# The reader is a small grammar, in three steps, each linear in the text:
#   1. ``_tokens`` finds the words that matter in a sentence — rhythms ("2-3x per week", "fortnightly", "on
#      Mondays and Thursdays"), meeting words ("1:1", "reading group", "call"), lengths ("half an hour", "90-minute"),
#      doubts ("biweekly", "as needed") and the joints between them ("and", "; ", "then") — one pass per kind of
#      token, a span taken by an earlier pass unavailable to a later one.
#   2. ``_frames`` groups them, left to right, into one frame per demand: a rhythm, the meeting kinds it is bound
#      to, a length. ``_read_sentence`` then lends frames what their neighbours state (``_attach_lengths``,
#      ``_share_rhythms_and_kinds``) and turns each into demands or doubts. A rhythm with no meeting word near it
#      ("daily lab books") is not a demand.
#   3. ``parse_cadence`` merges the sentences' demands per kind; what disagrees becomes a doubt.

_WORD_GAP = 12  # words between two tokens of one demand, at most

_NUMBER_WORDS = {
    "zero": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "twenty-five": 25,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
    "once": 1, "twice": 2, "thrice": 3,
}  # fmt: skip
_NUM = r"(?:\d+(?:\.\d+)?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_LENGTH_WORD = r"(?:twenty[\s-]five|forty[\s-]five|five|ten|fifteen|twenty|thirty|forty|fifty|sixty|ninety)"
_RANGE = rf"(?P<low>{_NUM})(?:\s*(?:-|to|or|until)\s*(?P<high>{_NUM}))?"
# "a week", "per week", and as non-native writers put it, "in week", "for week", "in one week".
_PER = r"(?:(?:a|an|per|each|every|/|in\s+(?:a|the|one)|in|for)\s*)"
_PERIOD = r"(?:(?P<weeks>two|2|three|3|four|4)\s+)?(?P<period>weeks?|wks?|w|fortnights?|months?|mo|days?)\b"
_ADVERB = r"(?P<adverb>weekly|wkly|monthly|daily)\b"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
_FULL_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"

_KIND_NOUN = (
    r"(?:meetings?|mtgs?|calls?|sessions?|syncs?|check[\s-]?ins?|catch[\s-]?ups?|chats?|discussions?)"
)
# Meeting words with no kind of their own, verbs among them ("we sit down", "touch base", "get together", "pair").
_MEETING_VERBS = (
    r"sit(?:s|ting)?\s+down|touch(?:es|ing)?\s+base|get(?:s|ting)?\s+together|pair(?:s|ing)?\b|with\s+me\b|"
    r"natters?\b|(?:we|you|i)(?:\s+will|'ll)?\s+talk\b|get\s+on\s+(?:zoom|teams|a\s+call)"
)
_GENERIC_NOUN = rf"{_KIND_NOUN}|meet(?:s|ups?)?\b|meeting|cadence|frequency|mentorship|mentoring|supervision|{_MEETING_VERBS}"
_ONE_ON_ONE = (
    r"1\s*:\s*1s?|1[\s-]on[\s-]1s?|1-1s?(?!\s*(?:x|×|times))|one[\s-](?:on|to)[\s-]ones?|"
    rf"individual(?:ly|\s+{_KIND_NOUN})|private\s+{_KIND_NOUN}|1to1s?"
)
_GROUP = (
    rf"gr?p[\s-]{_KIND_NOUN}|(?:paper[\s-])?reading[\s-]groups?|journal\s+clubs?|group[\s-]{_KIND_NOUN}|"
    rf"group[\s-](?:reading|paper)[\s-]?{_KIND_NOUN}?|(?:as|in)\s+an?\s+group|(?:as|in)\s+groups"
)
_TEAM = rf"(?:team|lab|project|research\s+group)[\s-]{_KIND_NOUN}|all[\s-]hands|(?:as|in)\s+an?\s+team"
_STANDUP = r"(?:team\s+|group\s+)?stand[\s-]?ups?|scrums?"


class _Token:
    """A word or phrase that matters, at ``start``..``end`` of the lowered sentence."""

    __slots__ = ("clause", "end", "start", "type", "value")

    def __init__(self, type_: str, start: int, end: int, value: object = None) -> None:
        self.type, self.start, self.end, self.value = type_, start, end, value
        self.clause = 0  # which clause of the sentence it is in, once the frames are read


@dataclass(frozen=True)
class _Rhythm:
    low: float
    high: float
    explicit: bool = True  # weekday names only suggest a rhythm; a stated one overrides them
    days: frozenset[int] = frozenset()  # the weekdays named, for a rhythm stated by them


def _count(word: str) -> float:
    word = re.sub(r"\s+", "-", word)
    return float(word) if word[0].isdigit() else float(_NUMBER_WORDS[word])


def _weeks_of(period: str, times: str | None = None) -> float:
    """How many weeks a period ("two weeks") is; a day is a workday (a fifth of a week), a month four weeks."""
    weeks = {"week": 1, "wk": 1, "w": 1, "fortnight": 2, "month": 4, "mo": 4, "day": 0.2}[period.rstrip("s")]
    return weeks * (_count(times) if times else 1)


def _per_week(low: float, high: float, weeks: float) -> tuple[float, float] | str:
    """Meetings per week, or why these counts are no rhythm the planner can keep."""
    low, high = sorted((low, high))
    if low <= 0:
        return "a rhythm that may be zero is no rhythm to plan"
    if not (low.is_integer() and high.is_integer()):
        return "a fraction of a meeting is no rhythm to plan"
    per_week = (low / weeks, high / weeks)
    if per_week[1] > MAX_PER_WEEK:
        return f"more than {MAX_PER_WEEK} meetings a week (one a day)"
    for value in per_week:
        if value < 1 and not (1 / value).is_integer():
            return "meetings a month that do not fall every N weeks"
    return per_week


# Each pass: (token type, pattern). Passes run in this order; a later pass cannot take a span an earlier one took.
_PASSES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (type_, re.compile(pattern))
    for type_, pattern in (
        # Hours of work a week are no meeting length: "expect 10-15 hours a week".
        ("skip", rf"\b{_NUM}(?:\s*(?:-|to)\s*{_NUM})?\s*(?:h|hrs?|hours?)\s*(?:a|an|per|/)\s*(?:week|wk)\b"),
        # "w/ me" is "with me"; a meeting room or meeting notes are no meeting.
        (
            "skip",
            r"\bw/(?=\s|me\b)|\bmeeting\s+(?:rooms?|notes|minutes|agendas?|links?|spaces?|invites?)\b",
        ),
        # A question about the rhythm ("How often?") is none; its answer follows.
        ("skip", r"\bhow\s+(?:often|frequent(?:ly)?|long|regularly)\b"),
        # A span of clock time is the meeting's length: "3–4pm", "14:00–14:45", "from 10 to 11:30".
        (
            "time_span",
            r"\b(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?\s*(?P<p1>am|pm)?\s*(?:-|to|until|till)\s*"
            r"(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?\s*(?P<p2>am|pm)?(?![\w:])",
        ),
        ("skip", r"\b(?:less\s+than|within|under|in)\s+\d+\s*(?:h|hrs?|hours?|days?)\b"),
        # "Depending on your stage" hedges; it names no phase.
        ("skip", r"\bdepending\s+on(?:\s+[\w']+){1,4}"),
        ("label", r"^(?P<word>individual|1:1s?|one[\s-](?:on|to)[\s-]ones?|group|grp|team|lab)\s*(?::|-|\|)"),
        # Whose meeting it is not: the mentor's own advisor, co-authors, students elsewhere, other mentors.
        (
            "others",
            r"\b(?:my|our)\s+(?:own\s+)?(?:co-?authors?|collaborators?|advis[eo]r|supervisor|manager|boss|"
            r"phd\s+students|students|colleagues|lab\s*mates)\b|\bat\s+my\s+(?:university|institute|company|"
            r"day\s+job|job|work)\b|\bother\s+mentors\b|\boutside\s+(?:of\s+)?(?:mats|the\s+\w+|this\s+\w+)\b",
        ),
        # A possibility or an offer, not the rhythm: "if you prefer", "we might add".
        (
            "maybe",
            r"\bif\s+(?:you\s+(?:prefer|like|want|wish)|there(?:'s|\s+is|\s+are)|we\s+(?:need|want))|"
            r"\bshould\s+(?:the|we|you)\b|\bmight\b|\bwe\s+may\b|\bi'd\s+(?:run|hold|add|offer|start)\b|"
            r"\bperhaps\b|\bmaybe\b|\b(?:that\s+|it\s+)?depends\s+on\b|\bvar(?:y|ies)\b|\bup\s+to\s+you\b",
        ),
        ("standup", rf"\b(?:{_STANDUP})\b"),
        ("one_on_one", rf"(?<![\w:])(?:{_ONE_ON_ONE})(?!\w)"),
        ("group", rf"\b(?:{_GROUP})\b"),
        ("team", rf"\b(?:{_TEAM})\b"),
        (
            "length_range",
            rf"\b(?:between\s+)?{_NUM}\s*(?:-|to|and)\s*{_NUM}[\s-]*(?:minutes?|mins?|m|hours?|hrs?|h)\b",
        ),
        (
            "length_range",
            rf"\b(?:an?|{_NUM}|{_LENGTH_WORD})[\s-]*(?:minutes?|mins?|hours?|hrs?)\s*(?:-|to|or)\s*"
            rf"(?:an?|{_NUM}|{_LENGTH_WORD})[\s-]*(?:minutes?|mins?|m|hours?|hrs?|h)\b",
        ),
        (
            "length",
            r"\b(?P<h>\d+(?:\.\d+)?)\s*(?:h|hrs?|hours?)\s*(?:and\s*)?(?P<m>\d+)\s*(?:m|mins?|minutes?)?\b",
        ),
        (
            "length",
            rf"\b(?P<n>\d+(?:\.\d+)?|{_LENGTH_WORD}|one|two|three|four)[\s-]*(?P<unit>minutes?|mins?|m|hours?|hrs?|h)"
            r"(?:[\s-]long)?\b",
        ),
        ("length_90", r"\b(?:(?:an?|one)\s+)?hour\s+and\s+a\s+half\b|\bone\s+and\s+a\s+half\s+hours?\b"),
        ("length_30", r"\bhalf[\s-]an?[\s-]hour(?:[\s-]long)?\b|\bhalf[\s-]hour(?:[\s-]long)?\b"),
        ("length_15", r"\b(?:a\s+)?quarter[\s-](?:of\s+an[\s-])?hour(?:[\s-]long)?\b"),
        ("length_60", r"\b(?:(?:an?|one)[\s-]hour(?:[\s-]long)?|hour[\s-]long)\b"),
        # Words that leave the rhythm open.
        (
            "vague",
            r"\b(?:bi[\s-]?weekly|bi[\s-]?wk|bi[\s-]?monthly|every\s+other\s+day|hourly|"
            rf"(?:a\s+(?:couple|few)(?:\s+of)?|several|multiple|many|some)\s+times(?:\s*{_PER}?(?:week|wk)\b)?|regular(?:ly)?|occasional(?:ly)?|periodic(?:al)?(?:ly)?|"
            r"frequent(?:ly)?|often|from\s+time\s+to\s+time|every\s+(?:couple|few)\s+(?:of\s+)?(?:weeks|days)|most\s+weeks|flexibl[ey]|irregular(?:ly)?)\b",
        ),
        (
            "extra",
            r"\b(?:as[\s-]needed|ad[\s-]hoc|on\s+(?:request|demand)|when(?:ever)?\s+(?:needed|useful|necessary)|"
            r"if\s+(?:needed|necessary|useful)|as\s+required|as\s+necessary|optional(?:ly)?|extra|additional)\b",
        ),
        (
            "bound",
            r"\b(?:at\s+least|at\s+most|up\s+to|no\s+more\s+than|or\s+more|minimum\s+of|maximum\s+of)\b",
        ),
        (
            "negation",
            r"\b(?:not|don't|do\s+not|doesn't|does\s+not|won't|will\s+not|never|no\s+longer|rather\s+than|"
            r"instead\s+of|without)\b|\bno\b(?!\s*,)",
        ),
        # Stated rhythms.
        (
            "count_rhythm",
            rf"\bbetween\s+(?P<low>{_NUM})\s+and\s+(?P<high>{_NUM})\s*(?:x|times?)?\s*{_PER}{_PERIOD}",
        ),
        ("count_rhythm", rf"\b{_RANGE}\s*(?:x|times?)\s*(?:{_PER}|p/?)?{_PERIOD}"),
        ("count_rhythm", rf"\b{_RANGE}\s*/\s*(?P<period>week|wk)\b"),
        ("count_rhythm", rf"\b{_RANGE}\s+per\s+{_PERIOD}"),
        (
            "count_rhythm",
            rf"\b(?P<low>once|twice|thrice)(?:\s+or\s+(?P<high>twice|thrice|three\s+times))?\s*{_PER}?{_PERIOD}",
        ),
        (
            "count_adverb",
            rf"\b(?P<low>once|twice|thrice)(?:\s+or\s+(?P<high>twice|thrice|three\s+times))?[\s-]*{_ADVERB}",
        ),
        ("count_adverb", rf"\b{_RANGE}\s*(?:x|times?)[\s-]*{_ADVERB}"),
        (
            "count_rhythm",
            rf"\b{_RANGE}\s+(?:days?|evenings?|mornings?|afternoons?)\s*{_PER}(?P<period>week|wk)\b",
        ),
        (
            "per",
            r"\b(?P<word>per|a|an|each|every)\s+(?P<period>week|wk|fortnight|month)\b|/\s*(?P<period2>week|wk)\b|\bp/?w\b",
        ),
        ("half_week", r"\bsemi[\s-]?weekly\b"),
        (
            "per_period",
            r"\b(?:every|each)\s+(?P<n>other|second|alternate|third|fourth|\d+(?:st|nd|rd|th)?|two|three|four|five|six)"
            rf"\s+(?:weeks?|wks?|{_FULL_DAY})\b",
        ),
        ("per_period", r"\b(?P<n>alternate)\s+weeks\b"),
        ("fortnightly", r"\b(?:fortnightly|semi[\s-]?monthly|twice[\s-]monthly)\b"),
        ("monthly", r"\bmonthly\b"),
        ("weekly", r"\b(?:weekly|wkly|on\s+a\s+weekly\s+basis)\b"),
        (
            "daily",
            r"\b(?:daily|(?:every|each)\s+(?:single\s+)?(?:week|work(?:ing)?|business)?[\s-]?day|"
            r"on\s+(?:weekdays|workdays|working\s+days)|m\s*-\s*f)\b",
        ),
        (
            "day_range",
            rf"\b(?P<first>{_FULL_DAY}|{_DAY})\s*(?:-|to|through|thru|until)\s*(?P<last>{_FULL_DAY}|{_DAY})\b",
        ),
        ("days", rf"\b{_FULL_DAY}(?:\s*(?:,|/|&|and|or|\+)\s*(?:{_FULL_DAY}|{_DAY}))*\b"),
        ("days", rf"\b{_DAY}(?:\s*(?:,|/|&|\+)\s*(?:{_FULL_DAY}|{_DAY}))+\b|\b(?:tues?|thu|thurs?|fri)\b"),
        ("days", r"\b(?:m|tu?|w|th|r|f)(?:\s*/\s*(?:m|tu?|w|th|r|f))+\b"),
        ("generic", rf"\b(?:{_MEETING_VERBS})"),
        ("split", r"\b(?:the\s+)?other\s+one\b|\bthe\s+other\s+is\b"),
        ("count", rf"\bbetween\s+(?P<low>{_NUM})\s+and\s+(?P<high>{_NUM})\b"),
        ("count", rf"\b(?P<low>{_NUM}|an?)(?:\s*(?:-|to|or)\s*(?P<high>{_NUM}))?\b"),
        # Meeting words with no kind of their own, and "group"/"team" on their own.
        ("kind_word", r"\b(?:group|grp|team|individual)\b"),
        ("generic", rf"\b(?:{_GENERIC_NOUN})"),
        # Joints.
        (
            "phase",
            r"\b(?:phase|stage|initially|at\s+first|at\s+the\s+(?:start|beginning)|"
            r"(?:first|last|final)\s+(?:\w+\s+)?(?:weeks?|months?|days?)|"
            r"towards?\s+the\s+end|later\s+on|afterwards?|for\s+the\s+rest)\b",
        ),
        ("then", r"\b(?:then|later|after\s+that|after|during|until|once\s+the)\b"),
        (
            "clause",
            r";|\s[-–—]\s|\b(?:but|though|although|whereas|while|because|since|however|except|unless)\b|\.\s",
        ),
        ("or", r"\bor\b|/"),
        ("and", r"\b(?:and|plus|as\s+well\s+as|along\s+with|in\s+addition\s+to|also)\b|[,&+]"),
        ("open", r"\("),
        ("close", r"\)"),
        ("each", r"\b(?:each|both|all|apiece)\b"),
    )
)

_KIND_TOKENS = {
    "standup": MeetingKind.STANDUP,
    "one_on_one": MeetingKind.ONE_ON_ONE,
    "group": MeetingKind.GROUP,
    "team": MeetingKind.TEAM,
}
# "group", "team" and "individual" on their own, where they name a meeting (a label, a parenthesis).
_KIND_WORDS = {
    "group": MeetingKind.GROUP,
    "grp": MeetingKind.GROUP,
    "team": MeetingKind.TEAM,
    "lab": MeetingKind.TEAM,
}
_VAGUE_REASONS = {
    "biweekly": "means twice a week or every two weeks",
    "bimonthly": "means twice a month or every two months",
    "every other day": "is two or three times a week",
    "hourly": "is more often than once a day",
}
_LENGTH_UNITS = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1}


_DIGITS = tuple("0123456789")
_DAY_CUES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBER_CUES = (*_DIGITS, "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "once", "twice", "thrice")  # fmt: skip
# Words one of which a pass's every match holds: a sentence without any skips the pass, which is most of the work
# on the prose around a cadence. ``tests/cohort/test_cadence.py`` checks the gate never changes a reading.
_CUES: dict[str, tuple[str, ...]] = {
    "skip": ("week", "wk", "w/", "meeting", "how", "less", "within", "under", "in ", "depending"),
    "time_span": (":", "am", "pm"),
    "others": ("my ", "our ", "at my", "other mentors", "outside"),
    "maybe": ("if ", "should", "might", "may ", "i'd", "perhaps", "maybe", "depend", "var", "up to"),
    "standup": ("stand", "scrum"),
    "one_on_one": ("1", "one", "individual", "private"),
    "group": ("gp", "grp", "group", "reading", "journal"),
    "team": ("team", "lab", "project", "research", "hands"),
    "length_range": (*_DIGITS, "min", "hour", "hr"),
    "length": (*_DIGITS, "min", "hour", "hr"),
    "length_90": ("hour",),
    "length_30": ("hour",),
    "length_15": ("hour",),
    "length_60": ("hour",),
    "bound": ("least", "most", "up to", "no more", "or more", "minimum", "maximum"),
    "vague": ("bi", "hourly", "times", "regular", "occasional", "periodic", "frequent", "often", "time to time",
              "every couple", "every few", "most weeks", "flexib", "irregular"),
    "extra": ("needed", "hoc", "request", "demand", "when", "if ", "required", "necessary", "optional", "extra",
              "additional"),
    "negation": ("not", "n't", "never", "no", "rather", "instead", "without"),
    "generic": ("meet", "mtg", "call", "session", "sync", "check", "catch", "chat", "discuss", "cadence", "frequenc",
                "mentor", "supervis", "sit", "touch", "together", "pair", "with me", "natter", "talk", "get on"),
    "count_rhythm": _NUMBER_CUES,
    "count_adverb": _NUMBER_CUES,
    "per": ("week", "wk", "fortnight", "month", "p/w", "pw"),
    "half_week": ("semi",),
    "per_period": ("every", "each", "alternate"),
    "fortnightly": ("fortnight", "monthly"),
    "monthly": ("monthly",),
    "weekly": ("weekly", "wkly"),
    "daily": ("daily", "day", "m-", "m -"),
    "day_range": _DAY_CUES,
    "days": (*_DAY_CUES, "/"),
    "split": ("other",),
    "kind_word": ("group", "grp", "team", "individual"),
    "phase": ("phase", "stage", "initial", "first", "start", "beginning", "last", "final", "end", "later", "after",
              "rest"),
    "then": ("then", "later", "after", "during", "until", "once"),
    "open": ("(",),
    "close": (")",),
    "each": ("each", "both", "all", "apiece"),
}  # fmt: skip


def _tokens(sentence: str, *, gated: bool = True) -> list[_Token]:
    """The sentence's tokens in text order. Each pass skips text an earlier pass took."""
    taken = bytearray(len(sentence) + 1)
    found: list[_Token] = []
    for type_, pattern in _PASSES:
        cues = _CUES.get(type_) if gated else None
        if cues is not None and not any(cue in sentence for cue in cues):
            continue
        for match in pattern.finditer(sentence):
            start, end = match.span()
            if start == end or any(taken[start:end]):
                continue
            token = _interpret(_Token(type_, start, end, match), match)
            if token is None:  # not what the pass looks for after all: the words stay free for later passes
                continue
            taken[start:end] = b"\x01" * (end - start)
            found.append(token)
    found.sort(key=lambda token: token.start)
    return [token for token in found if token.type != "skip" and not _describes_another_noun(sentence, token)]


# Words that may follow a rhythm adverb ("we meet weekly with…"); any other word after "weekly" is a noun it
# describes ("a weekly newsletter", "the weekly interval", "daily lab books") unless a meeting word follows soon.
_AFTER_ADVERB = frozenset(
    [
        "with",
        "on",
        "at",
        "in",
        "for",
        "during",
        "by",
        "via",
        "over",
        "to",
        "and",
        "or",
        "but",
        "as",
        "from",
        "until",
        "till",
        "throughout",
        "across",
        "online",
        "remotely",
        "usually",
        "typically",
        "ideally",
        "normally",
        "generally",
        "mostly",
        "is",
        "are",
        "be",
        "will",
        "would",
        "then",
        "plus",
        "where",
        "when",
        "which",
        "that",
        "so",
        "if",
        "through",
        "unless",
        "except",
        "starting",
        "i",
        "we",
        "you",
        "they",
        "it",
        "basis",
        "together",
        "between",
        "too",
        "also",
        "including",
        "either",
        "both",
        "each",
        "about",
        "around",
        "after",
        "before",
        "morning",
        "mornings",
        "afternoon",
        "afternoons",
        "evening",
        "evenings",
        "me",
        "us",
        "them",
        "of",
        "the",
        "alongside",
        "scholars",
        "mentees",
        "students",
    ]
)
_ADJECTIVES = re.compile(r"(?:[a-z]+[\s-])?(?:weekly|wkly|daily|monthly|fortnightly|semi[\s-]?weekly)")
_MEETING_OR_LENGTH = re.compile(
    rf"{_GENERIC_NOUN}|{_ONE_ON_ONE}|{_STANDUP}|{_GROUP}|{_TEAM}|group|team|hour|min"
)
_NEXT_WORDS = re.compile(r"[\s,]*([a-z][a-z'-]*)?(?:\s+[a-z0-9:'-]+)?")


def _describes_another_noun(sentence: str, token: _Token) -> bool:
    """Whether a rhythm adjective describes a noun that is no meeting ("a weekly newsletter")."""
    if token.type != "rhythm" or not _ADJECTIVES.fullmatch(sentence[token.start : token.end]):
        return False
    following = _NEXT_WORDS.match(sentence, token.end)
    word = following.group(1)
    if word is None or word in _AFTER_ADVERB:
        return False
    return not _MEETING_OR_LENGTH.search(following.group(0))


def _interpret(token: _Token, match: re.Match[str]) -> _Token | None:
    """Give a token its value: a _Rhythm or the reason it is none, a length in minutes, a kind."""
    groups = match.groupdict()
    text = match.group(0)
    type_ = token.type
    value: object = None
    if type_ == "count_rhythm":
        low, high = _count(groups["low"]), _count(groups.get("high") or groups["low"])
        value = _per_week(low, high, _weeks_of(groups["period"], groups.get("weeks")))
    elif type_ == "count_adverb":
        low, high = _count(groups["low"]), _count(groups.get("high") or groups["low"])
        value = _per_week(low, high, {"weekly": 1, "wkly": 1, "monthly": 4, "daily": 0.2}[groups["adverb"]])
    elif type_ == "half_week":
        value = (2.0, 2.0)
    elif type_ == "per_period":
        every = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", groups["n"])
        weeks = {"other": 2, "second": 2, "alternate": 2, "third": 3, "fourth": 4}.get(every) or _count(every)
        value = (1 / weeks, 1 / weeks) if weeks >= 1 else "a rhythm that may be zero is no rhythm to plan"
    elif type_ in ("fortnightly", "monthly", "weekly", "daily"):
        per_week = {"fortnightly": 0.5, "monthly": 0.25, "weekly": 1.0, "daily": 5.0}[type_]
        value = (per_week, per_week)
    elif type_ == "day_range":
        first, last = (_weekday_index(groups[name]) for name in ("first", "last"))
        days = last - first + 1
        value = (float(days), float(days)) if days > 0 else "a span of days that runs backwards"
    elif type_ == "days":
        names = {
            _weekday_index(word) for word in re.findall(r"[a-z]+", text) if _weekday_index(word) is not None
        }
        count = 1 if re.search(r"\bor\b", text) else len(names)
        days = frozenset() if count == 1 and len(names) > 1 else frozenset(names)
        return _Token("weekdays", token.start, token.end, _Rhythm(count, count, explicit=False, days=days))
    elif type_ == "time_span":
        minutes = _span_minutes(groups)
        return _Token("length", token.start, token.end, minutes) if minutes else None
    elif type_ == "per":
        period = groups.get("period") or groups.get("period2") or "week"
        value = (groups.get("word") in ("each", "every"), _weeks_of(period))
    elif type_ == "count":
        value = _count(groups["low"]), _count(groups.get("high") or groups["low"])
    elif type_ == "length":
        if groups.get("h") is not None:
            value = round(float(groups["h"]) * 60 + float(groups["m"]))
        else:
            unit = groups["unit"]
            value = round(_count(groups["n"]) * (_LENGTH_UNITS.get(unit, 60)))
    elif type_.startswith("length_") and type_ != "length_range":
        return _Token("length", token.start, token.end, int(type_.removeprefix("length_")))
    elif type_ == "label":
        return _Token("kind", token.start, token.end, _KIND_WORDS.get(groups["word"], MeetingKind.ONE_ON_ONE))
    elif type_ in _KIND_TOKENS:
        return _Token("kind", token.start, token.end, _KIND_TOKENS[type_])
    if type_ in (
        "count_rhythm",
        "count_adverb",
        "half_week",
        "per_period",
        "fortnightly",
        "monthly",
        "weekly",
        "daily",
        "day_range",
    ):
        rhythm = value if isinstance(value, str) else _Rhythm(*value)
        return _Token("rhythm", token.start, token.end, rhythm)
    token.value = value
    return token


_WEEKDAY_LETTERS = {"m": 0, "t": 1, "tu": 1, "w": 2, "th": 3, "r": 3, "f": 4}


def _span_minutes(groups: dict) -> int | None:
    """The minutes from one clock time to another ("3-4pm", "14:00-14:45"); None where the words are no clock
    times (no minutes and no am/pm: "2-3" is a count) or the span runs backwards."""
    if not (groups["m1"] or groups["m2"] or groups["p1"] or groups["p2"]):
        return None

    def minute(hour: str, minutes: str | None, half: str | None) -> int:
        value = int(hour) % 12 + (12 if half == "pm" else 0) if half else int(hour)
        return value * 60 + int(minutes or 0)

    start = minute(groups["h1"], groups["m1"], groups["p1"] or (groups["p2"] if groups["p2"] else None))
    end = minute(groups["h2"], groups["m2"], groups["p2"])
    return end - start if 0 < end - start <= 24 * 60 else None


def _weekday_index(word: str) -> int | None:
    if word in _WEEKDAY_LETTERS:
        return _WEEKDAY_LETTERS[word]
    word = word.rstrip("s") if len(word) > 4 else word
    for index, name in enumerate(_WEEKDAYS):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return index
    return None


@dataclass
class _Frame:
    """One demand being read: its rhythm, the kinds bound to it, its length, and what casts doubt on it."""

    joined: bool = False  # reached through "and"/","/"or" from the frame before, so it may share its rhythm
    clause: int = 0  # which clause of the sentence ("; ", " - ", "but" part them)
    negated: bool = False  # "we don't do daily stand-ups", "rather than a monthly all-hands": no demand
    others: bool = False  # someone else's meeting: "I meet my co-authors weekly", "my own advisor checks in"
    kinds: list[MeetingKind] = field(default_factory=list)
    generic: bool = False  # a meeting word with no kind of its own: a 1-on-1 unless a kind is named
    kinds_at: tuple[int, int] | None = None
    rhythm: _Rhythm | None = None
    rhythm_token: _Token | None = None
    rhythm_first: bool = False  # "weekly 1:1s and group calls": the rhythm reaches the kinds after it
    count: _Token | None = None  # "two 45-minute 1-on-1s per week": the count waits for its period
    length: int | None = None
    length_token: _Token | None = None
    length_shared: bool = False
    doubts: list[tuple[_Token, str]] = field(default_factory=list)
    vague: _Token | None = None
    extra: _Token | None = None
    bound: _Token | None = None
    last_end: int = 0
    has_content: bool = False

    @property
    def has_kinds(self) -> bool:
        return bool(self.kinds) or self.generic

    @property
    def has_rhythm(self) -> bool:
        return self.rhythm_token is not None

    @property
    def complete(self) -> bool:
        return self.has_kinds and self.has_rhythm

    def meeting_kinds(self) -> list[MeetingKind]:
        return list(dict.fromkeys(self.kinds)) or ([MeetingKind.ONE_ON_ONE] if self.generic else [])

    def touch(self, token: _Token) -> None:
        self.last_end = max(self.last_end, token.end)
        self.has_content = True

    def add_kind(self, token: _Token, kind: MeetingKind | None) -> None:
        if kind is None:
            self.generic = True
        else:
            self.kinds.append(kind)
        start = token.start if self.kinds_at is None else self.kinds_at[0]
        self.kinds_at = (start, token.end)
        if self.has_rhythm and len(self.kinds) + self.generic == 1:
            self.rhythm_first = True
        self.touch(token)

    def set_rhythm(self, token: _Token) -> None:
        value = token.value
        self.rhythm_token = token
        self.rhythm = value if isinstance(value, _Rhythm) else None
        if isinstance(value, str):
            self.doubts.append((token, value))
        self.touch(token)


def _words_between(sentence: str, start: int, end: int) -> int:
    """Words between two offsets; a stretch too long to hold _WORD_GAP words is not counted, to stay linear."""
    if end - start > 50 * _WORD_GAP:
        return _WORD_GAP + 1
    return len(sentence[start:end].split()) if end > start else 0


def _frames(sentence: str, tokens: list[_Token]) -> list[_Frame]:
    """Group a sentence's tokens into frames, one per demand it states."""
    frames = [_Frame()]
    joint: str | None = None  # "and" or "or" met since the frame's last token
    in_parenthesis = False
    count: _Token | None = None  # the last count, while it may still start "two calls a week"
    each_end: int | None = None  # where the last "each" or "both" ended: "each an hour"
    heading_weeks: float | None = None  # a period stated before its counted meetings: "Each week: two 1:1s"

    bound: _Token | None = None  # "at least", "up to": a bound, when a rhythm follows at once
    clause = 0

    def new_frame() -> _Frame:
        frames.append(_Frame(joined=joint is not None, clause=clause))
        return frames[-1]

    for index, token in enumerate(tokens):
        frame = frames[-1]
        type_ = token.type
        token.clause = clause
        if type_ in ("and", "or"):
            joint = "or" if type_ == "or" or joint == "or" else "and"
            count = None
            continue
        if type_ == "clause":
            if _labels_what_follows(sentence, token, frames):  # "Stand-up — Mon–Fri, 15 min"
                continue
            clause += 1
            frames.append(_Frame(clause=clause))
            joint, count, heading_weeks = None, None, None
            continue
        if type_ == "negation":
            frame = new_frame()
            frame.negated = True
            joint = None
            continue
        if type_ == "others":
            frame.others = True
            continue
        if type_ in ("maybe", "split"):
            continue
        if type_ == "bound":
            if (
                frame.rhythm_token is not None
                and _words_between(sentence, frame.rhythm_token.end, token.start) <= 1
            ):
                frame.bound = token  # "twice a week or more"
            bound = token
            continue
        if type_ in ("open", "close"):
            in_parenthesis = type_ == "open"
            continue
        if type_ == "count":
            count = token
            continue
        if type_ == "each":
            # "…, 30 minutes each": the length is every demand's before it.
            length = frame.length_token
            if length is not None and _words_between(sentence, length.end, token.start) <= 1:
                frame.length_shared = True
            each_end = token.end
            continue
        if type_ in ("phase", "then"):
            continue
        if frame.has_content and _words_between(sentence, frame.last_end, token.start) > _WORD_GAP:
            frames.append(_Frame(clause=clause))
            frame = frames[-1]
        if type_ in ("kind", "generic", "kind_word"):
            value = token.value if type_ == "kind" else None
            if type_ == "kind_word":
                if not _kind_word_counts(sentence, tokens, index, frame, joint, in_parenthesis):
                    continue
                value = _KIND_WORDS.get(sentence[token.start : token.end], MeetingKind.ONE_ON_ONE)
            fresh_count = count is not None and frame.count is not None
            if joint is not None and not in_parenthesis and (frame.complete or fresh_count):
                frame = new_frame()
            if count is not None and _words_between(sentence, count.end, token.start) <= 3:
                frame.count = count
                if heading_weeks is not None:  # "Each week: two 1:1s and one reading group"
                    frame.set_rhythm(
                        _Token("rhythm", count.start, count.end, _counted_rhythm(count, heading_weeks))
                    )
            frame.add_kind(token, value)
        elif type_ == "per":
            counted, weeks = token.value
            if (
                frame.count is not None
                and frame.kinds_at
                and _words_between(sentence, frame.kinds_at[1], token.start) <= 3
            ):
                token.value = _counted_rhythm(frame.count, weeks)
                _share_count(frames, weeks)
            elif counted:
                token.value = _Rhythm(1 / weeks, 1 / weeks)
                if not frame.has_kinds:
                    heading_weeks = weeks
            else:
                continue
            frame = _place_rhythm(sentence, frames, token, joint)
        elif type_ in ("rhythm", "weekdays"):
            frame = _place_rhythm(sentence, frames, token, joint)
        if (
            type_ in ("rhythm", "per")
            and bound is not None
            and _words_between(sentence, bound.end, token.start) <= 1
        ):
            frame.bound = bound
        elif type_ in ("length", "length_range"):
            if frame.length_token is not None:
                if not frame.complete:
                    frame.doubts.append((token, "two lengths for one meeting"))
                    frame.touch(token)
                    continue
                frame = new_frame()
            elif frame.complete and joint is not None:
                frame = new_frame()
            frame.length_token = token
            frame.length = token.value if type_ == "length" else None
            frame.length_shared = (
                each_end is not None and _words_between(sentence, each_end, token.start) <= 1
            )
            frame.touch(token)
        elif type_ in ("vague", "extra"):
            if frame.complete and joint is not None:
                if type_ == "vague" and joint == "or":
                    frame.doubts.append((token, "gives a choice of rhythms"))
                    frame.touch(token)
                    joint = None
                    continue
                frame = new_frame()
            setattr(frame, type_, token)
            frame.touch(token)
        joint = None
    return [frame for frame in frames if frame.has_content]


def _kind_word_counts(
    sentence: str, tokens: list[_Token], index: int, frame: _Frame, joint: str | None, in_parenthesis: bool
) -> bool:
    """Whether a bare "group" or "team" names a meeting: in a parenthesis after one ("meetings (1-on-1 and
    group)"), or coordinated with a meeting word ("1-on-1 and group meetings")."""
    if in_parenthesis and (frame.has_kinds or frame.has_rhythm):
        return True
    if (
        not frame.has_kinds
        and frame.rhythm_token is not None
        and index
        and tokens[index - 1] is frame.rhythm_token
    ):
        return _words_between(sentence, frame.rhythm_token.end, tokens[index].start) == 0  # "1x/mo grp"
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    if after is not None and after.type in ("rhythm", "vague", "weekdays"):
        return _words_between(sentence, tokens[index].end, after.start) == 0  # "grp biwk", "team weekly"
    following = [t.type for t in tokens[index + 1 : index + 4] if t.type != "count"]
    return following[:1] in (["and"], ["or"]) and following[1:2] in (["kind"], ["generic"])


def _labels_what_follows(sentence: str, dash: _Token, frames: list[_Frame]) -> bool:
    """Whether a dash or colon only labels the line ("Stand-up — Mon–Fri", "Mon & Wed — pairing session"): the
    sentence so far is one frame with a meeting or a rhythm, not both."""
    if sentence[dash.start : dash.end].strip() not in ("-", ":", "|") or len(frames) != 1:
        return False
    frame = frames[0]
    return frame.has_content and not frame.complete and not frame.negated


def _counted_rhythm(count: _Token, weeks: float) -> _Rhythm | str:
    value = _per_week(*count.value, weeks)
    return _Rhythm(*value) if isinstance(value, tuple) else value


def _share_count(frames: list[_Frame], weeks: float) -> None:
    """ "Two 1:1s and one group call per week": the period reaches back to the counted kinds joined to the last."""
    at = len(frames) - 1
    while at > 0 and frames[at].joined:
        earlier = frames[at - 1]
        if earlier.has_rhythm or earlier.count is None or not earlier.has_kinds:
            return
        rhythm = _counted_rhythm(earlier.count, weeks)
        earlier.set_rhythm(_Token("rhythm", earlier.count.start, earlier.count.end, rhythm))
        at -= 1


def _place_rhythm(sentence: str, frames: list[_Frame], token: _Token, joint: str | None) -> _Frame:
    """Put a rhythm into the current frame, or start the next frame with it. Returns the frame it went to."""
    frame = frames[-1]
    rhythm = token.value
    if not frame.has_rhythm:
        # "Calls a few times a week, plus a weekly group meeting": the vague frame is done, the rhythm is the next's.
        if frame.vague is None or not frame.has_kinds or joint is None:
            frame.set_rhythm(token)
            return frame
    elif isinstance(rhythm, _Rhythm) and not rhythm.explicit:
        frame.touch(token)  # weekday names beside a stated rhythm only say when
        return frame
    elif frame.rhythm is not None and not frame.rhythm.explicit:
        frame.set_rhythm(token)
        return frame
    elif joint == "or" and (frame.kinds_at is None or frame.kinds_at[1] < frame.rhythm_token.start):
        frame.doubts.append((token, "gives a choice of rhythms"))  # "weekly or every other week"
        frame.touch(token)
        return frame
    following = _Frame(joined=joint is not None, clause=frame.clause)
    frames.append(following)
    if frame.has_rhythm:
        _take_nearer_kinds(sentence, frame, following, token)
    following.set_rhythm(token)
    return following


def _take_nearer_kinds(sentence: str, frame: _Frame, following: _Frame, rhythm: _Token) -> None:
    """ "I keep daily lab books and we meet weekly": kinds between two rhythms go with the nearer one."""
    if frame.kinds_at is None or frame.kinds_at[0] < frame.rhythm_token.end:
        return
    before = _words_between(sentence, frame.rhythm_token.end, frame.kinds_at[0])
    after = _words_between(sentence, frame.kinds_at[1], rhythm.start)
    if after >= before:
        return
    following.kinds, following.generic, following.kinds_at = frame.kinds, frame.generic, frame.kinds_at
    following.count = frame.count
    frame.kinds, frame.generic, frame.kinds_at = [], False, None
    if frame.length_token is not None and frame.length_token.start > following.kinds_at[0]:
        following.length, following.length_token = frame.length, frame.length_token
        frame.length, frame.length_token = None, None


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(•])|\n+")
# One character for one: offsets in the lowered sentence are offsets in the original.
_FOLD = str.maketrans({"’": "'", "‘": "'", "‑": "-", "–": "-", "—": "-", "×": "x", "\u00a0": " "})


def split_sentences(text: str) -> list[str]:
    """Sentences and bullets, stripped of bullet marks."""
    pieces = (piece.strip().lstrip("•*-–").strip() for piece in _SENTENCE_END.split(text))
    return [piece for piece in pieces if piece]


@dataclass(frozen=True)
class _SentenceReading:
    """What one sentence says. Frozen: the same sentence read again (a passage many sections share) is this object."""

    demands: tuple[MeetingDemand, ...] = ()
    doubts: tuple[Doubt, ...] = ()
    # "Calls as needed", "weekly or every other week" with no meeting named: they leave the rhythm open only when
    # nothing else in the text states one.
    open_rhythms: tuple[Doubt, ...] = ()
    # The days each weekday-stated demand names: "Monday: 1:1" and "Wednesday: 1:1" on two lines are 2 a week.
    days: tuple[tuple[MeetingKind, frozenset[int]], ...] = ()
    # What the next line may answer or list: "Q: How often are the check-ins?", "Meetings:".
    kinds_asked: tuple[MeetingKind, ...] = ()
    lone_length: int | None = None  # a line that is only a length ("length: 90 minutes")


# The token types a reading is made of; joints and counts alone make none. A sentence holding no cue word of any of
# them reads as nothing, and is not tokenized.
_CONTENT_TYPES = (
    "time_span", "standup", "one_on_one", "group", "team", "length_range", "length", "length_90", "length_30",
    "length_15", "length_60", "vague", "extra", "count_rhythm", "count_adverb", "per", "half_week", "per_period",
    "fortnightly", "monthly", "weekly", "daily", "day_range", "days", "generic", "kind_word",
)  # fmt: skip
_CONTENT_CUES = tuple(dict.fromkeys(cue for type_ in _CONTENT_TYPES for cue in _CUES[type_]))
_NOTHING = _SentenceReading()


def _holds_content(lowered: str) -> bool:
    return any(cue in lowered for cue in _CONTENT_CUES)


CACHED_SENTENCE_CHARS = 400  # longer "sentences" (a paragraph with no full stop) are rarely shared: not kept


def _read_sentence(sentence: str, asked: tuple[MeetingKind, ...] = ()) -> _SentenceReading:
    """Read one sentence; ``asked`` are the kinds of meeting the line before asked about or headed. Short
    sentences are read once however many sections share them (boilerplate)."""
    if len(sentence) <= CACHED_SENTENCE_CHARS:
        return _read_short_sentence(sentence, asked)
    return _read_any_sentence(sentence, asked)


def _read_any_sentence(sentence: str, asked: tuple[MeetingKind, ...]) -> _SentenceReading:
    lowered = sentence.translate(_FOLD).lower()
    if not _holds_content(lowered):
        return _NOTHING
    # Phrases quote the sentence; where lowering changed its length ("İ"), offsets hold only in the lowered text.
    quoted = sentence if len(lowered) == len(sentence) else lowered
    tokens = _tokens(lowered)
    frames = _attach_lengths(_frames(lowered, tokens))
    demands: list[MeetingDemand] = []
    doubts: list[Doubt] = []
    open_rhythms: list[Doubt] = []
    days: dict[MeetingKind, frozenset[int]] = {}
    kinds_asked: list[MeetingKind] = []

    def doubt(token: _Token, reason: str) -> Doubt:
        return Doubt(phrase=quoted[token.start : token.end], reason=reason, source=sentence)

    _share_rhythms_and_kinds(frames, asked)
    # Someone else's meetings ("my own advisor checks in monthly") are no demand; a sentence offering a possibility
    # ("if you prefer, we can meet twice a week") is for staff to settle.
    split_clauses = {token.clause for token in tokens if token.type == "split"}
    maybe = next((token for token in tokens if token.type == "maybe"), None)
    if maybe is not None and any(frame.has_rhythm for frame in frames):
        return _SentenceReading(doubts=(doubt(maybe, "makes the rhythm a possibility, not a plan"),))
    for frame in frames:
        kinds = frame.meeting_kinds()
        if frame.negated or frame.others:
            continue
        if not kinds:
            if frame.has_rhythm:
                open_rhythms += [doubt(token, reason) for token, reason in frame.doubts]
            continue
        doubts += [doubt(token, reason) for token, reason in frame.doubts]
        if frame.bound is not None and frame.has_rhythm:
            doubts.append(doubt(frame.bound, "gives a bound, not a rhythm"))
            continue
        if not frame.has_rhythm:
            if frame.vague is not None:
                word = re.sub(r"[\s-]", "", lowered[frame.vague.start : frame.vague.end])
                doubts.append(doubt(frame.vague, _VAGUE_REASONS.get(word, "names no rhythm to plan")))
            elif frame.extra is not None:
                open_rhythms.append(doubt(frame.extra, "names no rhythm to plan"))
            elif frame.length_token is None:
                kinds_asked += kinds
            continue
        if frame.rhythm is None or frame.doubts:
            continue
        if frame.clause in split_clauses and frame.count is not None and frame.rhythm.low >= 2:
            doubts.append(
                doubt(frame.count, "counts meetings the sentence then tells apart; staff split them")
            )
            continue
        duration = frame.length
        if frame.length_token is not None and frame.length_token.type == "length_range":
            doubts.append(doubt(frame.length_token, "gives a range of lengths, not one length"))
        elif duration is not None and not DURATION_RANGE[0] <= duration <= DURATION_RANGE[1]:
            low, high = DURATION_RANGE
            doubts.append(doubt(frame.length_token, f"is a length outside {low}–{high} minutes"))
            duration = None
        for kind in kinds:
            demands.append(
                MeetingDemand(kind, frame.rhythm.low, frame.rhythm.high, duration, source=sentence)
            )
            if frame.rhythm.days:
                days[kind] = frame.rhythm.days
    change = _changing_rhythm(tokens, frames) if demands else None
    if change is not None:
        doubts.append(doubt(change, "the rhythm changes over the programme; staff choose one"))
        demands.clear()
    alone = frames[0] if len(frames) == 1 else None
    return _SentenceReading(
        demands=tuple(demands),
        doubts=tuple(doubts),
        open_rhythms=tuple(open_rhythms),
        days=tuple(days.items()),
        kinds_asked=tuple(kinds_asked),
        lone_length=alone.length if alone is not None and not (alone.has_kinds or alone.has_rhythm) else None,
    )


_read_short_sentence = functools.lru_cache(maxsize=4096)(_read_any_sentence)


def _share_rhythms_and_kinds(frames: list[_Frame], asked: tuple[MeetingKind, ...]) -> None:
    """Frames that state half a demand take the other half from their neighbours:
    - "weekly 1:1s and group calls": the group calls are weekly too;
    - "we won't meet every day - it's twice a week": the rhythm after a negated one is the same meeting's;
    - "Q: How often are the check-ins? / A: Every second week": the answer's rhythm is the asked meeting's.
    """
    for previous, frame in itertools.pairwise(frames):
        if (
            frame.has_kinds
            and not frame.has_rhythm
            and frame.vague is None
            and frame.joined
            and previous.rhythm_first
        ):
            frame.rhythm, frame.rhythm_token, frame.rhythm_first = (
                previous.rhythm,
                previous.rhythm_token,
                True,
            )
        if previous.negated and not frame.negated and frame.has_rhythm and not frame.has_kinds:
            frame.kinds, frame.generic = list(previous.kinds), previous.generic
    for frame in frames:
        if asked and frame.has_rhythm and not frame.has_kinds and not frame.negated:
            frame.kinds = list(asked)


def _attach_lengths(frames: list[_Frame]) -> list[_Frame]:
    """A length on its own after a demand is that demand's ("weekly 1:1s, 30 minutes"); with "each" or "both"
    it is every demand's before it that has none ("daily stand-ups and weekly 1:1s, each 30 minutes")."""
    kept: list[_Frame] = []
    for frame in frames:
        if frame.has_kinds or frame.has_rhythm or frame.length_token is None or not kept:
            kept.append(frame)
            continue
        for earlier in kept if frame.length_shared else kept[-1:]:
            if earlier.length_token is None and earlier.has_kinds:
                earlier.length, earlier.length_token = frame.length, frame.length_token
    return kept


def _changing_rhythm(tokens: list[_Token], frames: list[_Frame]) -> _Token | None:
    """The words saying the rhythm changes over the programme ("weekly during training, then every other week"),
    if the sentence has them: the planner keeps one rhythm per kind, so staff choose."""
    # A phase word counts beside a rhythm, not in a clause about something else ("notes shared afterwards").
    clause, phases, rhythm_clauses = 0, [], set()
    for token in tokens:
        clause += token.type == "clause"
        if token.type == "phase":
            phases.append((clause, token))
        elif token.type in ("rhythm", "per"):
            rhythm_clauses.add(clause)
    phase = next((token for at, token in phases if at in rhythm_clauses), None)
    if phase is not None:
        return phase
    change = next((t for t in tokens if t.type == "then"), None)
    later_rhythms = (
        f.rhythm_token.start for f in frames if not f.has_kinds and f.rhythm is not None and f.rhythm.explicit
    )
    if change is not None and any(start > change.start for start in later_rhythms):
        return change
    return None


def parse_cadence(text: str) -> Cadence:
    """Read the meeting rhythm from a mentor's section; what it cannot read with confidence needs review.

    The same demand stated twice is kept once; the same meeting on other named days adds them ("Monday: 1:1",
    "Wednesday: 1:1"). Two different rhythms for the same kind of meeting contradict each other: that kind is left
    out, with a doubt naming both sentences, for staff to decide. A line may finish the one before it: an answer
    to a question, a list under a heading, a length on a line of its own.
    """
    demands: dict[MeetingKind, MeetingDemand] = {}
    days_of: dict[MeetingKind, frozenset[int]] = {}
    disputed: dict[MeetingKind, list[str]] = {}
    doubts: list[Doubt] = []
    open_rhythms: list[Doubt] = []
    sources: list[str] = []
    asked: tuple[MeetingKind, ...] = ()
    previous = _NOTHING
    read_at: dict[MeetingKind, int] = {}  # which sentence each kept demand was last read from
    for at, sentence in enumerate(split_sentences(text)):
        reading = _read_sentence(sentence, asked)
        doubts += reading.doubts
        open_rhythms += reading.open_rhythms
        if reading.demands or reading.doubts:
            sources.append(sentence)
        if reading.lone_length is not None and DURATION_RANGE[0] <= reading.lone_length <= DURATION_RANGE[1]:
            for kind, demand in demands.items():
                if read_at[kind] == at - 1 and demand.duration_minutes is None:  # the line before's demand
                    demands[kind] = replace(demand, duration_minutes=reading.lone_length)
        for demand in reading.demands:
            known = demands.get(demand.kind)
            named_days = dict(reading.days).get(demand.kind, frozenset())
            more_days = named_days - days_of.get(demand.kind, frozenset())
            if demand.kind in disputed:
                disputed[demand.kind].append(sentence)
            elif known is None:
                demands[demand.kind] = demand
                days_of[demand.kind] = named_days
            elif days_of.get(demand.kind) and more_days:
                days_of[demand.kind] |= more_days
                count = float(len(days_of[demand.kind]))
                demands[demand.kind] = replace(known, per_week_min=count, per_week_max=count)
            elif (known.per_week_min, known.per_week_max) != (demand.per_week_min, demand.per_week_max):
                disputed[demand.kind] = [known.source, sentence]
                del demands[demand.kind]
            elif known.duration_minutes is None and demand.duration_minutes is not None:
                demands[demand.kind] = demand
            elif demand.duration_minutes not in (None, known.duration_minutes):
                demands[demand.kind] = replace(known, duration_minutes=None)
                doubts.append(
                    Doubt(
                        sentence,
                        f"gives the {KIND_LABELS[demand.kind]} another length than “{known.source}”",
                        sentence,
                    )
                )
            if demand.kind in demands:
                read_at[demand.kind] = at
        heading = sentence.endswith(("?", ":"))
        if heading and reading.kinds_asked:
            asked = reading.kinds_asked
        elif heading and not reading.demands:  # "How often?" after "All of our meetings are on Zoom."
            asked = previous.kinds_asked
        else:
            asked = ()
        previous = reading
    for kind, sentences in disputed.items():
        first, *others = dict.fromkeys(sentences)
        doubts.append(
            Doubt(
                phrase=others[0] if others else first,
                reason=f"gives the {KIND_LABELS[kind]} another rhythm than “{first}”",
                source=others[0] if others else first,
            )
        )
    if not demands and not doubts:
        doubts = open_rhythms
    ordered = sorted(demands.values(), key=lambda d: list(MeetingKind).index(d.kind))
    return Cadence(
        demands=tuple(ordered), sources=tuple(dict.fromkeys(sources)), doubts=tuple(dict.fromkeys(doubts))
    )
