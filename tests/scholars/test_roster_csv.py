"""The roster CSV reader on its own: every kind of bad input is reported at its line, with no database."""

import datetime as dt

from scholars.roster_csv import MAX_ROWS, RosterError, RosterRow, check_references, parse_roster

STATUSES = ("accepted", "training", "research", "extended", "alumni", "withdrawn")
HEADER = "name,email,cohort,stream,status,time_zone,work_start,work_end,mentor,co_mentor\n"


def parse(text: str | bytes):
    return parse_roster(text, statuses=STATUSES)


def test_a_good_file_gives_one_row_per_scholar_with_the_line_it_starts_on():
    roster = parse(
        HEADER
        + "Ada Lovelace,ada@example.org,c1,interp,training,Europe/London,9:30,17:30,cas,alex\n"
        + "\n"
        + "Grace Hopper,grace@example.org,c1,interp,,,,,,\n"
    )

    assert roster.errors == []
    assert roster.rows == [
        RosterRow(
            line=2,
            name="Ada Lovelace",
            email="ada@example.org",
            cohort="c1",
            stream="interp",
            status="training",
            time_zone="Europe/London",
            work_start=dt.time(9, 30),
            work_end=dt.time(17, 30),
            mentor="cas",
            co_mentor="alex",
        ),
        RosterRow(line=4, name="Grace Hopper", email="grace@example.org", cohort="c1", stream="interp"),
    ]


def test_optional_columns_may_be_left_out_and_columns_come_in_any_order_and_case():
    roster = parse(" Email ,NAME,stream,cohort\r\nada@example.org,Ada,interp,c1\r\n")

    assert roster.errors == []
    assert roster.rows == [
        RosterRow(line=2, name="Ada", email="ada@example.org", cohort="c1", stream="interp")
    ]


def test_a_byte_order_mark_is_ignored():
    roster = parse("\ufeffname,email,cohort,stream\nAda,ada@example.org,c1,interp\n".encode())

    assert roster.errors == []
    assert [r.name for r in roster.rows] == ["Ada"]


def test_an_empty_file_is_an_error_at_line_1():
    assert parse("").errors == [RosterError(1, None, "The file is empty; the first line must be a header.")]


def test_a_header_with_no_rows_is_an_error_at_line_1():
    assert parse("name,email,cohort,stream\n\n").errors == [
        RosterError(1, None, "The header is followed by no scholars.")
    ]


def test_a_missing_required_column_is_reported_on_the_header_line():
    roster = parse("name,email,stream\nAda,ada@example.org,interp\n")

    assert roster.errors == [RosterError(1, "cohort", "Required column missing.")]
    assert roster.rows == []


def test_unknown_and_repeated_columns_are_reported_on_the_header_line():
    roster = parse("name,email,cohort,stream,timezone,email\n")

    assert [(e.line, e.field) for e in roster.errors] == [(1, "timezone"), (1, "email")]
    assert roster.errors[0].reason.startswith("Unknown column")
    assert roster.errors[1].reason == "The column appears more than once."


def test_a_file_that_is_not_utf8_is_reported_at_the_line_where_it_breaks():
    data = b"name,email,cohort,stream\nAda,ada@example.org,c1,interp\nJos\xe9,jose@example.org,c1,interp\n"

    assert parse(data).errors == [RosterError(3, None, "The file is not UTF-8 text.")]


def test_a_row_with_the_wrong_number_of_values_is_reported_at_its_line():
    roster = parse("name,email,cohort,stream\nAda,ada@example.org,c1\n")

    assert roster.errors == [RosterError(2, None, "Expected 4 values, found 3.")]


def test_broken_quoting_is_reported_at_the_line_of_its_row():
    roster = parse(
        'name,email,cohort,stream\nAda,ada@example.org,c1,interp\n"Bo"b,bob@example.org,c1,interp\n'
    )

    assert roster.errors == [RosterError(3, None, "Not valid CSV: ',' expected after '\"'.")]


def test_a_nul_character_is_reported_and_keeps_the_row_from_any_lookup():
    roster = parse("name,email,cohort,stream\nAda,ada@example.org,c\x001,interp\n")

    assert roster.errors == [RosterError(2, "cohort", "Contains a NUL character.")]
    assert roster.rows == []


def test_an_empty_required_value_is_reported_by_field():
    roster = parse("name,email,cohort,stream\n,ada@example.org,c1,interp\n")

    assert roster.errors == [RosterError(2, "name", "Required; this row leaves it empty.")]
    assert roster.rows == []


