"""Calendar-feed secrets: made, rotated, revoked and looked up by hash.

A feed URL is a read-only bearer credential, separate from API credentials. Only a SHA-256 of the token is
stored, so a database leak does not leak subscriptions; the URL is shown when it is made (and in the owner's own
``/api/v1/me/`` and admin pages, which rotate it to show it again).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, CharField, Model, Q
from django.utils import timezone

from cohort.models import Cohort
from cohort.prepared import PreparedRead, Slot
from cohort.selectors import is_staff_role
from scheduling.feeds.scopes import FEED_SCOPES, SCOPE_OF_OWNER, feed_scope
from scheduling.models import FeedToken
from scholars.models import Team


@dataclass(frozen=True)
class FeedLink:
    scope: str
    label: str
    https_url: str
    webcal_url: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> FeedLink:
    https_url = f"{settings.PUBLIC_BASE_URL}/feeds/{token}.ics"
    webcal_url = "webcal://" + https_url.split("://", 1)[1]
    return FeedLink(scope="", label="", https_url=https_url, webcal_url=webcal_url)


def _token_filter(owner: Model, cohort: Cohort | None, subscriber) -> dict:
    """The fields that pick one subscription: the feed's owner (and cohort, for a stream) and, for a shared
    feed, whose link it is."""
    kind = SCOPE_OF_OWNER[type(owner)]
    filters = {"scope": kind.scope, kind.owner_field: owner}
    if kind.per_cohort:
        if cohort is None:
            raise ValueError(f"A {kind.scope} feed belongs to one cohort: pass cohort=.")
        filters["cohort"] = cohort
    if kind.shared:
        filters["subscriber"] = subscriber
    return filters


@transaction.atomic
def feed_token_rotate(*, owner: Model, by=None, cohort: Cohort | None = None) -> FeedLink:
    """Revoke the current token of this subscription (its URL stops working at once) and return a new URL.

    For a personal feed that is the owner's one token, whoever rotates it; for a shared feed it is ``by``'s own.
    """
    filters = _token_filter(owner, cohort, by)
    now = timezone.now()
    FeedToken.objects.filter(revoked_at__isnull=True, **filters).update(revoked_at=now, updated_at=now)
    token = secrets.token_urlsafe(32)
    FeedToken.objects.create(token_hash=hash_token(token), token_hint=token[:6], created_by=by, **filters)
    link = feed_url(token)
    return FeedLink(
        scope=filters["scope"], label=str(owner), https_url=link.https_url, webcal_url=link.webcal_url
    )


def feed_token_revoke(*, token: FeedToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])


def feed_token_lookup(token: str) -> FeedToken | None:
    """The active token row for a presented secret, or None (the view answers 404 either way)."""
    digest = hash_token(token)
    found = _live_token_statement().run(token_hash=digest)
    if not found:
        return None
    [(pk, scope)] = found
    rows = _live_token_with_rows_statement(scope).instances(pk=pk)
    # The index lookup already matched; compare again in constant time so no code path branches on a prefix.
    if not rows or not hmac.compare_digest(rows[0].token_hash, digest):
        return None
    return rows[0] if subscriber_may_read(rows[0]) else None


# A feed is asked for after every write (its stamp no longer current) by each of its subscribers: both lookups are
# compiled once (cohort.prepared), as building them in the ORM cost more than running them.
@cache
def _live_token_statement() -> PreparedRead:
    """The id and kind of the live token with a hash."""
    live = FeedToken.objects.filter(token_hash=Slot("token_hash", CharField()), revoked_at__isnull=True)
    return PreparedRead(live.order_by(), "pk", "scope")  # the hash is unique: no order to keep


@cache
def _live_token_with_rows_statement(scope: str) -> PreparedRead:
    """A live token of a kind, by id, with the rows its feed reads: the owner (its zone and reminder setting are
    part of the feed's version, its name the feed's), the subscriber's login with both its profiles, which decide
    whom the feed may name (FeedScope.reader), and a scholar subscriber's stream and cohort, which decide whether
    they may still read it. Only its own kind's: all of them at once joined sixteen tables, which PostgreSQL took
    longer to plan than the two lookups take to run."""
    live = FeedToken.objects.filter(pk=Slot("pk", BigIntegerField()), revoked_at__isnull=True).order_by()
    return PreparedRead(live.select_related(*FEED_SCOPES[scope].related))


def subscriber_may_read(token: FeedToken) -> bool:
    """A link to a shared feed works while its subscriber still belongs there: a scholar who left the team or
    the programme, or a mentor no longer on the team, loses it (staff keep theirs)."""
    scope = feed_scope(token)
    if not scope.shared or token.subscriber_id is None:
        return True
    user = token.subscriber
    if not user.is_active:
        return False
    if is_staff_role(user):
        return True
    mine = {_owner_key(owner, cohort) for owner, cohort in feed_owners_for(user)}
    return _token_key(token) in mine


def feed_owners_for(user) -> list[tuple[Model, Cohort | None]]:
    """Every feed a person may subscribe to: their own, and while in the programme their teams', their
    stream's and their cohort's."""
    owners: list[tuple[Model, Cohort | None]] = []
    scholar = getattr(user, "scholar", None)
    mentor = getattr(user, "mentor", None)
    if scholar is not None:
        owners.append((scholar, None))
        # Someone who left the programme keeps their own feed (it shows their meetings ending), not the shared ones.
        if scholar.is_active:
            owners.extend((team, None) for team in _teams_statement("members").instances(person=scholar.pk))
            owners.append((scholar.stream, scholar.cohort))
            owners.append((scholar.cohort, None))
    if mentor is not None:
        owners.append((mentor, None))
        owners.extend((team, None) for team in _teams_statement("mentor").instances(person=mentor.pk))
    return owners


# Compiled once per process: /me/ and every shared feed's request read them (cohort.prepared).
@cache
def _teams_statement(person_field: str) -> PreparedRead:
    """The teams a person is in ("members": a scholar) or leads ("mentor"), by the person's id."""
    return PreparedRead(Team.objects.filter(**{person_field: Slot("person", BigIntegerField())}))


