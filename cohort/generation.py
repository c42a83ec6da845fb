"""The read generation: one value in the cache that moves on whenever a row that something served from the cache
shows, or that decides who may read it, is written.

What is answered without a query (a feed's stamp, an API token's login, a cached API answer) is kept with the
generation it was read under and answers only while that generation is the current one, so any write ends it at
once. Writes move it through the model signals ``scheduling.apps`` connects for its sources
(``scheduling.receivers.generation_sources``); bulk writes, which send none, call ``rows_changed`` themselves in scheduling and
send ``cohort.signals.rows_written_in_bulk`` in the lower apps.

It is one value for everything: any change makes each cached read check with the database again, and only what
changed is built again.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.core.cache import cache
from django.db import connection, transaction

GENERATION_KEY = "read-generation"


class Generational(Protocol):
    generation: str


Entry = TypeVar("Entry", bound=Generational)


def current_generation() -> str:
    """The generation now, starting one if the cache holds none (first use, or evicted).

    Read it before the rows whatever is cached from them depends on: a write committed after that read moves the
    generation on, so an entry made from rows read before it is never taken for current."""
    cache.add(GENERATION_KEY, _new_value(), None)
    return cache.get(GENERATION_KEY)


@dataclass(frozen=True)
class ReadAhead:
    """Cache entries read before the view that needs them runs, in the round trip something earlier made anyway
    (the failed-guess count, ``cohort.throttles``): ``found`` holds those of ``keys`` the cache had (and whatever
    else that round trip read). ``counted``: the counts that round trip added one to, by key, as they then stood
    (the caller's request rate)."""

    keys: frozenset[str]
    found: Mapping[str, Any]
    counted: Mapping[str, int] = field(default_factory=dict)


def entry_keys(key: str) -> list[str]:
    """What ``current_entry_or_generation`` reads for ``key``: the entry and the generation."""
    return [key, GENERATION_KEY]


def current_entry_or_generation(key: str, read_ahead: ReadAhead | None = None) -> tuple[Entry | None, str]:
    """The entry under ``key`` if it was made under the current generation (else None), and the generation now, to
    make a new entry under: one cache round trip, or none if ``read_ahead`` read its keys. The generation is read
    with the entry, so before anything a new entry is made from, as ``current_generation`` must be; it takes two
    round trips more only when the cache held none (``current_generation`` starts one)."""
    if read_ahead is not None and read_ahead.keys.issuperset(entry_keys(key)):
        found = read_ahead.found
    else:
        found = cache.get_many(entry_keys(key))
    entry, generation = found.get(key), found.get(GENERATION_KEY)
    if generation is None:
        return None, current_generation()
    return (entry if entry is not None and entry.generation == generation else None), generation


def rows_changed() -> None:
    """Every entry stops answering: at once, for reads later in this transaction, and again when it commits, for
    requests that read the rows before the commit and made an entry under the interim value."""
    _move_on()
    if connection.in_atomic_block and not any(
        callback is _move_on for _, callback, _ in connection.run_on_commit
    ):
        transaction.on_commit(_move_on)


def _move_on() -> None:
    cache.set(GENERATION_KEY, _new_value(), None)


def _new_value() -> str:
    # A fresh random value rather than a counter: two processes moving it on at once can never agree on the next.
    return secrets.token_hex(8)
