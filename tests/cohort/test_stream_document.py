from pathlib import Path

import pytest

from cohort import stream_document
from cohort.cadence import Cadence, Doubt
from cohort.stream_document import (
    DocumentWarning,
    Section,
    StreamDocumentError,
    WarningCode,
    decode_stream_document,
    parse_stream_document,
    read_stream_document,
)

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "interpretability.txt"
EVALUATIONS = Path(__file__).resolve().parent / "data" / "evaluations.txt"

HEADER = "Robustness\n\nA stream about robustness.\n\nMentors\n\n"
ONE_MENTOR = "Jane Doe\nResearcher, Acme Labs\n\nJane works on robustness.\n\n  • Jane is a researcher.\n"


@pytest.fixture(scope="module")
def seed():
    return read_stream_document(SEED)


@pytest.fixture(scope="module")
def evaluations():
    return read_stream_document(EVALUATIONS)


def mentor(document, slug):
    return next(entry for entry in document.mentors if entry.slug == slug)


def warnings_of(document, code):
    return [warning for warning in document.warnings if warning.code == code]


def parse(text: str):
    return parse_stream_document(text, filename="doc.txt")


def parse_error(text: str) -> StreamDocumentError:
    with pytest.raises(StreamDocumentError) as error:
        parse(text)
    return error.value


# --- the real seed -------------------------------------------------------------------------------------------


def test_seed_stream_has_title_slug_and_description(seed):
    assert (seed.title, seed.slug) == ("Interpretability", "interpretability")
    assert seed.description == (
        "Rigorously understanding how ML models function may allow us to identify and train against "
        "misalignment. Can we reverse engineer neural nets from their weights, similar to how one might "
        "reverse engineer a binary compiled program?"
    )


def test_seed_has_six_mentors_with_exact_titles_and_organisations(seed):
    assert [(m.name, m.slug, m.title, m.organisation, m.line) for m in seed.mentors] == [
        ("Neel Nanda", "neel-nanda", "Research Engineer", "Google DeepMind", 7),
        ("Alex Turner", "alex-turner", "Research Scientist", "Google DeepMind", 70),
        ("Lee Sharkey", "lee-sharkey", "Chief Strategy Officer", "Apollo Research", 111),
        ("Jessica Rumbelow", "jessica-rumbelow", "CEO", "Leap Labs", 186),
        ("Stephen Casper", "stephen-casper", "PhD Student", "MIT AAG", 201),
        ("Adrià Garriga Alonso", "adria-garriga-alonso", "Research Scientist", "FAR Labs", 242),
    ]


def test_seed_summary_is_the_paragraph_after_the_title_line(seed):
    assert mentor(seed, "lee-sharkey").summary == (
        "Lee is Chief Strategy Officer at Apollo Research. "
        "His main research interests are mechanistic interpretability and “inner alignment.”"
    )


def test_seed_biography_is_the_first_bullet(seed):
    assert mentor(seed, "adria-garriga-alonso").biography.startswith(
        "Adrià is a Research Scientist at FAR AI. His previous relevant work includes Automatic Circuit"
    )
    assert (
        mentor(seed, "adria-garriga-alonso").biography
        == mentor(seed, "adria-garriga-alonso").sections[0].text
    )


def test_seed_sections_nest_bullets_and_keep_paragraphs_under_the_enclosing_bullet(seed):
    looking_for = mentor(seed, "neel-nanda").sections[2]

    assert (looking_for.text, looking_for.line) == ("What am I looking for in an application?", 16)
    assert [child.line for child in looking_for.children[:3]] == [18, 20, 24]
    assert looking_for.children[0].text.startswith("Some core skills in mech interp")
    assert looking_for.children[1].children == (
        Section(
            "You can show this with transparent reasoning about what you believe to be true, "
            "and nuanced arguments for why?",
            22,
        ),
    )
    assert [child.text for child in looking_for.children if child.text.endswith("?")] == [
        "What background do applicants need?",
        "How can I tell if I’d be a good fit for this?",
    ]


def test_seed_top_level_sections_of_each_mentor(seed):
    assert {m.slug: len(m.sections) for m in seed.mentors} == {
        "neel-nanda": 3,
        "alex-turner": 3,
        "lee-sharkey": 3,
        "jessica-rumbelow": 3,
        "stephen-casper": 3,
        "adria-garriga-alonso": 3,
    }


