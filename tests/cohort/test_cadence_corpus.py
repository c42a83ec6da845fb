"""The cadence reader against three labelled sets of real-style mentor phrasings (the corpus, and two held-out
sets written without sight of the reader), and two properties.

Conventions the expectations follow (per week): weekly / once a week / every week = 1; twice a week /
twice-weekly / semi-weekly = 2; every other week / every two weeks / fortnightly / twice a month = 0.5; every three
weeks = 1/3; monthly / every four weeks = 0.25; daily / every weekday / Monday to Friday = 5; named weekdays bound
to a meeting count one each. Kinds: stand-up -> standup; group, reading group, journal club -> group; team meeting,
team sync, lab meeting, project meeting, all-hands -> team; anything else (1:1, check-in, call, sync, session,
meeting, "we meet") -> one_on_one. Vague, choice, phase-dependent, contradictory or out-of-range rhythms (over 7 a
week, zero or less, lengths under 5 or over 480 minutes, a range of lengths) need review, never a guessed value.
"""

import re
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.cadence import parse_cadence
from tests.cohort.cadence_corpus import CATEGORIES, CORPUS, GROUP, ONE, STANDUP, TEAM, Case
from tests.cohort.cadence_holdout import HOLDOUT
from tests.cohort.cadence_holdout_2 import HOLDOUT_2

KINDS = {ONE, GROUP, TEAM, STANDUP}

Demand = tuple[str, float, float, int | None]


def key(kind, per_week_min: float, per_week_max: float, minutes: int | None) -> Demand:
    return (str(kind), round(per_week_min, 6), round(per_week_max, 6), minutes)


def read(cadence) -> list[Demand]:
    return [key(d.kind, d.per_week_min, d.per_week_max, d.duration_minutes) for d in cadence.demands]


def normalised(text: str) -> str:
    return " ".join(text.split()).lower()


def report(text: str, expected, cadence, why: str) -> str:
    return (
        f"{why}\n  text:         {text!r}\n  expected:     {sorted(expected, key=repr)}"
        f"\n  read:         {read(cadence)}\n  needs_review: {cadence.needs_review}"
        f"\n  demands:      {cadence.demands}\n  doubts:       {cadence.doubts}"
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50].rstrip("-") or "blank"


def case_ids(cases: list[Case]) -> list[str]:
    seen: Counter[str] = Counter()
    ids = []
    for case in cases:
        base = slug(case.text)
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


# ------------------------------------------------------------------------------------------------- the corpus


def test_corpus_is_large_and_covers_every_category():
    assert len(CORPUS) >= 200
    per_category = Counter(case.category for case in CORPUS)
    assert set(per_category) <= set(CATEGORIES), set(per_category) - set(CATEGORIES)
    thin = {category: per_category[category] for category in CATEGORIES if per_category[category] < 5}
    assert not thin, f"categories with fewer than 5 cases: {thin}"
    assert per_category["no cadence"] >= 15


LABELLED_SETS = (("corpus", CORPUS), ("holdout", HOLDOUT), ("holdout-2", HOLDOUT_2))


@pytest.mark.parametrize(
    ("at", "cases"),
    list(enumerate(cases for _, cases in LABELLED_SETS)),
    ids=[name for name, _ in LABELLED_SETS],
)
def test_a_labelled_set_is_well_formed_and_apart_from_the_sets_before_it(at: int, cases: list[Case]):
    assert {case.category for case in cases} <= set(CATEGORIES)
    texts = Counter(normalised(case.text) for case in cases)
    assert not [text for text, n in texts.items() if n > 1], "duplicate texts"
    earlier = {normalised(case.text) for _, before in LABELLED_SETS[:at] for case in before}
    assert not set(texts) & earlier, "texts copied from an earlier set"
    assert len(set(case_ids(cases))) == len(cases)
    for case in cases:
        assert case.text.strip(), case
        for demand in case.expected:
            assert demand.kind in KINDS, case
            assert 0 < demand.per_week_min <= demand.per_week_max <= 7, case
            assert demand.minutes is None or 5 <= demand.minutes <= 480, case
        if not case.review:
            assert case.expected, f"a case read without review must expect a demand: {case}"
        if case.category == "no cadence":
            assert case.review, case
            assert case.expected == (), case


