"""scholars.busy_calendar: a person's own calendar file read as busy intervals.

The three files in ``calendars/`` are written for these tests in the shape Google, Outlook (Exchange) and Apple
export; every expected interval below is worked out by hand from the file, with the local time it comes from.
Clock changes: Europe 2026-10-25 (CEST +2 -> CET +1) and 2027-03-28; US 2026-11-01 (EDT -4 -> EST -5, PDT -7 ->
PST -8) and 2027-03-14.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scholars.busy_calendar import BusyInterval, NotACalendar, busy_intervals
from tests.scholars.calendar_files import (
    APPLE_OWNER,
    CALENDARS,
    FILE_CASES,
    GOOGLE_OWNER,
    OUTLOOK_OWNER,
    OWNER,
    busy,
    utc,
)


def read(name: str) -> bytes:
    return (CALENDARS / name).read_bytes()


def calendar(*events: str) -> bytes:
    """A minimal VCALENDAR around the given VEVENT bodies (their lines joined by newlines)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tests//busy calendar//EN"]
    for number, body in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:event-{number}@example.org", "DTSTAMP:20261001T000000Z"]
        lines += body.strip().splitlines()
        lines += ["END:VEVENT"]
    lines += ["END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def read_busy(data: bytes, *, time_zone: str = "UTC", start: datetime, end: datetime) -> list[BusyInterval]:
    return busy_intervals(data, time_zone=time_zone, owner_emails=[OWNER], start=start, end=end)


# A wide window for the synthetic events: far from every event, so nothing near its edges.
WIDE = {"start": utc(2026, 9, 1), "end": utc(2027, 5, 1)}


# --- the three provider files, whole windows ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "time_zone", "owner", "start", "end", "expected"), FILE_CASES)
def test_provider_file_busy_intervals(name, time_zone, owner, start, end, expected):
    got = busy_intervals(read(name), time_zone=time_zone, owner_emails=[owner], start=start, end=end)
    assert got == expected
    # == on aware datetimes compares instants: check they are also written in UTC.
    assert all(i.starts_at.utcoffset() == timedelta(0) == i.ends_at.utcoffset() for i in got)


def test_busy_interval_holds_only_times():
    assert [field.name for field in fields(BusyInterval)] == ["starts_at", "ends_at"]


# --- who declined -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attendees", "owner_emails", "is_busy"),
    [
        pytest.param(["PARTSTAT=DECLINED:mailto:me@example.org"], [OWNER], False, id="owner-declined"),
        pytest.param(
            ["PARTSTAT=DECLINED;CN=Me:MAILTO:Me@Example.ORG"],
            [" ME@example.org "],
            False,
            id="owner-declined-case",
        ),
        pytest.param(
            ["PARTSTAT=ACCEPTED:mailto:me@example.org", "PARTSTAT=DECLINED:mailto:guest@example.org"],
            [OWNER],
            True,
            id="other-guest-declined",
        ),
        pytest.param(
            ["PARTSTAT=DECLINED:mailto:me@example.org"],
            ["someone.else@example.org"],
            True,
            id="not-the-owner",
        ),
        pytest.param(
            ["PARTSTAT=DECLINED:mailto:me.work@example.org"],
            [OWNER, "me.work@example.org"],
            False,
            id="owner-second-address-declined",
        ),
        pytest.param(["PARTSTAT=ACCEPTED:mailto:me@example.org"], [OWNER], True, id="owner-accepted"),
        pytest.param(["PARTSTAT=TENTATIVE:mailto:me@example.org"], [OWNER], True, id="owner-tentative"),
        pytest.param(["PARTSTAT=NEEDS-ACTION:mailto:me@example.org"], [OWNER], True, id="owner-not-answered"),
    ],
)
def test_declined_only_by_the_owner_frees_the_time(attendees, owner_emails, is_busy):
    lines = "\n".join(f"ATTENDEE;{attendee}" for attendee in attendees)
    data = calendar(f"DTSTART:20261021T100000Z\nDTEND:20261021T110000Z\n{lines}")
    got = busy_intervals(data, time_zone="UTC", owner_emails=owner_emails, **WIDE)
    assert got == ([busy(utc(2026, 10, 21, 10), utc(2026, 10, 21, 11))] if is_busy else [])