def test_seed_adria_section_naming_cas_is_reported(seed):
    assert warnings_of(seed, WarningCode.NAMES_OTHER_MENTOR) == [
        DocumentWarning(
            WarningCode.NAMES_OTHER_MENTOR,
            "Adrià Garriga Alonso's section names “Cas”, as Stephen Casper is called in this document; "
            "check it was not copied from Stephen Casper's section.",
            275,
            "adria-garriga-alonso",
        )
    ]


def test_seed_text_copied_between_cas_and_adria_is_one_warning_naming_both(seed):
    assert warnings_of(seed, WarningCode.DUPLICATED_TEXT) == [
        DocumentWarning(
            WarningCode.DUPLICATED_TEXT,
            "These 12 paragraphs appear word for word in the sections of Stephen Casper and Adrià Garriga "
            "Alonso: “Frequent check-ins about challenges. A good rule of thumb is to ask for help af…”",
            218,
            "stephen-casper",
            shared_with=("adria-garriga-alonso",),
        )
    ]


def test_seed_cadence_read_from_the_copied_passage_needs_review_in_both_sections(seed):
    copied = {
        m.slug: [d.describe() for d in m.cadence.doubts if d.reason.startswith("copied")]
        for m in seed.mentors
    }

    assert {slug: found for slug, found in copied.items() if found} == {
        "stephen-casper": [
            "“Meeting 2-3x per week would be ideal.”: copied word for word from Adrià Garriga Alonso's "
            "section; check it is this mentor's own rhythm"
        ],
        "adria-garriga-alonso": [
            "“Meeting 2-3x per week would be ideal.”: copied word for word from Stephen Casper's section; "
            "check it is this mentor's own rhythm"
        ],
    }
    review = {w.mentor_slug: w for w in warnings_of(seed, WarningCode.CADENCE_NEEDS_REVIEW)}
    assert (review["adria-garriga-alonso"].line, review["stephen-casper"].line) == (242, 201)
    assert review["adria-garriga-alonso"].message.startswith(
        "Adrià Garriga Alonso's cadence (1-on-1, 2–3× a week) needs review: "
    )
    assert copied["adria-garriga-alonso"][0] in review["adria-garriga-alonso"].message


def test_seed_neel_and_jessica_have_no_readable_cadence(seed):
    unspecified = warnings_of(seed, WarningCode.CADENCE_UNSPECIFIED)

    assert [(w.mentor_slug, w.line) for w in unspecified] == [("neel-nanda", 7), ("jessica-rumbelow", 186)]
    assert [m.slug for m in seed.mentors if not m.cadence.is_specified] == ["neel-nanda", "jessica-rumbelow"]


def test_seed_cadences_read_from_the_mentorship_bullets(seed):
    assert {m.slug: m.cadence.describe() for m in seed.mentors if m.cadence.is_specified} == {
        "alex-turner": "1-on-1, weekly; group, weekly",
        "lee-sharkey": "1-on-1, weekly, 60 min",
        "stephen-casper": "1-on-1, 2–3× a week — needs review",
        "adria-garriga-alonso": "1-on-1, 2–3× a week — needs review",
    }


def test_each_mentor_carries_the_warnings_about_it(seed):
    adria = mentor(seed, "adria-garriga-alonso")

    assert [w.code for w in adria.warnings] == [
        WarningCode.DUPLICATED_TEXT,
        WarningCode.CADENCE_NEEDS_REVIEW,
        WarningCode.NAMES_OTHER_MENTOR,
    ]
    for entry in seed.mentors:
        assert list(entry.warnings) == [w for w in seed.warnings if w.is_about(entry.slug)]


# --- a second document of the same shape ---------------------------------------------------------------------


def test_second_document_title_lines_split_at_the_last_comma(evaluations):
    assert [(m.slug, m.title, m.organisation) for m in evaluations.mentors] == [
        ("mei-ling-zhang", "Senior Researcher, Evaluations Lead", "Institute for Frontier Evaluations"),
        ("tomas-o-briain", "Research Fellow", "Centre for Model Oversight"),
        ("priya-raghunathan", "Independent Researcher", ""),
    ]


def test_second_document_wrapped_lines_join_their_paragraph(evaluations):
    assert evaluations.description == (
        "How do we know what a model can do before it is deployed? This stream builds evaluations of dangerous "
        "capabilities and stress-tests the ones that already exist."
    )
    assert mentor(evaluations, "mei-ling-zhang").biography == (
        "Mei-Ling leads the agentic evaluations team at the Institute for Frontier Evaluations. Before that she "
        "built benchmark suites for program synthesis."
    )


def test_second_document_nests_three_levels(evaluations):
    directions = mentor(evaluations, "mei-ling-zhang").sections[1]

    assert directions.children[0].children == (Section("Tasks should be cheap to score automatically.", 20),)