@pytest.mark.parametrize(
    "case",
    [case for _, cases in LABELLED_SETS for case in cases],
    ids=[f"{name}-{id_}" for name, cases in LABELLED_SETS for id_ in case_ids(cases)],
)
def test_labelled_case(case: Case):
    cadence = parse_cadence(case.text)
    expected = [key(d.kind, d.per_week_min, d.per_week_max, d.minutes) for d in case.expected]
    got = read(cadence)
    if not case.review:
        assert cadence.needs_review is False, report(case.text, expected, cadence, "flagged for review")
        assert cadence.doubts == (), report(case.text, expected, cadence, "raised doubts")
        assert Counter(got) == Counter(expected), report(
            case.text, expected, cadence, "read the wrong demands"
        )
        return
    assert cadence.needs_review is True, report(case.text, expected, cadence, "not flagged for review")
    stray = [demand for demand in got if demand not in expected]
    assert not stray, report(case.text, expected, cadence, f"kept demands it must not: {stray}")
    if case.category == "no cadence":
        assert got == [], report(case.text, expected, cadence, "read a demand from a text with no cadence")
        return
    text = normalised(case.text)
    grounded = [
        doubt
        for doubt in cadence.doubts
        if doubt.phrase.strip() and normalised(doubt.phrase) in text and doubt.reason.strip()
    ]
    assert grounded, report(case.text, expected, cadence, "no doubt names a phrase of the text with a reason")


# ------------------------------------------------------------------------------------------------- properties


@dataclass(frozen=True)
class Rhythm:
    text: str
    low: float
    high: float


@dataclass(frozen=True)
class Length:
    text: str
    minutes: int


@dataclass(frozen=True)
class Sentence:
    text: str
    meaning: tuple[Demand, ...]


KIND_PHRASES = [
    ("1:1s", ONE),
    ("1-on-1s", ONE),
    ("one-on-ones", ONE),
    ("check-ins", ONE),
    ("calls", ONE),
    ("meetings", ONE),
    ("syncs", ONE),
    ("individual meetings", ONE),
    ("group meetings", GROUP),
    ("group calls", GROUP),
    ("reading group meetings", GROUP),
    ("team meetings", TEAM),
    ("lab meetings", TEAM),
    ("team syncs", TEAM),
    ("project meetings", TEAM),
    ("stand-ups", STANDUP),
    ("standups", STANDUP),
]

# Rhythms written after the kind ("1:1s twice a week").
ADVERB_RHYTHMS = [
    Rhythm("once a week", 1, 1),
    Rhythm("every week", 1, 1),
    Rhythm("each week", 1, 1),
    Rhythm("weekly", 1, 1),
    Rhythm("1x/week", 1, 1),
    Rhythm("once per week", 1, 1),
    Rhythm("twice a week", 2, 2),
    Rhythm("2x per week", 2, 2),
    Rhythm("two times a week", 2, 2),
    Rhythm("2 times per week", 2, 2),
    Rhythm("twice weekly", 2, 2),
    Rhythm("three times a week", 3, 3),
    Rhythm("3x/week", 3, 3),
    Rhythm("thrice weekly", 3, 3),
    Rhythm("four times a week", 4, 4),
    Rhythm("4 times a week", 4, 4),
    Rhythm("2-3 times a week", 2, 3),
    Rhythm("2–3x per week", 2, 3),
    Rhythm("two to three times a week", 2, 3),
    Rhythm("1-2 times per week", 1, 2),
    Rhythm("between two and three times a week", 2, 3),
    Rhythm("three to four times a week", 3, 4),
    Rhythm("every other week", 0.5, 0.5),
    Rhythm("every two weeks", 0.5, 0.5),
    Rhythm("fortnightly", 0.5, 0.5),
    Rhythm("twice a month", 0.5, 0.5),
    Rhythm("every three weeks", 1 / 3, 1 / 3),
    Rhythm("monthly", 0.25, 0.25),
    Rhythm("once a month", 0.25, 0.25),
    Rhythm("every four weeks", 0.25, 0.25),
    Rhythm("daily", 5, 5),
    Rhythm("every weekday", 5, 5),
    Rhythm("every day", 5, 5),
    Rhythm("Monday to Friday", 5, 5),
    Rhythm("on Mondays and Thursdays", 2, 2),
    Rhythm("on Mondays, Wednesdays and Fridays", 3, 3),
    Rhythm("every Tuesday", 1, 1),
    Rhythm("on Tuesday afternoons", 1, 1),
]

