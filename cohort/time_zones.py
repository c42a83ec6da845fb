"""The one rule for time zone names: canonical IANA Area/Location names (Europe/London) and UTC, nothing else.

The tz database also carries abbreviations (GMT, EST), POSIX-style rules (EST5EDT), fixed offsets (Etc/GMT+5) and
legacy aliases (US/Eastern). zoneinfo reads them all, but calendar clients misread them (macOS showed GMT as UTC+0
all year for London) and an offset is not a place, so they are refused where a person types them, with the
canonical name where the database says which place an alias stands for. Pure: no Django.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, available_timezones

# The continents and oceans that begin every canonical name (tz's theory.html, "Timezone identifiers").
AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
ABBREVIATION = re.compile(r"[A-Z]{2,3}T")  # GMT, EST, CET, HST
EXAMPLE = "Europe/London"


@cache
def _known_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_canonical_zone(name: str) -> bool:
    """UTC, or a place the tz tables list for a country: Asia/Kolkata, not its old spelling Asia/Calcutta."""
    if name == "UTC":
        return True
    listed = _country_zones()
    if listed:
        return name in listed and name in _known_zone_names()
    # Without the tables, the shape of the name is all there is to go on.
    return name.split("/", 1)[0] in AREAS and name in _known_zone_names()


@cache
def canonical_zone_names() -> tuple[str, ...]:
    """Every name a person may pick, sorted: what a zone picker offers."""
    return tuple(sorted(name for name in _known_zone_names() if is_canonical_zone(name)))


def time_zone_problem(name: str) -> str | None:
    """Why a time zone name is refused, suggesting the canonical name when there is one; None when accepted."""
    if is_canonical_zone(name):
        return None
    if name not in _known_zone_names():
        return f"{name!r} is not an IANA time zone; use a name like {EXAMPLE}."
    places = canonical_names_for(name)
    if places:
        return f"{name!r} is a legacy alias; use the canonical IANA time zone {' or '.join(places)}."
    return f"{name!r} is an abbreviation or offset, not a place; use an IANA time zone like {EXAMPLE}."


def iana_zone(name: str) -> ZoneInfo:
    """The zone for an accepted name; ValueError with ``time_zone_problem``'s message otherwise."""
    problem = time_zone_problem(name)
    if problem:
        raise ValueError(problem)
    return ZoneInfo(name)


def canonical_names_for(name: str) -> tuple[str, ...]:
    """The canonical names an alias stands for: those with the very same compiled rules (US/Eastern is a link to
    America/New_York, Zulu to UTC), narrowed to the ones zone.tab lists for a country when there are several."""
    # Never read a path a person typed; and an abbreviation names an offset that many places share (since tzdata
    # 2024b EST's rules are Panama's), so it gets no place suggested.
    if name not in _known_zone_names() or ABBREVIATION.fullmatch(name):
        return ()
    same = _canonical_by_rules().get(_tz_file(name) or b"", ())
    listed = tuple(place for place in same if place in _country_zones())
    return listed or same


@cache
def _canonical_by_rules() -> dict[bytes, tuple[str, ...]]:
    by_rules: dict[bytes, list[str]] = {}
    for name in sorted(_known_zone_names()):
        data = _tz_file(name) if is_canonical_zone(name) else None
        if data:
            by_rules.setdefault(data, []).append(name)
    return {data: tuple(names) for data, names in by_rules.items()}


@cache
def _country_zones() -> frozenset[str]:
    """Every zone zone.tab or zone1970.tab lists for a country: the canonical names."""
    names: set[str] = set()
    for table_name in ("zone.tab", "zone1970.tab"):
        table = (_tz_file(table_name) or b"").decode()
        rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
        names.update(row[2] for row in rows if len(row) >= 3)
    return frozenset(names)


def _tz_file(name: str) -> bytes | None:
    """A file of the tz database as zoneinfo finds it: the system's TZPATH first, then the tzdata package."""
    for root in TZPATH:
        path = Path(root, name)
        if path.is_file():
            return path.read_bytes()
    try:
        return resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        return None
