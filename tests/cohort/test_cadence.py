import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.cadence import (
    _FOLD,
    Cadence,
    MeetingDemand,
    MeetingKind,
    _holds_content,
    _tokens,
    parse_cadence,
    split_sentences,
)
from tests.cohort.cadence_corpus import CORPUS
from tests.cohort.cadence_holdout import HOLDOUT
from tests.cohort.cadence_holdout_2 import HOLDOUT_2

ONE, TEAM, GROUP, STANDUP = MeetingKind.ONE_ON_ONE, MeetingKind.TEAM, MeetingKind.GROUP, MeetingKind.STANDUP
SEED = Path(__file__).resolve().parents[2] / "seeds" / "interpretability.txt"


def read(text: str) -> list[tuple[MeetingKind, float, float, int | None]]:
    return [(d.kind, d.per_week_min, d.per_week_max, d.duration_minutes) for d in parse_cadence(text).demands]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Weekly meetings (1-on-1 and group)", [(ONE, 1, 1, None), (GROUP, 1, 1, None)]),
        (
            "Mentorship looks like a 1 h weekly meeting by default with slack messages in between.",
            [(ONE, 1, 1, 60)],
        ),
        ("Meeting 2-3x per week would be ideal.", [(ONE, 2, 3, None)]),
        ("We meet twice a week.", [(ONE, 2, 2, None)]),
        ("Calls two times per week.", [(ONE, 2, 2, None)]),
        ("We meet three times a week.", [(ONE, 3, 3, None)]),
        ("A meeting once a week.", [(ONE, 1, 1, None)]),
        ("Syncs 2x/week.", [(ONE, 2, 2, None)]),
        ("We meet 2–3 times weekly.", [(ONE, 2, 3, None)]),
        ("Meetings two to three times a week.", [(ONE, 2, 3, None)]),
        ("We meet every other week.", [(ONE, 0.5, 0.5, None)]),
        ("A fortnightly group call.", [(GROUP, 0.5, 0.5, None)]),
        ("We meet every two weeks.", [(ONE, 0.5, 0.5, None)]),
        ("Daily stand-up with the lab.", [(STANDUP, 5, 5, None)]),
        ("A daily standup.", [(STANDUP, 5, 5, None)]),
        ("A stand-up every weekday.", [(STANDUP, 5, 5, None)]),
        ("Two 45-minute 1-on-1s per week.", [(ONE, 2, 2, 45)]),
        ("We meet twice a week, 30 min each.", [(ONE, 2, 2, 30)]),
        ("A weekly meeting of an hour.", [(ONE, 1, 1, 60)]),
        ("A weekly meeting, 90 minutes.", [(ONE, 1, 1, 90)]),
        ("A 1.5 h weekly meeting.", [(ONE, 1, 1, 90)]),
        ("A weekly call, half an hour.", [(ONE, 1, 1, 30)]),
        ("A weekly team meeting.", [(TEAM, 1, 1, None)]),
        ("Weekly team sync.", [(TEAM, 1, 1, None)]),
        ("A weekly group meeting.", [(GROUP, 1, 1, None)]),
        ("A daily 15-minute stand-up.", [(STANDUP, 5, 5, 15)]),
    ],
)
def test_phrasing_is_read_as_its_rhythm(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Candidates should be excited about documenting their research and code thoroughly – we keep daily lab "
        "books – and happy to join regular standup and research meetings with the Leap team.",
        "If there are urgent bottlenecks I’m more than happy to meet in between the weekly interval or respond on "
        "slack in (almost always) less than 24h.",
        "An expectation for any mentee will be to regularly read and take notes on related literature daily.",
        "Frequent check-ins about challenges.",
        "Slack presence",
        "We publish a weekly newsletter and hold meetings when needed.",
        "We meet every 0 weeks.",  # a typo, read as no rhythm rather than a crash
        "",
    ],
)
def test_sentence_without_a_bound_rhythm_reads_as_unspecified(text):
    cadence = parse_cadence(text)

    assert cadence.needs_review
    assert cadence.demands == ()


def test_demand_keeps_the_sentence_it_was_read_from():
    text = "Mentorship looks like a 1 h weekly meeting by default. If urgent, I am happy to meet in between."

    cadence = parse_cadence(text)

    assert [d.source for d in cadence.demands] == ["Mentorship looks like a 1 h weekly meeting by default."]
    assert cadence.sources == ("Mentorship looks like a 1 h weekly meeting by default.",)


def test_the_same_demand_stated_twice_is_kept_once():
    assert read("We meet weekly. • Weekly meetings, an hour.") == [(ONE, 1, 1, 60)]


def test_contradicting_rhythms_are_left_for_staff_with_both_sentences():
    cadence = parse_cadence("We meet weekly.\nWe meet twice a week.")

    assert cadence.needs_review
    assert cadence.sources == ("We meet weekly.", "We meet twice a week.")


def seed_sections() -> dict[str, str]:
    """The seed split crudely at its name lines (a name line is followed by a 'Title, Organisation' line)."""
    lines = SEED.read_text().splitlines()
    names = [i for i in range(1, len(lines) - 1) if lines[i - 1] == "" and lines[i] and "," in lines[i + 1]]
    names = [i for i in names if len(lines[i].split()) <= 4 and not lines[i].startswith(" ")]
    bounds = [*names, len(lines)]
    return {lines[start]: "\n".join(lines[start:end]) for start, end in itertools.pairwise(bounds)}