def test_google_file_declined_by_owner_vs_other_guest():
    data = read("google.ics")
    owner = [GOOGLE_OWNER]
    # The farewell dinner 10-22 17:00-20:00Z, declined by the owner.
    assert (
        busy_intervals(
            data,
            time_zone="Europe/Berlin",
            owner_emails=owner,
            start=utc(2026, 10, 22, 16),
            end=utc(2026, 10, 22, 21),
        )
        == []
    )
    # The same hours are busy for someone else reading the file: the decline was not theirs.
    assert busy_intervals(
        data,
        time_zone="Europe/Berlin",
        owner_emails=["henrik.baumann@example.org"],
        start=utc(2026, 10, 22, 16),
        end=utc(2026, 10, 22, 21),
    ) == [busy(utc(2026, 10, 22, 17), utc(2026, 10, 22, 20))]
    # The lawyer call 10-27 15:00-16:00Z, declined only by another guest: busy.
    assert busy_intervals(
        data, time_zone="Europe/Berlin", owner_emails=owner, start=utc(2026, 10, 27), end=utc(2026, 10, 28)
    ) == [busy(utc(2026, 10, 27, 15), utc(2026, 10, 27, 16))]


# --- free, cancelled ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "is_busy"),
    [
        pytest.param("TRANSP:TRANSPARENT", False, id="transparent"),
        pytest.param("TRANSP:transparent", False, id="transparent-lower-case"),
        pytest.param("TRANSP:OPAQUE\nX-MICROSOFT-CDO-BUSYSTATUS:FREE", False, id="outlook-free"),
        pytest.param(
            "TRANSP:OPAQUE\nX-MICROSOFT-CDO-BUSYSTATUS:WORKINGELSEWHERE", False, id="outlook-elsewhere"
        ),
        pytest.param("TRANSP:OPAQUE\nSTATUS:CANCELLED", False, id="cancelled"),
        pytest.param("", True, id="nothing-said"),
        pytest.param("TRANSP:OPAQUE\nSTATUS:CONFIRMED", True, id="opaque"),
        pytest.param("STATUS:TENTATIVE", True, id="tentative"),
        pytest.param("X-MICROSOFT-CDO-BUSYSTATUS:BUSY", True, id="outlook-busy"),
        pytest.param("X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE", True, id="outlook-tentative"),
        pytest.param("X-MICROSOFT-CDO-BUSYSTATUS:OOF", True, id="outlook-out-of-office"),
    ],
)
def test_free_and_cancelled_events_take_no_time(lines, is_busy):
    data = calendar(f"DTSTART:20261021T100000Z\nDTEND:20261021T110000Z\n{lines}")
    assert read_busy(data, **WIDE) == (
        [busy(utc(2026, 10, 21, 10), utc(2026, 10, 21, 11))] if is_busy else []
    )


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Mon 10-26: the cancelled psychiatrist 14:00-15:00 EDT (18:00Z) is the day's only event.
        pytest.param(utc(2026, 10, 26), utc(2026, 10, 27), [], id="cancelled"),
        # Wed 10-21: the recruiter lunch 12:00 EDT, FREE.
        pytest.param(utc(2026, 10, 21), utc(2026, 10, 22), [], id="free"),
        # Wed 11-04: working elsewhere 09:00-17:00 EST, TRANSP:OPAQUE.
        pytest.param(utc(2026, 11, 4), utc(2026, 11, 5), [], id="working-elsewhere"),
        # Tue 11-03: the committee's EXDATE; its next week still counts (16:00 CET).
        pytest.param(
            utc(2026, 11, 3),
            utc(2026, 11, 11),
            [
                busy(utc(2026, 11, 5, 16), utc(2026, 11, 5, 17)),
                busy(utc(2026, 11, 10, 15), utc(2026, 11, 10, 16)),
            ],
            id="exdate",
        ),
    ],
)
def test_outlook_file_days(start, end, expected):
    got = busy_intervals(
        read("outlook.ics"), time_zone="America/New_York", owner_emails=[OUTLOOK_OWNER], start=start, end=end
    )
    assert got == expected