def test_title_line_without_comma_warns_missing_organisation(evaluations):
    assert warnings_of(evaluations, WarningCode.MISSING_ORGANISATION) == [
        DocumentWarning(
            WarningCode.MISSING_ORGANISATION,
            "Priya Raghunathan's title line “Independent Researcher” names no organisation "
            "(expected 'Title, Organisation').",
            45,
            "priya-raghunathan",
        )
    ]


def test_nickname_given_in_quotes_of_another_mentor_is_reported(evaluations):
    assert [(w.mentor_slug, w.line) for w in warnings_of(evaluations, WarningCode.NAMES_OTHER_MENTOR)] == [
        ("priya-raghunathan", 55)
    ]


def test_single_copied_paragraph_is_one_warning_shown_to_both_mentors(evaluations):
    [copied] = warnings_of(evaluations, WarningCode.DUPLICATED_TEXT)

    assert (copied.mentor_slug, copied.shared_with, copied.line, copied.message) == (
        "tomas-o-briain",
        ("priya-raghunathan",),
        42,
        "This paragraph appears word for word in the sections of Tomás Ó Briain and Priya Raghunathan: "
        "“Every scholar is expected to keep a research log and to share it with the group…”",
    )
    assert copied in mentor(evaluations, "priya-raghunathan").warnings


def test_second_document_cadences(evaluations):
    assert [(m.slug, m.cadence.describe()) for m in evaluations.mentors] == [
        ("mei-ling-zhang", "1-on-1, 2× a week"),
        ("tomas-o-briain", "group, every other week"),
        ("priya-raghunathan", "unspecified — needs review"),
    ]
    assert [(w.mentor_slug, w.line) for w in warnings_of(evaluations, WarningCode.CADENCE_UNSPECIFIED)] == [
        ("priya-raghunathan", 44)
    ]


# --- shapes --------------------------------------------------------------------------------------------


def test_mentor_without_bullets_is_followed_by_the_next_mentor():
    document = parse(HEADER + "Ann Lee\nProfessor, Uni\n\nAnn studies proofs.\n\n" + ONE_MENTOR)

    assert [(m.slug, m.summary, len(m.sections)) for m in document.mentors] == [
        ("ann-lee", "Ann studies proofs.", 0),
        ("jane-doe", "Jane works on robustness.", 1),
    ]


def test_indented_paragraph_before_any_bullet_is_a_top_level_section():
    document = parse(HEADER + "Jane Doe\nResearcher, Acme\n\nSummary.\n\n  An aside.\n\n  • Bio.\n")

    assert document.mentors[0].sections == (Section("An aside.", 12), Section("Bio.", 14))
    assert document.mentors[0].biography == "Bio."


def test_windows_line_endings_and_byte_order_mark_are_read():
    text = decode_stream_document(
        ("\ufeff" + HEADER + ONE_MENTOR).replace("\n", "\r\n").encode(), filename="d"
    )

    assert parse(text).mentors[0].organisation == "Acme Labs"


# --- malformed documents -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n  \n\n"])
def test_empty_document_is_an_error_at_line_1(text):
    assert str(parse_error(text)) == "doc.txt:1: the document is empty"


def test_document_without_mentors_line_is_an_error_at_its_last_line():
    error = parse_error("Robustness\n\nA stream.\n\nJane Doe\nResearcher, Acme\n\n")

    assert (error.line, error.reason) == (
        6,
        "no 'Mentors' line: the mentors must follow a line reading 'Mentors'",
    )


def test_mentors_line_with_nothing_after_it_is_an_error():
    error = parse_error("Robustness\n\nA stream.\n\nMentors\n\n")

    assert str(error) == "doc.txt:5: no mentors after the 'Mentors' line"


def test_mentor_without_title_line_is_an_error_at_the_name():
    error = parse_error(HEADER + ONE_MENTOR + "\nJohn Roe\n\nJohn works on evals.\n\n  • Bio.\n")

    assert str(error) == (
        "doc.txt:14: mentor 'John Roe' has no title line: the line right after the name must read "
        "'Title, Organisation'"
    )


def test_duplicate_mentor_is_an_error_at_the_second_entry():
    error = parse_error(HEADER + ONE_MENTOR + "\n" + ONE_MENTOR)

    assert str(error) == (
        "doc.txt:14: mentor 'Jane Doe' appears twice (also 'Jane Doe' at line 7); list each mentor once"
    )