def test_the_seed_mentors_cadences():
    cadences = {name: read(text) for name, text in seed_sections().items()}

    assert cadences == {
        "Neel Nanda": [],
        "Alex Turner": [(ONE, 1, 1, None), (GROUP, 1, 1, None)],
        "Lee Sharkey": [(ONE, 1, 1, 60)],
        "Jessica Rumbelow": [],
        "Stephen Casper": [(ONE, 2, 3, None)],
        "Adrià Garriga Alonso": [(ONE, 2, 3, None)],
    }


def test_describe_says_the_rhythm_in_words():
    assert parse_cadence("Weekly meetings (1-on-1 and group)").describe() == "1-on-1, weekly; group, weekly"
    assert parse_cadence("Two 45-minute 1-on-1s per week.").describe() == "1-on-1, 2× a week, 45 min"
    assert parse_cadence("Meeting 2-3x per week.").describe() == "1-on-1, 2–3× a week"
    assert parse_cadence("Fortnightly group call.").describe() == "group, every other week"
    assert parse_cadence("Daily stand-up.").describe() == "stand-up, every workday"
    assert Cadence().describe() == "unspecified — needs review"


def test_every_other_week_has_a_two_week_interval():
    [demand] = parse_cadence("We meet every other week.").demands

    assert demand.interval_weeks == 2
    assert demand.meetings_per_week(at_most=True) == 1


def test_demand_refuses_an_impossible_range():
    with pytest.raises(ValueError, match=r"per-week range 3\.\.2 is not valid"):
        MeetingDemand(kind=ONE, per_week_min=3, per_week_max=2)


demands = st.builds(
    MeetingDemand,
    kind=st.sampled_from(list(MeetingKind)),
    per_week_min=st.sampled_from([0.5, 1, 2, 3]),
    per_week_max=st.just(3.0),
    duration_minutes=st.one_of(st.none(), st.integers(5, 480)),
    source=st.text(max_size=40),
)


@settings(max_examples=60)
@given(st.lists(demands, max_size=4), st.lists(st.text(max_size=30), max_size=3))
def test_cadence_round_trips_through_its_dict(demand_list, sources):
    cadence = Cadence(demands=tuple(demand_list), sources=tuple(sources))

    assert Cadence.from_dict(cadence.to_dict()) == cadence


@settings(max_examples=150)
@given(st.text(max_size=300))
def test_parse_cadence_never_raises(text):
    assert isinstance(parse_cadence(text), Cadence)


# The reader's own vocabulary, shuffled: the texts most likely to reach its odd corners.
GRAMMAR_WORDS = re.split(
    r"\s+",
    """
weekly daily biweekly fortnightly monthly twice thrice once a an per each every other week weeks month day days
1:1 1:1s 1-on-1 group team stand-up standup meeting meetings call calls sync session check-ins reading journal club
lab and or , ; ( ) - – / plus then during first phase later as needed ad hoc regular regularly a few couple of
times x 2 3 2-3 0-2 9 two three four to between 30 min minutes hour hours h 1h 45m half an hour-long 90-minute each
both monday mondays tuesday thursday fri mon/wed/fri m/w/f m-f individual : | at least up to we meet sit down with
me Individual Group Team semi-weekly zero hourly 600 1.5 one-to-one all-hands grp mtg wkly biwk not no don't
instead of rather than my co-authors advisor if you prefer might depends 3-4pm 14:00–14:45 11:30 ? Q: A: how often
until in for mo other one the other is talk we'll get on a call 0 00 0th""".strip(),
)


@settings(max_examples=400)
@given(st.lists(st.sampled_from(GRAMMAR_WORDS), min_size=1, max_size=16), st.sampled_from([" ", "\n", ". "]))
def test_any_arrangement_of_the_grammar_words_reads_as_valid_demands_or_doubts(words, joint):
    text = joint.join(words)

    cadence = parse_cadence(text)

    for demand in cadence.demands:
        assert 0 < demand.per_week_min <= demand.per_week_max <= 7
        assert demand.duration_minutes is None or 5 <= demand.duration_minutes <= 480
        assert demand.source in text

    def folded(words: str) -> str:
        return " ".join(words.lower().replace("–", "-").split())

    for doubt in cadence.doubts:
        assert doubt.reason
        assert folded(doubt.phrase) in folded(text)


# Tokens that alone make no reading: a sentence of only these may be skipped unread.
JOINTS = {"and", "or", "clause", "open", "close", "count", "each", "then", "phase", "negation", "others", "maybe",
          "split", "bound"}  # fmt: skip


def corpus_sentences() -> list[str]:
    texts = [case.text for case in (*CORPUS, *HOLDOUT, *HOLDOUT_2)] + [SEED.read_text()]
    return [sentence.translate(_FOLD).lower() for text in texts for sentence in split_sentences(text)]


def spans(tokens) -> list[tuple[str, int, int]]:
    return [(token.type, token.start, token.end) for token in tokens]


def test_the_speed_gates_change_no_sentences_tokens():
    for sentence in corpus_sentences():
        ungated = _tokens(sentence, gated=False)
        assert spans(_tokens(sentence)) == spans(ungated), sentence
        if not _holds_content(sentence):
            assert {token.type for token in ungated} <= JOINTS, sentence


@settings(max_examples=300)
@given(st.lists(st.sampled_from(GRAMMAR_WORDS), min_size=1, max_size=16))
def test_the_speed_gates_change_no_tokens_of_any_arrangement_of_the_grammar_words(words):
    sentence = " ".join(words).translate(_FOLD).lower()

    ungated = _tokens(sentence, gated=False)

    assert spans(_tokens(sentence)) == spans(ungated)
    if not _holds_content(sentence):
        assert {token.type for token in ungated} <= JOINTS