# --- recurrences --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Wed 10-21, 08:00 CEST: the EXDATE, and nothing else that day.
        pytest.param(utc(2026, 10, 21), utc(2026, 10, 22), [], id="exdate"),
        # Wed 10-28 08:00 CET (07:00Z) moved to Thu 10-29 14:00-15:00 CET.
        pytest.param(
            utc(2026, 10, 28),
            utc(2026, 10, 30),
            [busy(utc(2026, 10, 29, 13), utc(2026, 10, 29, 14))],
            id="moved",
        ),
        # The other Mon/Wed/Fri instances keep 08:00 wall-clock time across the change: 06:00Z, then 07:00Z.
        pytest.param(
            utc(2026, 10, 23),
            utc(2026, 10, 24),
            [busy(utc(2026, 10, 23, 6), utc(2026, 10, 23, 6, 30))],
            id="before-change",
        ),
        pytest.param(
            utc(2026, 11, 2),
            utc(2026, 11, 3),
            [busy(utc(2026, 11, 2, 7), utc(2026, 11, 2, 7, 30))],
            id="after-change",
        ),
    ],
)
def test_google_file_exdate_and_moved_instance(start, end, expected):
    got = busy_intervals(
        read("google.ics"), time_zone="Europe/Berlin", owner_emails=[GOOGLE_OWNER], start=start, end=end
    )
    assert got == expected


# --- window, merging ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # The sleep study, 10-24 22:00Z -> 10-25 05:00Z.
        pytest.param(
            utc(2026, 10, 25),
            utc(2026, 10, 25, 3),
            [busy(utc(2026, 10, 25), utc(2026, 10, 25, 3))],
            id="inside",
        ),
        pytest.param(
            utc(2026, 10, 24, 23),
            utc(2026, 10, 25, 12),
            [busy(utc(2026, 10, 24, 23), utc(2026, 10, 25, 5))],
            id="start",
        ),
        pytest.param(
            utc(2026, 10, 24, 12),
            utc(2026, 10, 24, 23),
            [busy(utc(2026, 10, 24, 22), utc(2026, 10, 24, 23))],
            id="end",
        ),
        pytest.param(
            utc(2026, 10, 25, 3, 30),
            utc(2026, 10, 25, 6),
            [busy(utc(2026, 10, 25, 3, 30), utc(2026, 10, 25, 5))],
            id="last-hours",
        ),
        pytest.param(utc(2026, 10, 24, 20), utc(2026, 10, 24, 22), [], id="window-ends-as-it-starts"),
        pytest.param(utc(2026, 10, 25, 5), utc(2026, 10, 25, 6), [], id="window-starts-as-it-ends"),
    ],
)
def test_intervals_are_clipped_to_the_window(start, end, expected):
    got = busy_intervals(
        read("google.ics"), time_zone="Europe/Berlin", owner_emails=[GOOGLE_OWNER], start=start, end=end
    )
    assert got == expected


def test_all_day_event_clipped_to_the_window():
    # Apple's 11-06 + P3D all-day, 11-06 08:00Z -> 11-09 08:00Z; the window lies inside it.
    got = busy_intervals(
        read("apple.ics"),
        time_zone="America/Los_Angeles",
        owner_emails=[APPLE_OWNER],
        start=utc(2026, 11, 7, 12),
        end=utc(2026, 11, 8, 12),
    )
    assert got == [busy(utc(2026, 11, 7, 12), utc(2026, 11, 8, 12))]


