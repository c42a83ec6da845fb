"""The calendar files written for the tests in the shape Google, Outlook (Exchange) and Apple export, and what
each holds as busy times in a window, worked out by hand from the file with the local time each comes from.

Clock changes: Europe 2026-10-25 (CEST +2 -> CET +1) and 2027-03-28; US 2026-11-01 (EDT -4 -> EST -5, PDT -7 ->
PST -8) and 2027-03-14.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scholars.busy_calendar import BusyInterval

CALENDARS = Path(__file__).parent / "calendars"
GOOGLE_OWNER = "mara.lindqvist@example.org"
OUTLOOK_OWNER = "d.okonkwo@example.org"  # the file writes it D.Okonkwo@Example.org
APPLE_OWNER = "sam.ortiz@example.org"
OWNER = "me@example.org"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def busy(starts_at: datetime, ends_at: datetime) -> BusyInterval:
    return BusyInterval(starts_at, ends_at)


FILE_CASES = [
    pytest.param(
        "google.ics",
        "Europe/Berlin",
        GOOGLE_OWNER,
        utc(2026, 10, 19),
        utc(2026, 11, 2),
        [
            busy(utc(2026, 10, 19, 6), utc(2026, 10, 19, 6, 30)),  # physio Mon 08:00-08:30 CEST
            # Wed 10-21 physio: EXDATE
            busy(utc(2026, 10, 22, 13), utc(2026, 10, 22, 14, 30)),  # dentist, written in UTC
            # 10-22 17:00Z farewell dinner: declined by the owner
            busy(utc(2026, 10, 23, 6), utc(2026, 10, 23, 6, 30)),  # physio Fri 08:00 CEST
            # 10-24 all-day birthday: TRANSPARENT
            busy(utc(2026, 10, 24, 22), utc(2026, 10, 25, 5)),  # sleep study 00:00 CEST -> 06:00 CET (7 h)
            busy(utc(2026, 10, 26, 7), utc(2026, 10, 26, 7, 30)),  # physio Mon 08:00 CET
            busy(utc(2026, 10, 27, 15), utc(2026, 10, 27, 16)),  # lawyer call; another guest declined
            # Wed 10-28 08:00 physio moved (RECURRENCE-ID) to Thu 10-29 14:00-15:00 CET
            busy(utc(2026, 10, 29, 13), utc(2026, 10, 29, 14)),
            busy(utc(2026, 10, 30, 7), utc(2026, 10, 30, 7, 30)),  # physio Fri 08:00 CET
            busy(utc(2026, 10, 30, 23), utc(2026, 10, 31, 23)),  # all-day opaque Sat 10-31, Berlin midnights
        ],
        id="google-autumn",
    ),
    pytest.param(
        "google.ics",
        "Europe/Berlin",
        GOOGLE_OWNER,
        utc(2027, 3, 22),
        utc(2027, 4, 5),
        [
            busy(utc(2027, 3, 23, 13), utc(2027, 3, 23, 13, 45)),  # 09:00-09:45 New York EDT (-4)
            busy(utc(2027, 3, 25, 17), utc(2027, 3, 25, 18)),  # counselling Thu 18:00 CET
            # all-day Sat 03-27 + Sun 03-28: 00:00 CET -> Mon 00:00 CEST (47 h)
            busy(utc(2027, 3, 26, 23), utc(2027, 3, 28, 22)),
            busy(utc(2027, 4, 1, 16), utc(2027, 4, 1, 17)),  # counselling Thu 18:00 CEST
        ],
        id="google-spring",
    ),
    pytest.param(
        "outlook.ics",
        "America/New_York",
        OUTLOOK_OWNER,
        utc(2026, 10, 19),
        utc(2026, 11, 16),
        [
            busy(utc(2026, 10, 20, 14), utc(2026, 10, 20, 15)),  # Berlin committee Tue 16:00 CEST, TENTATIVE
            # 10-21 recruiter lunch: BUSYSTATUS FREE
            busy(utc(2026, 10, 22, 15), utc(2026, 10, 22, 16)),  # therapy Thu 11:00 EDT
            # 10-26 psychiatrist: STATUS CANCELLED
            busy(utc(2026, 10, 27, 15), utc(2026, 10, 27, 16)),  # Berlin committee Tue 16:00 CET
            busy(utc(2026, 10, 29, 15), utc(2026, 10, 29, 16)),  # therapy Thu 11:00 EDT
            busy(utc(2026, 10, 30, 12), utc(2026, 10, 30, 17)),  # OOF 08:00-13:00 EDT
            # all-day OOF Sat 10-31 + Sun 11-01: 00:00 EDT -> Mon 00:00 EST (49 h)
            busy(utc(2026, 10, 31, 4), utc(2026, 11, 2, 5)),
            # 11-02 board dinner: declined by the owner; 11-03 committee: EXDATE; 11-04: WORKINGELSEWHERE
            busy(utc(2026, 11, 5, 16), utc(2026, 11, 5, 17)),  # therapy Thu 11:00 EST, the UNTIL instance
            busy(
                utc(2026, 11, 10, 15), utc(2026, 11, 10, 16)
            ),  # committee Tue 16:00 CET (6th of COUNT=6 is 11-17)
            # no therapy on 11-12: past UNTIL
        ],
        id="outlook-autumn",
    ),
    pytest.param(
        "outlook.ics",
        "America/New_York",
        OUTLOOK_OWNER,
        utc(2027, 3, 8),
        utc(2027, 4, 5),
        [
            busy(utc(2027, 3, 8, 23, 30), utc(2027, 3, 9, 1)),  # group Mon 18:30-20:00 EST
            busy(utc(2027, 3, 9, 15), utc(2027, 3, 9, 16)),  # committee Tue 16:00 CET
            busy(
                utc(2027, 3, 14, 5), utc(2027, 3, 15, 4)
            ),  # all-day Sun 03-14, 00:00 EST -> 00:00 EDT (23 h)
            busy(utc(2027, 3, 15, 22, 30), utc(2027, 3, 16)),  # group Mon 18:30 EDT
            busy(utc(2027, 3, 16, 15), utc(2027, 3, 16, 16)),  # committee 16:00 CET (= 11:00 EDT)
            # 03-20 all-day birthday: FREE and TRANSPARENT
            busy(utc(2027, 3, 22, 22, 30), utc(2027, 3, 23)),  # group Mon 18:30 EDT, the UNTIL instance
            busy(utc(2027, 3, 23, 15), utc(2027, 3, 23, 16)),  # committee 16:00 CET
            busy(utc(2027, 3, 30, 14), utc(2027, 3, 30, 15)),  # committee 16:00 CEST, 4th of COUNT=4
        ],
        id="outlook-spring",
    ),
    pytest.param(
        "apple.ics",
        "America/Los_Angeles",
        APPLE_OWNER,
        utc(2026, 10, 26),
        utc(2026, 11, 16),
        [
            busy(utc(2026, 10, 29, 2), utc(2026, 10, 29, 3, 15)),  # floating Wed 19:00 PDT + PT1H15M
            busy(utc(2026, 10, 30, 16, 30), utc(2026, 10, 30, 17, 15)),  # floating 09:30 PDT + PT45M
            # 10-30 all-day anniversary: TRANSPARENT
            busy(
                utc(2026, 11, 1, 7), utc(2026, 11, 2, 8)
            ),  # all-day Sun 11-01, 00:00 PDT -> 00:00 PST (25 h)
            busy(utc(2026, 11, 2, 15), utc(2026, 11, 2, 16)),  # TZID Los Angeles 07:00-08:00 PST
            # floating bloodwork 11-04 18:00-19:30 PST overlaps the RDATE 19:00-20:15 PST: merged
            busy(utc(2026, 11, 5, 2), utc(2026, 11, 5, 4, 15)),
            busy(utc(2026, 11, 6, 8), utc(2026, 11, 9, 8)),  # all-day 11-06 DURATION:P3D, PST midnights
            busy(utc(2026, 11, 12, 1, 30), utc(2026, 11, 12, 2, 45)),  # RDATE 11-11 17:30 PST + PT1H15M
            # 11-13 19:00 party: declined by the owner
        ],
        id="apple-autumn",
    ),
    pytest.param(
        "apple.ics",
        "America/Los_Angeles",
        APPLE_OWNER,
        utc(2027, 3, 8),
        utc(2027, 4, 5),
        [
            busy(utc(2027, 3, 10, 16), utc(2027, 3, 10, 16, 30)),  # floating weekly 08:00 PST
            busy(
                utc(2027, 3, 14, 8), utc(2027, 3, 15, 7)
            ),  # all-day Sun 03-14, 00:00 PST -> 00:00 PDT (23 h)
            busy(utc(2027, 3, 17, 15), utc(2027, 3, 17, 15, 30)),  # floating weekly 08:00 PDT
            busy(utc(2027, 3, 24, 15), utc(2027, 3, 24, 15, 30)),  # 08:00 PDT, 3rd of COUNT=3
        ],
        id="apple-spring",
    ),
]


def calendar_busy_at(starts: list[datetime], *, title: str = "Private appointment") -> bytes:
    """A calendar with one hour-long busy event at each of ``starts`` (UTC), each titled ``title``."""
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
        f"UID:event-{index}@example.org\r\n"
        f"SUMMARY:{title}\r\n"
        "END:VEVENT\r\n"
        for index, start in enumerate(starts)
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Test//EN\r\n" + events + "END:VCALENDAR\r\n"
    ).encode()