def test_names_that_differ_only_by_accents_are_duplicates():
    error = parse_error(HEADER + ONE_MENTOR + "\n" + ONE_MENTOR.replace("Jane Doe", "Jané Doe", 1))

    assert (error.line, error.reason) == (
        14,
        "mentor 'Jané Doe' appears twice (also 'Jane Doe' at line 7); list each mentor once",
    )


def test_tab_in_indentation_is_an_error():
    error = parse_error(HEADER + ONE_MENTOR + "\n\t• Tabbed bullet.\n")

    assert str(error) == "doc.txt:14: a tab in the indentation; indent bullets with spaces only"


def test_bullet_between_two_indentation_levels_is_an_error():
    error = parse_error(HEADER + ONE_MENTOR + "\n      • Deep.\n\n    • Between.\n")

    assert str(error) == (
        "doc.txt:16: bullet indented 4 spaces lines up neither with the bullets beside it (6 spaces) "
        "nor with its parent at line 12 (2 spaces)"
    )


def test_unindented_line_right_under_a_bullet_is_an_error():
    error = parse_error(HEADER + ONE_MENTOR + "John Roe\nResearcher, Acme\n")

    assert error.line == 13
    assert error.reason.startswith("unindented text right under a bullet")


def test_unindented_paragraph_after_bullets_is_an_error():
    error = parse_error(
        HEADER + ONE_MENTOR + "\nThis paragraph is not indented, so it belongs to no bullet.\n"
    )

    assert error.line == 14
    assert error.reason.startswith("text outside any bullet")


def test_invalid_utf8_is_an_error_naming_line_and_column():
    data = (HEADER + ONE_MENTOR + "\n  • Caf").encode() + b"\xe9 talk.\n"

    with pytest.raises(StreamDocumentError) as error:
        decode_stream_document(data, filename="doc.txt")

    assert str(error.value) == "doc.txt:14: not valid UTF-8 (byte 0xE9 at column 8); save the file as UTF-8"


def test_control_character_in_a_name_is_an_error_naming_line_and_column():
    error = parse_error(HEADER + ONE_MENTOR.replace("Jane Doe", "Jane\x00Doe", 1))

    assert str(error) == (
        "doc.txt:7: the control character U+0000 (NUL) at column 5; "
        "a document holds text, tabs and line breaks only"
    )


@pytest.mark.parametrize(("character", "shown"), [("\x1b", "U+001B"), ("\x0b", "U+000B"), ("\x85", "U+0085")])
def test_other_control_characters_are_errors(character, shown):
    error = parse_error(HEADER + ONE_MENTOR + f"\n  • A bullet {character}here.\n")

    assert (error.line, error.reason.split(" at ")[0]) == (14, f"the control character {shown}")


def test_lone_surrogate_is_an_error():
    error = parse_error(HEADER + ONE_MENTOR.replace("robustness.", "robustness \ud800.", 1))

    assert (error.line, error.reason) == (
        10,
        "a lone surrogate (U+D800) at column 26, which is not text; "
        "a document holds text, tabs and line breaks only",
    )


def test_tabs_inside_a_line_and_windows_line_breaks_are_text():
    document = parse((HEADER + ONE_MENTOR.replace("Jane is", "Jane\tis")).replace("\n", "\r\n"))

    assert document.mentors[0].sections[0].text == "Jane\tis a researcher."


# --- warnings people can act on -------------------------------------------------------------------------------

BOILERPLATE = (
    "Every scholar keeps a research log, shares it with the group each Friday and reads two papers a week."
)


def mentors_sharing_a_bullet(count: int, *, cadence: str = "We meet weekly for 1-on-1 meetings.") -> str:
    return HEADER + "".join(
        f"Mentor{i} Person{i}\nResearcher, Lab {i}\n\nMentor{i} studies topic {i}.\n\n"
        f"  • {cadence}\n\n  • {BOILERPLATE}\n\n"
        for i in range(count)
    )


def test_a_bullet_thirty_mentors_share_is_one_warning_naming_them():
    document = parse(mentors_sharing_a_bullet(30))

    [copied] = warnings_of(document, WarningCode.DUPLICATED_TEXT)
    assert copied.message == (
        "These 2 paragraphs appear word for word in the sections of Mentor0 Person0, Mentor1 Person1 and 28 "
        f"others: “{BOILERPLATE[:79]}…”"
    )
    assert (copied.mentor_slug, len(copied.shared_with)) == ("mentor0-person0", 29)
    assert all(copied in entry.warnings for entry in document.mentors)


def test_up_to_five_sharing_mentors_are_all_named():
    document = parse(mentors_sharing_a_bullet(5))

    [copied] = warnings_of(document, WarningCode.DUPLICATED_TEXT)
    assert (
        " word for word in the sections of Mentor0 Person0, Mentor1 Person1, Mentor2 Person2, Mentor3 Person3 "
        "and Mentor4 Person4: “Every scholar"
    ) in copied.message