def test_overlapping_and_touching_events_are_merged():
    data = calendar(
        "DTSTART:20261021T090000Z\nDTEND:20261021T100000Z",
        "DTSTART:20261021T093000Z\nDTEND:20261021T103000Z",  # overlaps the first
        "DTSTART:20261021T091500Z\nDTEND:20261021T094500Z",  # inside the first
        "DTSTART:20261021T103000Z\nDTEND:20261021T110000Z",  # touches the second
        "DTSTART:20261021T110100Z\nDTEND:20261021T120000Z",  # one minute apart: stays apart
        "DTSTART;TZID=Europe/Berlin:20261021T140000\nDTEND;TZID=Europe/Berlin:20261021T150000",  # 12:00Z: touches
    )
    assert read_busy(data, **WIDE) == [
        busy(utc(2026, 10, 21, 9), utc(2026, 10, 21, 11)),
        busy(utc(2026, 10, 21, 11, 1), utc(2026, 10, 21, 13)),
    ]


# --- clock changes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtstart", "dtend", "expected", "hours"),
    [
        # 00:00 CEST (+2) -> 06:00 CET (+1).
        (
            "TZID=Europe/Berlin:20261025T000000",
            "TZID=Europe/Berlin:20261025T060000",
            busy(utc(2026, 10, 24, 22), utc(2026, 10, 25, 5)),
            7,
        ),
        # 22:00 EDT (-4) -> 06:00 EST (-5).
        (
            "TZID=America/New_York:20261031T220000",
            "TZID=America/New_York:20261101T060000",
            busy(utc(2026, 11, 1, 2), utc(2026, 11, 1, 11)),
            9,
        ),
        # 01:00 CET (+1) -> 04:00 CEST (+2).
        (
            "TZID=Europe/Berlin:20270328T010000",
            "TZID=Europe/Berlin:20270328T040000",
            busy(utc(2027, 3, 28), utc(2027, 3, 28, 2)),
            2,
        ),
        # Floating, owner in New York: 23:00 EST (-5) -> 07:00 EDT (-4).
        ("20270313T230000", "20270314T070000", busy(utc(2027, 3, 14, 4), utc(2027, 3, 14, 11)), 7),
    ],
    ids=[
        "berlin-fall-back",
        "new-york-fall-back",
        "berlin-spring-forward",
        "floating-new-york-spring-forward",
    ],
)
def test_event_spanning_a_clock_change(dtstart, dtend, expected, hours):
    sep_start = ";" if dtstart.startswith("TZID") else ":"
    sep_end = ";" if dtend.startswith("TZID") else ":"
    data = calendar(f"DTSTART{sep_start}{dtstart}\nDTEND{sep_end}{dtend}")
    got = read_busy(data, time_zone="America/New_York", **WIDE)
    assert got == [expected]
    assert got[0].ends_at - got[0].starts_at == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("time_zone", "lines", "expected", "hours"),
    [
        # Sun 10-25 in Berlin: 00:00 CEST -> Mon 00:00 CET.
        (
            "Europe/Berlin",
            "DTSTART;VALUE=DATE:20261025\nDTEND;VALUE=DATE:20261026",
            busy(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)),
            25,
        ),
        # Mon 10-26 in Berlin, an ordinary day: 00:00 CET -> 00:00 CET.
        (
            "Europe/Berlin",
            "DTSTART;VALUE=DATE:20261026\nDTEND;VALUE=DATE:20261027",
            busy(utc(2026, 10, 25, 23), utc(2026, 10, 26, 23)),
            24,
        ),
        # Sun 11-01 in New York: 00:00 EDT -> 00:00 EST.
        (
            "America/New_York",
            "DTSTART;VALUE=DATE:20261101\nDTEND;VALUE=DATE:20261102",
            busy(utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
            25,
        ),
        # The same day with DURATION:P1D: a day, not 24 hours.
        (
            "America/New_York",
            "DTSTART;VALUE=DATE:20261101\nDURATION:P1D",
            busy(utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
            25,
        ),
        # No end at all: one day.
        (
            "America/New_York",
            "DTSTART;VALUE=DATE:20261101",
            busy(utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
            25,
        ),
        # Sun 2027-03-14 in New York: 00:00 EST -> 00:00 EDT.
        (
            "America/New_York",
            "DTSTART;VALUE=DATE:20270314\nDTEND;VALUE=DATE:20270315",
            busy(utc(2027, 3, 14, 5), utc(2027, 3, 15, 4)),
            23,
        ),
        # Sun 2027-03-28 in Berlin: 00:00 CET -> 00:00 CEST.
        (
            "Europe/Berlin",
            "DTSTART;VALUE=DATE:20270328\nDTEND;VALUE=DATE:20270329",
            busy(utc(2027, 3, 27, 23), utc(2027, 3, 28, 22)),
            23,
        ),
        # Sun 2027-03-28 in New York, where nothing changes that day (EDT all along).
        (
            "America/New_York",
            "DTSTART;VALUE=DATE:20270328\nDTEND;VALUE=DATE:20270329",
            busy(utc(2027, 3, 28, 4), utc(2027, 3, 29, 4)),
            24,
        ),
    ],
    ids=[
        "berlin-fall-back",
        "berlin-ordinary",
        "new-york-fall-back",
        "new-york-fall-back-duration",
        "new-york-fall-back-no-end",
        "new-york-spring-forward",
        "berlin-spring-forward",
        "new-york-ordinary",
    ],
)
def test_all_day_event_runs_from_local_midnight_to_midnight(time_zone, lines, expected, hours):
    got = read_busy(calendar(lines), time_zone=time_zone, **WIDE)
    assert got == [expected]
    assert got[0].ends_at - got[0].starts_at == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("time_zone", "expected"),
    [
        ("America/Los_Angeles", busy(utc(2026, 10, 29, 2), utc(2026, 10, 29, 3))),  # 19:00 PDT (-7)
        ("Europe/Berlin", busy(utc(2026, 10, 28, 18), utc(2026, 10, 28, 19))),  # 19:00 CET (+1)
        ("Asia/Tokyo", busy(utc(2026, 10, 28, 10), utc(2026, 10, 28, 11))),  # 19:00 JST (+9)
        ("UTC", busy(utc(2026, 10, 28, 19), utc(2026, 10, 28, 20))),
    ],
)
def test_floating_time_is_the_owners_wall_clock(time_zone, expected):
    data = calendar("DTSTART:20261028T190000\nDTEND:20261028T200000")
    assert read_busy(data, time_zone=time_zone, **WIDE) == [expected]


