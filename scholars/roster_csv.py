"""Reading a roster of scholars from CSV: columns, formats and cross-row rules, with no database.

Two passes, so every bad row is reported at once and the database is asked only about the slugs and addresses the
file names: ``parse_roster`` checks the header and each value's form; ``check_references`` then checks the cohort,
stream and mentor slugs and the addresses against what the caller looked up. Lines are the file's own line
numbers (the header is line 1), so a quoted value spanning lines still points at the line where its row begins.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Collection
from dataclasses import dataclass

from cohort.time_zones import time_zone_problem

REQUIRED_COLUMNS = ("name", "email", "cohort", "stream")
OPTIONAL_COLUMNS = ("status", "time_zone", "work_start", "work_end", "mentor", "co_mentor")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_ROWS = 1000
MAX_NAME_CHARS = 200
HEADER_LINE = 1
# A light check of form only; the model's EmailValidator has the final word when the rows are cleaned.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WALL_CLOCK = re.compile(r"^(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(:(?P<second>[0-5]\d))?$")


@dataclass(frozen=True)
class RosterError:
    line: int | None
    field: str | None
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "reason": self.reason}


class RosterRejected(Exception):
    """The roster has bad rows; ``errors`` names every one of them."""

    def __init__(self, errors: list[RosterError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the roster")
        self.errors = errors


@dataclass(frozen=True)
class RosterRow:
    """One scholar as the file gives them; None means "not given, use the default"."""

    line: int
    name: str
    email: str
    cohort: str
    stream: str
    status: str | None = None
    time_zone: str | None = None
    work_start: dt.time | None = None
    work_end: dt.time | None = None
    mentor: str | None = None
    co_mentor: str | None = None


@dataclass(frozen=True)
class Roster:
    """``rows`` holds every row that names its scholar fully, even one with other errors, so that the references
    of every row can be checked too; write nothing unless ``errors`` is empty."""

    rows: list[RosterRow]
    errors: list[RosterError]


def parse_roster(data: bytes | str, *, statuses: Collection[str]) -> Roster:
    """Read the file's rows, reporting every header problem and every malformed value by line and column.

    1. Decode UTF-8 (a byte-order mark is dropped); anything else is one error at the line it breaks.
    2. The header must name each required column once and no unknown column (a typo would silently drop data).
    3. Each row must have one value per column and well-formed values; blank lines are skipped.
    4. An address may appear only once in the file (compared without case).
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            return Roster([], [RosterError(line, None, "The file is not UTF-8 text.")])
    data = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(data, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        return Roster([], [RosterError(HEADER_LINE, None, f"The header is not valid CSV: {error}.")])
    if not header or not any(cell.strip() for cell in header):
        return Roster(
            [], [RosterError(HEADER_LINE, None, "The file is empty; the first line must be a header.")]
        )
    columns = [cell.strip().lower() for cell in header]
    errors = _header_errors(columns)
    if errors:
        return Roster([], errors)

    rows: list[RosterRow] = []
    first_line_by_email: dict[str, int] = {}
    line = reader.line_num + 1
    count = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(RosterError(line, None, f"Not valid CSV: {error}."))
            break
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        count += 1
        if count > MAX_ROWS:
            errors.append(RosterError(start, None, f"At most {MAX_ROWS} scholars per upload."))
            break
        if len(record) != len(columns):
            errors.append(RosterError(start, None, f"Expected {len(columns)} values, found {len(record)}."))
            continue
        row, row_errors = _parse_row(start, dict(zip(columns, record, strict=True)), statuses=statuses)
        if row is not None:
            key = row.email.lower()
            if key in first_line_by_email:
                row_errors.append(
                    RosterError(start, "email", f"{row.email} is already on line {first_line_by_email[key]}.")
                )
            else:
                first_line_by_email[key] = start
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if count == 0 and not errors:
        errors.append(RosterError(HEADER_LINE, None, "The header is followed by no scholars."))
    return Roster(rows, errors)


def check_references(
    rows: list[RosterRow],
    *,
    cohorts: Collection[str],
    streams: Collection[str],
    mentors: Collection[str],
    taken_emails: Collection[str],
) -> list[RosterError]:
    """Errors for rows naming a cohort, stream or mentor slug that does not exist, or an address (given in lower
    case in ``taken_emails``) that a scholar already has."""
    errors = []
    for row in rows:
        for field, value, known in (
            ("cohort", row.cohort, cohorts),
            ("stream", row.stream, streams),
            ("mentor", row.mentor, mentors),
            ("co_mentor", row.co_mentor, mentors),
        ):
            if value is not None and value not in known:
                errors.append(
                    RosterError(row.line, field, f"No {field.replace('_', '-')} with slug {value!r}.")
                )
        if row.email.lower() in taken_emails:
            errors.append(RosterError(row.line, "email", f"A scholar with {row.email} already exists."))
    return errors


def _header_errors(columns: list[str]) -> list[RosterError]:
    errors = []
    seen: set[str] = set()
    for column in columns:
        if not column:
            errors.append(RosterError(HEADER_LINE, None, "A column has no name."))
        elif column not in COLUMNS:
            errors.append(
                RosterError(HEADER_LINE, column, f"Unknown column; the columns are {', '.join(COLUMNS)}.")
            )
        elif column in seen:
            errors.append(RosterError(HEADER_LINE, column, "The column appears more than once."))
        seen.add(column)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            errors.append(RosterError(HEADER_LINE, column, "Required column missing."))
    return errors


def _parse_row(
    line: int, cells: dict[str, str], *, statuses: Collection[str]
) -> tuple[RosterRow | None, list[RosterError]]:
    values = {column: cells.get(column, "").strip() for column in COLUMNS}
    errors = []

    def bad(field: str, reason: str) -> None:
        errors.append(RosterError(line, field, reason))

    # No database stores or even compares NUL in text (PostgreSQL refuses the query), so such a row goes no further.
    nul = [column for column, value in values.items() if "\x00" in value]
    for column in nul:
        bad(column, "Contains a NUL character.")
    if nul:
        return None, errors
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            bad(column, "Required; this row leaves it empty.")
    if len(values["name"]) > MAX_NAME_CHARS:
        bad("name", f"At most {MAX_NAME_CHARS} characters (this has {len(values['name'])}).")
    if values["email"] and not EMAIL.match(values["email"]):
        bad("email", f"{values['email']!r} is not an email address.")
    if values["status"] and values["status"] not in statuses:
        bad("status", f"{values['status']!r} is not a status; use one of {', '.join(statuses)}.")
    if values["time_zone"] and (problem := time_zone_problem(values["time_zone"])):
        bad("time_zone", problem)
    times: dict[str, dt.time | None] = {}
    for column in ("work_start", "work_end"):
        times[column] = None
        if values[column]:
            times[column] = _wall_clock(values[column])
            if times[column] is None:
                bad(column, f"{values[column]!r} is not a time of day like 09:30.")
    start, end = times["work_start"], times["work_end"]
    if start is not None and end is not None and end <= start:
        bad("work_end", "Working hours must end after they start.")
    if values["mentor"] and values["mentor"] == values["co_mentor"]:
        bad("co_mentor", "The co-mentor must not be the primary mentor.")
    if not all(values[column] for column in REQUIRED_COLUMNS):
        return None, errors
    return (
        RosterRow(
            line=line,
            name=values["name"],
            email=values["email"],
            cohort=values["cohort"],
            stream=values["stream"],
            status=values["status"] or None,
            time_zone=values["time_zone"] or None,
            work_start=times["work_start"],
            work_end=times["work_end"],
            mentor=values["mentor"] or None,
            co_mentor=values["co_mentor"] or None,
        ),
        errors,
    )


def _wall_clock(text: str) -> dt.time | None:
    """'9:30', '09:30' or '09:30:00' as a time; None for anything else ('9.30', '25:00', '9am')."""
    match = WALL_CLOCK.match(text)
    if match is None:
        return None
    return dt.time(int(match["hour"]), int(match["minute"]), int(match["second"] or 0))