@cache
def _live_tokens_statement() -> PreparedRead:
    """A person's live tokens: their own links to shared feeds, and their personal feeds' (a slot per kind of
    owner, given None when they are not that kind of person)."""
    theirs = Q(subscriber=Slot("user", BigIntegerField()))
    for kind in FEED_SCOPES.values():
        if not kind.shared:
            theirs |= Q(scope=kind.scope, **{kind.owner_field: Slot(kind.owner_field, BigIntegerField())})
    return PreparedRead(FeedToken.objects.filter(theirs, revoked_at__isnull=True))


def own_feed_owner(
    user, *, scope: str, owner_id: int, cohort_id: int | None
) -> tuple[Model, Cohort | None] | None:
    """One of the feeds ``feed_owners_for(user)`` lists, by the scope, owner id and cohort id a request names it
    by; None when it is not one of theirs."""
    wanted = (scope, owner_id, cohort_id)
    return next(
        ((owner, cohort) for owner, cohort in feed_owners_for(user) if _owner_key(owner, cohort) == wanted),
        None,
    )


def feed_status_for(user) -> list[dict]:
    """What /me/ shows: each feed, whether it has a live URL (only a rotation reveals one) and its hint."""
    owners = feed_owners_for(user)
    if not owners:
        return []
    # Their links to shared feeds and their personal feeds' tokens, matched to the feeds they may subscribe to by
    # key: a link kept from a team they left is not one of them.
    statement = _live_tokens_statement()
    owner_ids = dict.fromkeys(statement.slots - {"user"})
    for owner, _ in owners:
        kind = SCOPE_OF_OWNER[type(owner)]
        if not kind.shared:
            owner_ids[kind.owner_field] = owner.pk
    active = {_token_key(token): token for token in statement.instances(user=user.pk, **owner_ids)}
    status = []
    for owner, cohort in owners:
        token = active.get(_owner_key(owner, cohort))
        status.append(
            {
                "scope": SCOPE_OF_OWNER[type(owner)].scope,
                "label": str(owner),
                "owner_id": owner.pk,
                "cohort_id": cohort.pk if cohort else None,
                "active": token is not None,
                "hint": token.token_hint if token else "",
                "created_at": token.created_at if token else None,
            }
        )
    return status


def _token_key(token: FeedToken) -> tuple[str, int, int | None]:
    """Which feed a token opens: its scope, its owner and, for a feed that is one cohort's, that cohort."""
    scope = feed_scope(token)
    return (scope.scope, scope.owner_id(), token.cohort_id if scope.per_cohort else None)


def _owner_key(owner: Model, cohort: Cohort | None) -> tuple[str, int, int | None]:
    """The same key for a feed named by its owner (and cohort), as ``feed_owners_for`` lists them."""
    return (SCOPE_OF_OWNER[type(owner)].scope, owner.pk, cohort.pk if cohort else None)