# --- unusable files -----------------------------------------------------------------------------------------

VCARD = (
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mara Lindqvist\r\nEMAIL:mara.lindqvist@example.org\r\nEND:VCARD\r\n"
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"hello", id="hello"),
        pytest.param(VCARD, id="vcard"),
        pytest.param(b"<!DOCTYPE html><html><body>Sign in to Outlook</body></html>", id="html-login-page"),
        pytest.param(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n", id="cut-off-download"),
        pytest.param(calendar("SUMMARY:no start\nDTEND:20261021T110000Z"), id="event-without-dtstart"),
    ],
)
def test_unusable_input_is_not_a_calendar(data):
    with pytest.raises(NotACalendar) as caught:
        read_busy(data, **WIDE)
    assert str(caught.value)


GOOD_EVENT = "DTSTART:20261022T100000Z\nDTEND:20261022T110000Z"


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SOMETIMES",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;COUNT=abc",
        "FREQ=DAILY;UNTIL=someday",
        "FREQ=DAILY;BYHOUR=25",
    ],
)
def test_broken_rrule_drops_only_its_series(rule):
    # What happens: no NotACalendar; the broken series is skipped (skip_bad_series) and the rest is read.
    data = calendar(f"DTSTART:20261021T100000Z\nDTEND:20261021T110000Z\nRRULE:{rule}", GOOD_EVENT)
    assert read_busy(data, **WIDE) == [busy(utc(2026, 10, 22, 10), utc(2026, 10, 22, 11))]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=" + ",".join(map(str, range(60))),
        "FREQ=MINUTELY",
    ],
    ids=["interval-zero", "every-minute-by-lists", "minutely"],
)
def test_a_rule_that_would_repeat_without_end_or_by_the_million_is_left_out_and_the_rest_read(rule):
    data = calendar(f"DTSTART:20261021T100000Z\nDTEND:20261021T101000Z\nRRULE:{rule}", GOOD_EVENT)
    script = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from scholars.busy_calendar import busy_intervals\n"
        "found = busy_intervals(sys.stdin.buffer.read(), time_zone='UTC', owner_emails=[],\n"
        "                       start=datetime(2026, 10, 20, tzinfo=UTC), end=datetime(2026, 10, 30, tzinfo=UTC))\n"
        "print(len(found))\n"
    )
    # In a child process: the loop cannot be stopped in this one.
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=data,
        capture_output=True,
        timeout=5,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "1"  # the series left out, the good event read


