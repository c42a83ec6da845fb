"""The feed generation: one value in the cache that moves on whenever anything a feed shows is written.

A feed's stamp (``scheduling.feeds.builder``) answers for the feed while the generation it was made under is the
current one, so an unchanged feed is served without a query, and any write ends that at once. Writes move it
through the model signals ``scheduling.apps`` connects for ``feed_sources()``; bulk writes, which send none, call
``feeds_changed`` themselves in scheduling and send ``cohort.signals.rows_written_in_bulk`` in the lower apps.

It is one value for every feed: any change makes each feed's next request check its version with the database
again (one aggregate query), and only a feed whose content changed is rendered again.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Model

from cohort.models import Break, Cohort, Phase, ProgramEvent, Stream
from mentors.models import Mentor
from scheduling.models import FeedToken, Meeting, MeetingSeries
from scholars.models import Mentorship, Scholar, Team

GENERATION_KEY = "feed-generation"


def feed_sources() -> list[type[Model]]:
    """Every model whose rows a feed shows or that decides who may read one (through tables included)."""
    user = get_user_model()
    return [
        Meeting,
        MeetingSeries,
        MeetingSeries.scholars.through,
        Mentor,
        Mentor.streams.through,
        Scholar,
        Team,
        Team.members.through,
        Mentorship,
        Stream,
        Cohort,
        Phase,
        Break,
        ProgramEvent,
        FeedToken,
        user,
        user.groups.through,
    ]


def current_generation() -> str:
    """The generation now, starting one if the cache holds none (first use, or evicted)."""
    cache.add(GENERATION_KEY, _new_value(), None)
    return cache.get(GENERATION_KEY)


def feeds_changed() -> None:
    """Every feed's stamp stops answering: at once, for reads later in this transaction, and again when it
    commits, for requests that read the rows before the commit and made a stamp under the interim value."""
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