def test_a_cadence_read_from_a_shared_passage_needs_review():
    document = parse(mentors_sharing_a_bullet(3))

    entry = document.mentors[1]
    assert entry.cadence.describe() == "1-on-1, weekly — needs review"
    assert [d.reason for d in entry.cadence.doubts] == [
        "copied word for word from the sections of Mentor0 Person0 and Mentor2 Person2; "
        "check it is this mentor's own rhythm"
    ]
    assert [w.code for w in entry.warnings if w.mentor_slug == entry.slug] == [
        WarningCode.CADENCE_NEEDS_REVIEW
    ]


def test_a_cadence_of_its_own_beside_a_shared_passage_stands():
    document = parse(mentors_sharing_a_bullet(2).replace("We meet weekly", "We meet twice a week", 1))

    assert [m.cadence.describe() for m in document.mentors] == ["1-on-1, 2× a week", "1-on-1, weekly"]


def test_doubts_of_an_unspecified_cadence_are_named_in_its_warning(monkeypatch):
    doubt = Doubt(phrase="9x per week", reason="more meetings a week than days")
    monkeypatch.setattr(stream_document, "parse_cadence", lambda text: Cadence(doubts=(doubt,)))

    [unspecified] = warnings_of(parse(HEADER + ONE_MENTOR), WarningCode.CADENCE_UNSPECIFIED)

    assert unspecified.message == (
        "No meeting cadence could be read from Jane Doe's section; the cohort's default applies until staff "
        "set one. The reader's doubts: “9x per week”: more meetings a week than days."
    )


def two_mentors(first_name: str, first_text: str, second_name: str) -> str:
    return (
        HEADER
        + f"{first_name}\nResearcher, Acme\n\n{first_text}\n\n"
        + f"{second_name}\nResearcher, Acme\n\n{second_name} works on evals.\n"
    )


@pytest.mark.parametrize(
    ("first_name", "text"),
    [
        ("Kate Smith-Jones", "Kate Smith-Jones works on robustness."),
        ("Mary O'Neil", "Mary O'Neil works on robustness."),
        ("Ann Lee", "Ann works on Jones-style proofs."),
    ],
)
def test_a_name_inside_a_hyphenated_or_apostrophed_word_is_no_mention(first_name, text):
    document = parse(two_mentors(first_name, text, "Bob Jones Neil"))

    assert warnings_of(document, WarningCode.NAMES_OTHER_MENTOR) == []


def test_a_possessive_name_is_a_mention():
    document = parse(two_mentors("Ann Lee", "Ann builds on Jones’s benchmark.", "Bob Jones"))

    assert [w.message for w in warnings_of(document, WarningCode.NAMES_OTHER_MENTOR)] == [
        "Ann Lee's section names “Jones”, as Bob Jones is called in this document; "
        "check it was not copied from Bob Jones's section."
    ]


def test_a_name_several_other_mentors_share_is_one_warning():
    document = parse(
        two_mentors("Ann Lee", "Ann works with Alex.", "Alex Kim")
        + "\nAlex Roe\nResearcher, Acme\n\nAlex Roe works on evals.\n"
    )

    assert [(w.mentor_slug, w.message) for w in warnings_of(document, WarningCode.NAMES_OTHER_MENTOR)] == [
        (
            "ann-lee",
            "Ann Lee's section names “Alex”, as Alex Kim and Alex Roe are called in this document; "
            "check it was not copied from theirs.",
        )
    ]


def test_five_thousand_mentors_sharing_a_bullet_give_one_copied_text_warning():
    document = parse(mentors_sharing_a_bullet(5000))

    assert len(warnings_of(document, WarningCode.DUPLICATED_TEXT)) == 1
    assert len(warnings_of(document, WarningCode.CADENCE_NEEDS_REVIEW)) == 5000
    assert warnings_of(document, WarningCode.NAMES_OTHER_MENTOR) == []


def test_a_fault_in_the_cadence_reader_refuses_the_document_at_the_mentor(monkeypatch):
    def broken(text):
        raise ValueError("9.0 meetings a week is more than one a day")

    monkeypatch.setattr(stream_document, "parse_cadence", broken)

    error = parse_error(HEADER + ONE_MENTOR)

    assert str(error) == (
        "doc.txt:7: Jane Doe's cadence could not be read (9.0 meetings a week is more than one a day); "
        "reword it or report the sentence"
    )