# --- the error message never quotes the file ----------------------------------------------------------------

SECRET = "ROOTCANAL"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(f"hello {SECRET}".encode(), id="not-ical"),
        pytest.param(
            f'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-NOTE;X-P="{SECRET}:x\r\nEND:VCALENDAR\r\n'.encode(),
            id="bad-line",
        ),
        pytest.param(
            f"BEGIN:VCALENDAR\r\nSUMMARY:{SECRET}\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n".encode(),
            id="unclosed-event",
        ),
        pytest.param(calendar(f"SUMMARY:Dentist {SECRET}\nLOCATION:{SECRET} clinic"), id="no-dtstart"),
        pytest.param(
            calendar(GOOD_EVENT).replace(
                b"VERSION:2.0", f"VERSION:2.0\r\nX-WR-TIMEZONE:{SECRET}/Clinic".encode()
            ),
            id="bad-x-wr-timezone",
        ),
        pytest.param(
            calendar(GOOD_EVENT).replace(b"VERSION:2.0", f"VERSION:2.0\r\nCALSCALE:{SECRET}".encode()),
            id="bad-calscale",
        ),
        pytest.param(
            calendar(f"DTSTART;TZID=X:20261021T100000\nDTEND:20261021T110000Z\nSUMMARY:{SECRET}").replace(
                b"BEGIN:VEVENT",
                f"BEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:{SECRET}\r\nTZOFFSETFROM:+0100\r\n"
                "TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT".encode(),
            ),
            id="bad-vtimezone",
        ),
        pytest.param(
            f"BEGIN:{SECRET}\r\nEND:{SECRET}\r\n".encode(),
            id="component-name",
        ),
    ],
)
def test_not_a_calendar_message_never_quotes_the_file(data):
    with pytest.raises(NotACalendar) as caught:
        read_busy(data, **WIDE)
    assert str(caught.value)
    assert SECRET.lower() not in str(caught.value).lower()


