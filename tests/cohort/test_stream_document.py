from pathlib import Path

import pytest

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


def test_seed_text_copied_between_cas_and_adria_is_reported_on_both(seed):
    assert warnings_of(seed, WarningCode.DUPLICATED_TEXT) == [
        DocumentWarning(
            WarningCode.DUPLICATED_TEXT,
            "7 paragraphs of Stephen Casper's section also appear word for word in "
            "Adrià Garriga Alonso's section.",
            228,
            "stephen-casper",
        ),
        DocumentWarning(
            WarningCode.DUPLICATED_TEXT,
            "7 paragraphs of Adrià Garriga Alonso's section also appear word for word in "
            "Stephen Casper's section.",
            273,
            "adria-garriga-alonso",
        ),
    ]


def test_seed_neel_and_jessica_have_no_readable_cadence(seed):
    unspecified = warnings_of(seed, WarningCode.CADENCE_UNSPECIFIED)

    assert [(w.mentor_slug, w.line) for w in unspecified] == [("neel-nanda", 7), ("jessica-rumbelow", 186)]
    assert [m.slug for m in seed.mentors if m.cadence.needs_review] == ["neel-nanda", "jessica-rumbelow"]


def test_seed_cadences_read_from_the_mentorship_bullets(seed):
    assert {m.slug: m.cadence.describe() for m in seed.mentors if not m.cadence.needs_review} == {
        "alex-turner": "1-on-1, weekly; group, weekly",
        "lee-sharkey": "1-on-1, weekly, 60 min",
        "stephen-casper": "1-on-1, 2–3× a week",
        "adria-garriga-alonso": "1-on-1, 2–3× a week",
    }


def test_each_mentor_carries_its_own_share_of_the_warnings(seed):
    adria = mentor(seed, "adria-garriga-alonso")

    assert [w.code for w in adria.warnings] == [WarningCode.DUPLICATED_TEXT, WarningCode.NAMES_OTHER_MENTOR]
    assert sum(len(m.warnings) for m in seed.mentors) == len(seed.warnings)


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


def test_single_copied_paragraph_is_reported_on_both_mentors(evaluations):
    assert [
        (w.mentor_slug, w.line, w.message) for w in warnings_of(evaluations, WarningCode.DUPLICATED_TEXT)
    ] == [
        (
            "tomas-o-briain",
            42,
            "1 paragraph of Tomás Ó Briain's section also appears word for word in Priya Raghunathan's section.",
        ),
        (
            "priya-raghunathan",
            53,
            "1 paragraph of Priya Raghunathan's section also appears word for word in Tomás Ó Briain's section.",
        ),
    ]


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
