"""What a mentor's section says beyond the cadence, offered to staff as suggestions, never applied on its own.

"Based in Stockholm" suggests the time zone Europe/Stockholm; "usually on Thursdays" suggests Thursday as a preferred
day; "ideally in the afternoon" or "preferably between 10am and 1pm" suggests preferred hours. Each suggestion keeps the words it was read from and the sentence around them, so staff can judge it in one
look and accept or dismiss it. Pure Python: no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from functools import cache

from cohort.cadence import split_sentences
from cohort.dates import WEEKDAY_FULL_NAMES
from cohort.time_zones import canonical_zone_names


class SuggestionField(StrEnum):
    TIME_ZONE = "time_zone"
    PREFERRED_WEEKDAYS = "preferred_weekdays"
    PREFERRED_HOURS = "preferred_hours"


@dataclass(frozen=True)
class Suggestion:
    """``value`` is a zone name for a time zone, weekday numbers (0 = Monday) joined by commas for days, and
    "HH:MM-HH:MM" for hours (an end of 00:00 is midnight)."""

    field: SuggestionField
    value: str
    phrase: str
    source: str

    @property
    def weekdays(self) -> tuple[int, ...]:
        return tuple(int(day) for day in self.value.split(",")) if self.field == "preferred_weekdays" else ()

    @property
    def hours(self) -> tuple[time, time] | None:
        if self.field != SuggestionField.PREFERRED_HOURS:
            return None
        start, end = (time.fromisoformat(part) for part in self.value.split("-"))
        return start, end

    def describe(self) -> str:
        if self.field == SuggestionField.TIME_ZONE:
            return f"time zone {self.value}"
        if self.field == SuggestionField.PREFERRED_HOURS:
            return "preferred hours: " + self.value.replace("-", "–")
        return "preferred days: " + ", ".join(WEEKDAY_FULL_NAMES[day] for day in self.weekdays)


# Places a research mentor names that are no tz location themselves: cities, and the universities and labs
# people give as where they are. The tz locations (Stockholm, New York) are looked up from the tz names.
PLACE_ZONES = {
    "san francisco": "America/Los_Angeles",
    "bay area": "America/Los_Angeles",
    "berkeley": "America/Los_Angeles",
    "palo alto": "America/Los_Angeles",
    "stanford": "America/Los_Angeles",
    "mountain view": "America/Los_Angeles",
    "menlo park": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "boston": "America/New_York",
    "mit": "America/New_York",
    "harvard": "America/New_York",
    "cambridge, ma": "America/New_York",
    "nyc": "America/New_York",
    "new york city": "America/New_York",
    "washington, dc": "America/New_York",
    "pittsburgh": "America/New_York",
    "cmu": "America/New_York",
    "princeton": "America/New_York",
    "philadelphia": "America/New_York",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "austin": "America/Chicago",
    "oxford": "Europe/London",
    "cambridge": "Europe/London",
    "edinburgh": "Europe/London",
    "bristol": "Europe/London",
    "manchester": "Europe/London",
    "geneva": "Europe/Zurich",
    "eth": "Europe/Zurich",
    "munich": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "tübingen": "Europe/Berlin",
    "tuebingen": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "tel aviv": "Asia/Jerusalem",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
}
# Only the names of a zone that one place keeps: "ET" and "PT" are what US pages write; CET is many countries'.
ZONE_WORDS = {
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "eastern time": "America/New_York",
    "uk time": "Europe/London",
    "bst": "Europe/London",
}

_PLACE_TRIGGER = re.compile(
    r"\b(?:based|located|living|lives|live|residing|stationed|sits?)\s+(?:in|out\s+of|at|near)\s+(?:the\s+)?"
    r"|\b(?:usually|mostly|normally|typically|primarily|currently|generally)\s+(?:in|at|based\s+(?:in|at))\s+",
    re.IGNORECASE,
)
_PLACE_WORDS = re.compile(r"[A-ZÀ-Ý][\w'’.-]*(?:,?\s+[A-ZÀ-Ý][\w'’.-]*){0,2}")
_ZONE_WORD = re.compile(
    r"\b(?:(?:pacific|eastern)\s+time|uk\s+time)\b|\b(?:PT|PST|PDT|ET|EST|EDT|BST)\b", re.IGNORECASE
)
_ZONE_ABBREVIATION = re.compile(r"[A-Z]{2,3}")  # "et" in lower case is French, "pt" a point: capitals only

_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?|mon|tue|tues|wed|thu|thur|thurs|fri"
_DAY_LIST = re.compile(rf"\b(?:{_DAY})\b(?:\s*(?:,|/|&|and|or)\s*\b(?:{_DAY})\b)*", re.IGNORECASE)
NEARBY_CHARS = 100  # room for the six words a preference or a refusal may stand before the days
_PREFERENCE_BEFORE = re.compile(
    r"\b(?:usually|typically|normally|ideally|preferably|prefer(?:red|s)?|mostly|generally|often|tend\s+to)\b"
    r"(?:\W+\w+){0,5}?\W+$",
    re.IGNORECASE,
)
_PREFERENCE_AFTER = re.compile(
    r"^\s*(?:work(?:s)?\s+best|are\s+best|is\s+best|preferred|ideally)\b", re.IGNORECASE
)
# A refusal, or the time taken by something else ("I usually teach on Mondays", "school runs 8-9am").
_REFUSAL_BEFORE = re.compile(
    r"\b(?:not|no|never|except|unavailable|away|off|avoid|busy|can't|cannot|don't|won't|other\s+than"
    r"|teach\w*|lectur\w*|class(?:es)?|school)\b"
    r"(?:\W+\w+){0,3}?\W+$",
    re.IGNORECASE,
)


@cache
def _zone_of_place() -> dict[str, str]:
    """Every tz location by its own name ("new york" → America/New_York), then the places above."""
    places = {}
    for zone in canonical_zone_names():
        if "/" in zone:
            places[zone.rsplit("/", 1)[1].replace("_", " ").lower()] = zone
    return places | PLACE_ZONES


def read_suggestions(text: str, *, cadence_sources: tuple[str, ...] = ()) -> tuple[Suggestion, ...]:
    """The suggestions a section's text gives, each once, in text order.

    ``cadence_sources`` are the sentences the cadence was read from: weekdays named there ("we meet on Mondays
    and Thursdays") are when the mentor meets, so they are suggested as preferred days too.
    """
    found: dict[tuple[SuggestionField, str], Suggestion] = {}
    for sentence in split_sentences(text):
        states_the_cadence = sentence in cadence_sources
        for suggestion in (
            *_time_zones(sentence),
            *_preferred_days(sentence, states_the_cadence),
            *_preferred_hours(sentence, states_the_cadence),
        ):
            found.setdefault((suggestion.field, suggestion.value), suggestion)
    return tuple(found.values())


def _time_zones(sentence: str) -> list[Suggestion]:
    suggestions = []
    places = _zone_of_place()
    for trigger in _PLACE_TRIGGER.finditer(sentence):
        words = _PLACE_WORDS.match(sentence, trigger.end())
        if words is None:
            continue
        # The longest run of words that names a place: "New York City" before "New York".
        parts = re.split(r"(?<=\S)(?=,?\s)", words.group(0))
        for count in range(len(parts), 0, -1):
            name = "".join(parts[:count]).strip(" ,.")
            zone = places.get(name.lower())
            if zone:
                phrase = sentence[trigger.start() : trigger.end() + len("".join(parts[:count]).rstrip(" ,."))]
                suggestions.append(Suggestion(SuggestionField.TIME_ZONE, zone, phrase.strip(), sentence))
                break
    for word in _ZONE_WORD.finditer(sentence):
        text = word.group(0)
        if len(text) <= 3 and not _ZONE_ABBREVIATION.fullmatch(text):
            continue
        zone = ZONE_WORDS[" ".join(text.lower().split())]
        suggestions.append(Suggestion(SuggestionField.TIME_ZONE, zone, text, sentence))
    return suggestions


def _preferred_days(sentence: str, states_the_cadence: bool) -> list[Suggestion]:
    suggestions = []
    for days in _DAY_LIST.finditer(sentence):
        phrase = _stated_preference(sentence, days, states_the_cadence)
        if phrase is None:
            continue
        weekdays = sorted(
            {_weekday(name) for name in re.findall(r"[A-Za-z]+", days.group(0)) if _weekday(name) >= 0}
        )
        value = ",".join(str(day) for day in weekdays)
        suggestions.append(Suggestion(SuggestionField.PREFERRED_WEEKDAYS, value, phrase, sentence))
    return suggestions


def _stated_preference(sentence: str, match: re.Match, states_the_cadence: bool) -> str | None:
    """The words that state ``match`` as a preference ("usually on Thursdays", "Fridays work best"), or the match
    itself in the cadence's sentence; None after a refusal, or with no word of preference near it."""
    # The few words either side are all the patterns look at: windows keep a long sentence linear.
    window = max(0, match.start() - NEARBY_CHARS)
    before, after = sentence[window : match.start()], sentence[match.end() : match.end() + NEARBY_CHARS]
    if _REFUSAL_BEFORE.search(before):
        return None
    preferred = _PREFERENCE_BEFORE.search(before) or _PREFERENCE_AFTER.search(after)
    if not (preferred or states_the_cadence):
        return None
    start = (
        window + preferred.start()
        if preferred is not None and preferred.re is _PREFERENCE_BEFORE
        else match.start()
    )
    end = match.end() + (
        preferred.end() if preferred is not None and preferred.re is _PREFERENCE_AFTER else 0
    )
    return sentence[start:end].strip()


def _weekday(name: str) -> int:
    """0 for Monday … 6 for Sunday; -1 for a word that names no day ("and")."""
    name = name.lower()
    for index, full in enumerate(WEEKDAY_FULL_NAMES):
        if name.rstrip("s") == full.lower() or (len(name) >= 3 and full.lower().startswith(name)):
            return index
    return -1


# The hours a part of the day stands for, in the mentor's own zone: what a person means by "mornings" at work.
PARTS_OF_DAY = {
    "morning": (9, 12),
    "early morning": (7, 9),
    "late morning": (10, 12),
    "afternoon": (12, 17),
    "early afternoon": (12, 15),
    "late afternoon": (15, 18),
    "evening": (17, 20),
    "early evening": (17, 19),
    "late evening": (19, 22),
}
_PART_OF_DAY = re.compile(r"\b((?:(?:late|early)\s+)?(?:morning|afternoon|evening))s?\b", re.IGNORECASE)
# A clock time, never a part of a longer number: "1:30" is not read as "1".
_CLOCK = r"(\d{1,2})(?:([:.])(\d{2}))?(?![:.]?\d)\s*(am|pm|a\.m\.|p\.m\.)?"
_HOUR_RANGE = re.compile(
    rf"\b(between\s+)?{_CLOCK}\s*(-|–|—|to|and|until|till)\s*{_CLOCK}(?!\s*(?:min|h\b|hours?|x\b|times))",
    re.IGNORECASE,
)
QUARTER_HOURS = {"00", "15", "30", "45"}


def _preferred_hours(sentence: str, states_the_cadence: bool) -> list[Suggestion]:
    """Hours the sentence says the mentor prefers: a range of clock times, or a part of the day, with a word of
    preference near it ("ideally", "work best") or in the sentence the cadence was read from; never after a
    refusal ("not in the mornings")."""
    suggestions = []
    found = [(match, _range_hours(match)) for match in _HOUR_RANGE.finditer(sentence)]
    found += [(match, _part_of_day_hours(match)) for match in _PART_OF_DAY.finditer(sentence)]
    for match, hours in found:
        phrase = None if hours is None else _stated_preference(sentence, match, states_the_cadence)
        if phrase is None:
            continue
        value = f"{hours[0]:%H:%M}-{hours[1]:%H:%M}"
        suggestions.append(Suggestion(SuggestionField.PREFERRED_HOURS, value, phrase, sentence))
    return suggestions


def _part_of_day_hours(match: re.Match) -> tuple[time, time]:
    start, end = PARTS_OF_DAY[" ".join(match.group(1).lower().split())]
    return time(start), time(end)


def _range_hours(match: re.Match) -> tuple[time, time] | None:
    """ "10am to 1pm", "14:00-16:30", "2-4pm", "11-1pm" (the end's am or pm stands for the start's where that makes
    a range, else the other one), "between 10 am and 2 pm": None when it is no range of clock times in a day (a bare
    "2-3" is how often people meet; "10.03 to 12.03" are dates; "10am and 2pm" are two times)."""
    between, start_hour, start_dot, start_minute, start_meridiem, joined_by = match.groups()[:6]
    end_hour, end_dot, end_minute, end_meridiem = match.groups()[6:]
    if joined_by.lower() == "and" and not between:
        return None
    if not (start_meridiem or end_meridiem or start_minute or end_minute):
        return None
    for dot, minute in ((start_dot, start_minute), (end_dot, end_minute)):
        if dot == "." and minute not in QUARTER_HOURS:
            return None
    end = _clock(end_hour, end_minute, end_meridiem)
    if start_meridiem or not end_meridiem:
        meridiems = [start_meridiem]
    else:
        meridiems = [end_meridiem, "am" if end_meridiem.lower().startswith("p") else "pm"]
    for meridiem in meridiems:
        start = _clock(start_hour, start_minute, meridiem)
        if start is not None and end is not None and (start < end or end == time(0)):
            return start, end
    return None


def _clock(hour_text: str, minute_text: str | None, meridiem: str | None) -> time | None:
    hour, minute = int(hour_text), int(minute_text or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
    if hour == 24 and minute == 0:
        return time(0)
    return time(hour, minute) if hour < 24 and minute < 60 else None