# --- edges the expansion alone gets wrong ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "time_zone", "owner", "start", "end", "expected"),
    [
        # Berlin all-day Sat 10-31 starts 10-30 23:00Z: the window's last hour is busy.
        pytest.param(
            "google.ics",
            "Europe/Berlin",
            GOOGLE_OWNER,
            utc(2026, 10, 30, 12),
            utc(2026, 10, 31),
            [busy(utc(2026, 10, 30, 23), utc(2026, 10, 31))],
            id="google-all-day-at-window-end",
        ),
        # Floating Wed 10-28 19:00 PDT = 10-29 02:00Z, wholly inside the window.
        pytest.param(
            "apple.ics",
            "America/Los_Angeles",
            APPLE_OWNER,
            utc(2026, 10, 29),
            utc(2026, 10, 29, 12),
            [busy(utc(2026, 10, 29, 2), utc(2026, 10, 29, 3, 15))],
            id="apple-floating-after-window-start",
        ),
        # All-day Sun 11-01 in Los Angeles runs to 11-02 08:00Z.
        pytest.param(
            "apple.ics",
            "America/Los_Angeles",
            APPLE_OWNER,
            utc(2026, 11, 2),
            utc(2026, 11, 2, 12),
            [busy(utc(2026, 11, 2), utc(2026, 11, 2, 8))],
            id="apple-all-day-at-window-start",
        ),
        # The sleep study 00:00 CEST -> 06:00 CET ends 05:00Z; taken as 00:00 CEST + 6 h wall clock = 04:00Z.
        pytest.param(
            "google.ics",
            "Europe/Berlin",
            GOOGLE_OWNER,
            utc(2026, 10, 25, 4, 30),
            utc(2026, 10, 25, 12),
            [busy(utc(2026, 10, 25, 4, 30), utc(2026, 10, 25, 5))],
            id="google-last-hour-of-event-across-fall-back",
        ),
    ],
)
def test_events_at_the_window_edges(name, time_zone, owner, start, end, expected):
    got = busy_intervals(read(name), time_zone=time_zone, owner_emails=[owner], start=start, end=end)
    assert got == expected


@pytest.mark.parametrize(
    ("time_zone", "lines", "expected"),
    [
        # Floating 01:00 PDT (first of the two 01:00s) + 2 h = 01:00 PST.
        (
            "America/Los_Angeles",
            "DTSTART:20261101T010000\nDURATION:PT2H",
            busy(utc(2026, 11, 1, 8), utc(2026, 11, 1, 10)),
        ),
        # 01:30 CEST + 2 h = 02:30 CET.
        (
            "UTC",
            "DTSTART;TZID=Europe/Berlin:20261025T013000\nDURATION:PT2H",
            busy(utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 1, 30)),
        ),
        # 01:30 EST + 2 h = 04:30 EDT.
        (
            "UTC",
            "DTSTART;TZID=America/New_York:20270314T013000\nDURATION:PT2H",
            busy(utc(2027, 3, 14, 6, 30), utc(2027, 3, 14, 8, 30)),
        ),
    ],
    ids=["floating-los-angeles-fall-back", "berlin-fall-back", "new-york-spring-forward"],
)
def test_duration_in_hours_is_exact_across_a_clock_change(time_zone, lines, expected):
    assert read_busy(calendar(lines), time_zone=time_zone, **WIDE) == [expected]


def test_a_calendar_expanding_to_more_events_than_the_limit_is_refused_with_that_reason():
    hourly = [
        f"DTSTART:20260101T{hour:02d}1500Z\nDTEND:20260101T{hour:02d}2000Z\nRRULE:FREQ=HOURLY"
        for hour in range(4)
    ]
    data = calendar(*hourly)

    with pytest.raises(NotACalendar) as refused:
        read_busy(data, **WIDE)

    assert str(refused.value) == (
        "The calendar holds more than 20,000 events in the months read; give a calendar with fewer."
    )


def test_events_with_the_ignored_uid_suffix_are_left_out():
    ours = "UID:one-on-one-ada-sam@cohortops\nDTSTART:20261021T140000Z\nDTEND:20261021T150000Z"
    data = calendar(GOOD_EVENT).replace(
        b"END:VCALENDAR",
        b"BEGIN:VEVENT\r\n" + ours.replace("\n", "\r\n").encode() + b"\r\nEND:VEVENT\r\nEND:VCALENDAR",
    )

    both = busy_intervals(data, time_zone="UTC", owner_emails=[], **WIDE)
    without_ours = busy_intervals(
        data, time_zone="UTC", owner_emails=[], ignored_uid_suffix="@cohortops", **WIDE
    )

    assert both == [
        busy(utc(2026, 10, 21, 14), utc(2026, 10, 21, 15)),
        busy(utc(2026, 10, 22, 10), utc(2026, 10, 22, 11)),
    ]
    assert without_ours == [busy(utc(2026, 10, 22, 10), utc(2026, 10, 22, 11))]
