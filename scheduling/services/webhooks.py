"""Staff's writes to integrations' webhook endpoints: register, change, rotate the secret, switch off and on.

Each is one audited transaction. A secret is shown once, when it is made (``EndpointWithSecret``); the database
keeps it encrypted (``cohort.encryption``) and the audit trail records only that it changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cohort import encryption
from cohort.services import RowChange, acting_user, audit_write, row_snapshot
from scheduling.dispatch import send_again
from scheduling.models import WebhookEndpoint
from scheduling.notifications.webhooks import endpoint_messages_keep_back, held_back
from scheduling.webhook_signatures import new_secret

# What staff may set; the rest (secrets, failures, when it was switched off) the endpoint's life sets.
EDITABLE_FIELDS = ("name", "url", "events", "cohort", "disable_after_failures", "is_active")
SWITCHED_OFF_BY_STAFF = "Switched off by staff."


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint and the secret just made for it: the one time it can be read."""

    endpoint: WebhookEndpoint
    secret: str


def _audit(
    endpoint: WebhookEndpoint, *, before: dict | None, by: AbstractBaseUser | None, reason: str
) -> None:
    cohort_ids = [endpoint.cohort_id] if endpoint.cohort_id else []
    audit_write(changes=[RowChange.of(endpoint, before=before, cohort_ids=cohort_ids)], by=by, reason=reason)


@transaction.atomic
def endpoint_create(*, endpoint: WebhookEndpoint, by: AbstractBaseUser | None) -> EndpointWithSecret:
    """Register ``endpoint`` (unsaved, with what staff set: ``EDITABLE_FIELDS``) under a new secret. Raises
    ValidationError by field (the URL against the outbound policy, the events against the list), having written
    nothing."""
    if endpoint.pk is not None:
        raise ValueError("endpoint_create registers a new endpoint; endpoint_update changes one")
    secret = new_secret()
    endpoint.secret_encrypted = encryption.encrypt(secret)
    endpoint.created_by = acting_user(by)
    if not endpoint.is_active:
        endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), SWITCHED_OFF_BY_STAFF
    endpoint.full_clean()
    endpoint.save()
    _audit(endpoint, before=None, by=by, reason="Webhook endpoint registered.")
    return EndpointWithSecret(endpoint, secret)


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, changes: Mapping[str, object], by: AbstractBaseUser | None
) -> WebhookEndpoint:
    """Change what staff may (``EDITABLE_FIELDS``). Switching it off keeps its messages back, those still to go and
    those its events write meanwhile; switching it on sends them, oldest first, with its count of failures reset."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not an editable field of an endpoint: {', '.join(sorted(unknown))}")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = row_snapshot(endpoint)
    was_active = endpoint.is_active
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.full_clean()
    now = timezone.now()
    reason = "Webhook endpoint changed."
    if was_active and not endpoint.is_active:
        endpoint.disabled_at, endpoint.disabled_reason = now, SWITCHED_OFF_BY_STAFF
        endpoint.save()
        endpoint_messages_keep_back(endpoint)
    elif endpoint.is_active and not was_active:
        endpoint.disabled_at, endpoint.disabled_reason = None, ""
        endpoint.failures_in_a_row, endpoint.paused_until = 0, None
        endpoint.save()
        resent = send_again(held_back(endpoint), now=now)
        reason = f"Webhook endpoint switched on; {resent} kept-back message{'s' if resent != 1 else ''} sent again."
    else:
        endpoint.save()
    _audit(endpoint, before=before, by=by, reason=reason)
    return endpoint


@transaction.atomic
def endpoint_secret_rotate(
    *, endpoint: WebhookEndpoint, by: AbstractBaseUser | None, overlap: dt.timedelta | None = None
) -> EndpointWithSecret:
    """A new secret; the old one still signs every message next to it for ``overlap`` (default
    WEBHOOK_SECRET_OVERLAP_HOURS), so the receiver can switch over without refusing one. A rotation during an
    overlap ends the older one: only the secret it replaces overlaps with the new."""
    overlap = dt.timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS) if overlap is None else overlap
    if overlap < dt.timedelta(0):
        raise ValidationError({"overlap": "The overlap cannot be negative."})
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = row_snapshot(endpoint)
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted if overlap else ""
    endpoint.previous_secret_expires_at = timezone.now() + overlap if overlap else None
    endpoint.secret_encrypted = encryption.encrypt(secret)
    endpoint.save()
    _audit(endpoint, before=before, by=by, reason=f"Secret rotated; the old one signs too for {overlap}.")
    return EndpointWithSecret(endpoint, secret)


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, by: AbstractBaseUser | None) -> None:
    """Remove an endpoint with its messages and their delivery log; the audit trail keeps that it was there."""
    cohort_ids = [endpoint.cohort_id] if endpoint.cohort_id else []
    change = RowChange(
        model=WebhookEndpoint,
        pk=endpoint.pk,
        label=str(endpoint),
        before=row_snapshot(endpoint),
        after=None,
        cohort_ids=frozenset(cohort_ids),
    )
    endpoint.delete()
    audit_write(changes=[change], by=by, reason="Webhook endpoint removed.")