# Rhythms written before the kind ("weekly 1:1s").
ADJECTIVE_RHYTHMS = [
    Rhythm("weekly", 1, 1),
    Rhythm("twice-weekly", 2, 2),
    Rhythm("semi-weekly", 2, 2),
    Rhythm("fortnightly", 0.5, 0.5),
    Rhythm("monthly", 0.25, 0.25),
    Rhythm("daily", 5, 5),
]

# Lengths written as a noun phrase ("(30 min each)", "for an hour").
NOUN_LENGTHS = [
    Length("15 minutes", 15),
    Length("20 minutes", 20),
    Length("30 min", 30),
    Length("30 mins", 30),
    Length("half an hour", 30),
    Length("45m", 45),
    Length("45 minutes", 45),
    Length("1 h", 60),
    Length("1h", 60),
    Length("1 hr", 60),
    Length("one hour", 60),
    Length("an hour", 60),
    Length("60 minutes", 60),
    Length("90 min", 90),
    Length("1.5 hours", 90),
    Length("2 hours", 120),
]

# Lengths written as an adjective ("30-minute 1:1s").
ADJECTIVE_LENGTHS = [
    Length("15-minute", 15),
    Length("30-minute", 30),
    Length("half-hour", 30),
    Length("45-minute", 45),
    Length("1-hour", 60),
    Length("one-hour", 60),
    Length("hour-long", 60),
    Length("90-minute", 90),
    Length("2-hour", 120),
]

FRAMES = ["We have", "Scholars have", "Expect", "I hold", "•", "Mentorship style:"]
BEFORE = [
    "",
    "I work on interpretability. ",
    "Scholars work about 40 hours a week. ",
    "Logistics are simple. ",
]
AFTER = [
    "",
    " Slack is used for quick questions in between.",
    " I'm based in London.",
    " Scholars work independently.",
]
# How a noun length follows the rhythm: "{rhythm}{suffix}".
SUFFIXES = ["", " ({})", " ({} each)", ", {} each", " lasting {}"]


def meaning(kind: str, rhythm: Rhythm, length: Length | None) -> tuple[Demand, ...]:
    return (key(kind, rhythm.low, rhythm.high, length.minutes if length else None),)


def wrap(before: str, body: str, after: str, kind: str, rhythm: Rhythm, length: Length | None) -> Sentence:
    if body.startswith("•"):  # a bullet sits on its own line
        before, after = before.rstrip() + "\n" if before else "", "\n" + after.lstrip() if after else ""
    return Sentence(f"{before}{body}.{after}", meaning(kind, rhythm, length))


def rhythm_after_kind(frame, kind_phrase, rhythm, suffix, length, before, after) -> Sentence:
    """'I hold 1:1s twice a week (30 min each).'"""
    phrase, kind = kind_phrase
    tail = suffix.format(length.text) if suffix else ""
    return wrap(
        before, f"{frame} {phrase} {rhythm.text}{tail}", after, kind, rhythm, length if suffix else None
    )


def length_before_rhythm(frame, kind_phrase, rhythm, joiner, length, before, after) -> Sentence:
    """'Scholars have 1:1s for an hour every week.'"""
    phrase, kind = kind_phrase
    return wrap(before, f"{frame} {phrase} {joiner} {length.text} {rhythm.text}", after, kind, rhythm, length)


def adjective_length(frame, kind_phrase, rhythm, length, before, after) -> Sentence:
    """'Expect 30-minute check-ins twice a week.'"""
    phrase, kind = kind_phrase
    return wrap(before, f"{frame} {length.text} {phrase} {rhythm.text}", after, kind, rhythm, length)


def adjective_rhythm(frame, kind_phrase, rhythm, length, length_first, before, after) -> Sentence:
    """'We have weekly 30-minute 1:1s.' or 'We have 30-minute weekly 1:1s.'"""
    phrase, kind = kind_phrase
    words = (
        [rhythm.text]
        if length is None
        else [length.text, rhythm.text]
        if length_first
        else [rhythm.text, length.text]
    )
    return wrap(before, f"{frame} {' '.join(words)} {phrase}", after, kind, rhythm, length)