def test_a_bad_time_zone_is_reported_with_its_line_and_field():
    roster = parse(HEADER + "Ada,ada@example.org,c1,interp,,Europe/Londres,,,,\n")

    assert roster.errors == [
        RosterError(
            2, "time_zone", "'Europe/Londres' is not an IANA time zone; use a name like Europe/London."
        )
    ]


def test_a_bad_time_of_day_is_reported_with_its_line_and_field():
    roster = parse(
        HEADER + "Ada,ada@example.org,c1,interp,,,9am,,,\n" + "Bob,bob@example.org,c1,interp,,,,25:00,,\n"
    )

    assert [(e.line, e.field) for e in roster.errors] == [(2, "work_start"), (3, "work_end")]
    assert roster.errors[0].reason == "'9am' is not a time of day like 09:30."


def test_working_hours_that_end_before_they_start_are_an_error_on_work_end():
    roster = parse(HEADER + "Ada,ada@example.org,c1,interp,,,17:00,09:00,,\n")

    assert roster.errors == [RosterError(2, "work_end", "Working hours must end after they start.")]


def test_a_status_that_is_not_a_choice_is_reported():
    roster = parse(HEADER + "Ada,ada@example.org,c1,interp,graduated,,,,,\n")

    assert [(e.line, e.field) for e in roster.errors] == [(2, "status")]
    assert roster.errors[0].reason.startswith("'graduated' is not a status; use one of accepted,")


def test_a_malformed_email_is_reported():
    roster = parse("name,email,cohort,stream\nAda,ada-at-example.org,c1,interp\n")

    assert roster.errors == [RosterError(2, "email", "'ada-at-example.org' is not an email address.")]


def test_an_email_repeated_in_the_file_is_reported_on_the_later_line_ignoring_case():
    roster = parse(
        "name,email,cohort,stream\n"
        "Ada,ada@example.org,c1,interp\n"
        "Bob,bob@example.org,c1,interp\n"
        "Ada again,ADA@example.org,c1,interp\n"
    )

    assert roster.errors == [RosterError(4, "email", "ADA@example.org is already on line 2.")]


def test_the_same_mentor_as_primary_and_co_mentor_is_an_error():
    roster = parse(HEADER + "Ada,ada@example.org,c1,interp,,,,,cas,cas\n")

    assert roster.errors == [RosterError(2, "co_mentor", "The co-mentor must not be the primary mentor.")]


def test_a_quoted_value_over_two_lines_keeps_later_rows_at_their_own_lines():
    roster = parse(
        "name,email,cohort,stream\n"
        '"Ada\nLovelace",ada@example.org,c1,interp\n'
        "Bob,bob-at-example.org,c1,interp\n"
    )

    assert [r.line for r in roster.rows] == [2, 4]
    assert [(e.line, e.field) for e in roster.errors] == [(4, "email")]


def test_every_bad_row_is_reported_not_only_the_first():
    roster = parse(
        HEADER
        + "Ada,ada@example.org,c1,interp,,Mars/Olympus,,,,\n"
        + "Bob,bob@example.org,c1,interp,,,,,,\n"
        + "Cy,cy@example.org,c1,interp,lost,,,,,\n"
    )

    assert [(e.line, e.field) for e in roster.errors] == [(2, "time_zone"), (4, "status")]


def test_more_rows_than_the_limit_are_refused_at_the_first_row_over_it():
    lines = [f"S{n},s{n}@example.org,c1,interp" for n in range(MAX_ROWS + 1)]
    roster = parse("name,email,cohort,stream\n" + "\n".join(lines))

    assert roster.errors == [RosterError(MAX_ROWS + 2, None, f"At most {MAX_ROWS} scholars per upload.")]


def test_unknown_slugs_and_taken_emails_are_reported_by_line_and_field():
    rows = parse(
        HEADER + "Ada,ada@example.org,c1,interp,,,,,cas,nobody\n" + "Bob,Bob@Example.org,c9,vision,,,,,,\n"
    ).rows

    errors = check_references(
        rows, cohorts={"c1"}, streams={"interp"}, mentors={"cas"}, taken_emails={"bob@example.org"}
    )

    assert errors == [
        RosterError(2, "co_mentor", "No co-mentor with slug 'nobody'."),
        RosterError(3, "cohort", "No cohort with slug 'c9'."),
        RosterError(3, "stream", "No stream with slug 'vision'."),
        RosterError(3, "email", "A scholar with Bob@Example.org already exists."),
    ]