def we_meet(rhythm, suffix, length, length_first, before, after) -> Sentence:
    """'We meet twice a week, 30 min each.' or 'We meet for an hour every week.'"""
    if length_first:
        return wrap(before, f"We meet for {length.text} {rhythm.text}", after, ONE, rhythm, length)
    tail = suffix.format(length.text) if suffix else ""
    return wrap(before, f"We meet {rhythm.text}{tail}", after, ONE, rhythm, length if suffix else None)


frames = st.sampled_from(FRAMES)
kind_phrases = st.sampled_from(KIND_PHRASES)
adverb_rhythms = st.sampled_from(ADVERB_RHYTHMS)
noun_lengths = st.sampled_from(NOUN_LENGTHS)
adjective_lengths = st.sampled_from(ADJECTIVE_LENGTHS)
befores = st.sampled_from(BEFORE)
afters = st.sampled_from(AFTER)
suffixes = st.sampled_from(SUFFIXES)

SENTENCES = st.one_of(
    st.builds(
        rhythm_after_kind, frames, kind_phrases, adverb_rhythms, suffixes, noun_lengths, befores, afters
    ),
    st.builds(
        length_before_rhythm,
        frames,
        kind_phrases,
        adverb_rhythms,
        st.sampled_from(["for", "of"]),
        noun_lengths,
        befores,
        afters,
    ),
    st.builds(adjective_length, frames, kind_phrases, adverb_rhythms, adjective_lengths, befores, afters),
    st.builds(
        adjective_rhythm,
        frames,
        kind_phrases,
        st.sampled_from(ADJECTIVE_RHYTHMS),
        st.none() | adjective_lengths,
        st.booleans(),
        befores,
        afters,
    ),
    st.builds(we_meet, adverb_rhythms, suffixes, noun_lengths, st.booleans(), befores, afters),
)


@settings(max_examples=300, deadline=None)
@given(SENTENCES)
def test_a_sentence_of_known_meaning_is_read_right_or_flagged_never_misread(sentence: Sentence):
    cadence = parse_cadence(sentence.text)
    got = read(cadence)
    if cadence.needs_review:
        stray = [demand for demand in got if demand not in sentence.meaning]
        assert not stray, report(sentence.text, sentence.meaning, cadence, f"kept a wrong demand: {stray}")
    else:
        assert Counter(got) == Counter(sentence.meaning), report(
            sentence.text, sentence.meaning, cadence, "misread without review"
        )
        assert cadence.doubts == (), report(sentence.text, sentence.meaning, cadence, "doubts without review")


NUMBERS = {1: ["1", "one"], 2: ["2", "two"], 3: ["3", "three"], 4: ["4", "four"], 5: ["5", "five"]}
STRICT_KINDS = [
    ("1:1", ONE),
    ("1-on-1", ONE),
    ("one-on-one", ONE),
    ("check-in", ONE),
    ("call", ONE),
    ("meeting", ONE),
    ("group meeting", GROUP),
    ("group call", GROUP),
    ("team meeting", TEAM),
    ("lab meeting", TEAM),
    ("team sync", TEAM),
    ("stand-up", STANDUP),
    ("standup", STANDUP),
]


def counted(count: int, spelling: int, kind_phrase, per: str, minutes: int, unit: str) -> Sentence:
    """'3 check-ins per week, 30 minutes each.'"""
    phrase, kind = kind_phrase
    number = NUMBERS[count][spelling]
    noun = phrase if count == 1 else f"{phrase}s"
    text = f"{number[0].upper()}{number[1:]} {noun} {per}, {minutes} {unit} each."
    return Sentence(text, (key(kind, count, count, minutes),))


STRICT_SENTENCES = st.builds(
    counted,
    st.integers(1, 5),
    st.integers(0, 1),
    st.sampled_from(STRICT_KINDS),
    st.sampled_from(["per week", "a week"]),
    st.sampled_from([15, 30, 45, 60, 90]),
    st.sampled_from(["minutes", "min"]),
)


@settings(max_examples=200, deadline=None)
@given(STRICT_SENTENCES)
def test_a_plain_count_with_a_length_is_always_read_exactly(sentence: Sentence):
    cadence = parse_cadence(sentence.text)
    assert cadence.needs_review is False, report(
        sentence.text, sentence.meaning, cadence, "flagged for review"
    )
    assert cadence.doubts == (), report(sentence.text, sentence.meaning, cadence, "raised doubts")
    assert Counter(read(cadence)) == Counter(sentence.meaning), report(
        sentence.text, sentence.meaning, cadence, "misread"
    )
