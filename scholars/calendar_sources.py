"""People's own calendars: adding and removing one, and reading it for the times they are busy.

A read runs on a worker (``scholars.tasks``), never in a request: the server at the other end may be slow. It
- checks the address against the outbound policy before each request (and each redirect it follows);
- asks only for what changed (If-None-Match, If-Modified-Since), within a size and a time limit;
- keeps only busy intervals (``scholars.busy_calendar``), from a day ago to the horizon ahead, and rewrites them
  only when they changed, telling scheduling (``busy_times_changed``) so meetings that now clash are flagged;
- on any failure keeps the busy times it had and says why on the source, for the person and for staff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q

from cohort import encryption, outbound
from cohort.signals import busy_times_changed
from mentors.models import Mentor
from scholars.busy_calendar import BusyInterval, NotACalendar, busy_intervals
from scholars.models import BusyBlock, CalendarSource, Scholar

logger = logging.getLogger(__name__)

Status = CalendarSource.Status
REDIRECTS_FOLLOWED = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Each person's calendars are read on every refresh: a few cover work, personal and shared ones.
MAX_SOURCES_PER_PERSON = 5
# The UIDs scheduling gives its meetings in feeds and mailed invitations (scheduling.services.materialise,
# scheduling.calendar_events): a person who accepted one is not busy for that meeting.
OWN_EVENT_UID_SUFFIX = "@cohortops"
FULL_READ_EVERY = dt.timedelta(days=1)
UNEXPECTED = (
    "The calendar could not be read (an error on our side, logged for staff); it is tried again later."
)


def url_hint(url: str) -> str:
    """What may be shown of a secret address: its host, and its file name ("basic.ics", which Google's and
    Outlook's addresses end in and no secret) or else its last four characters (iCloud's end in the secret)."""
    parts = urlsplit(url)
    name = parts.path.rsplit("/", 1)[-1]
    ending = f"/{name}" if name.lower().endswith(".ics") and len(name) <= 24 else parts.path[-4:]
    return f"{parts.hostname or '?'}/…{ending}"


def calendar_source_add(*, owner: Mentor | Scholar, url: str, label: str = "") -> CalendarSource:
    """A new source for ``owner``, waiting for its first read; ``ValidationError`` on ``url`` when the outbound
    policy refuses the address (a host that does not resolve now is let through: the read will say)."""
    url = url.strip()
    try:
        outbound.validate_calendar_url(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from error
    if owner.calendar_sources.count() >= MAX_SOURCES_PER_PERSON:
        raise ValidationError(
            {"url": f"You have {MAX_SOURCES_PER_PERSON} calendars already: remove one before adding another."}
        )
    source = CalendarSource(
        **{"mentor" if isinstance(owner, Mentor) else "scholar": owner}, label=label.strip()
    )
    calendar_source_set_url(source, url)
    source.save()
    return source


def calendar_source_set_url(source: CalendarSource, url: str) -> None:
    """Give ``source`` a new address (checked by the caller), unsaved: encrypted, and read afresh from scratch."""
    source.url_encrypted, source.url_hint = encryption.encrypt(url), url_hint(url)
    source.etag = source.last_modified = source.busy_digest = ""
    source.status, source.status_detail = Status.PENDING, ""
    source.checked_at = None
    source.generation += 1


@transaction.atomic
def calendar_source_remove(source: CalendarSource) -> None:
    owner = source.owner
    source.delete()
    busy_times_changed.send(sender=CalendarSource, person=owner)


def calendar_sources_read_afresh(person: Mentor | Scholar) -> int:
    """Have the person's calendars read again in full (no conditional request: a 304 would keep busy times placed
    for their old zone or address) at the next refresh."""
    return person.calendar_sources.update(
        etag="", last_modified="", busy_digest="", checked_at=None, generation=F("generation") + 1
    )


@transaction.atomic
def calendar_sources_due(*, now: dt.datetime) -> list[int]:
    """Sources not read (or tried) for the refresh interval, the longest waiting first, at most
    CALENDAR_READS_PER_TICK (the rest wait for the next tick, so reads never crowd out the sends on the workers),
    marked tried now: a tick while they wait for a worker does not enqueue them again (a lost read is retried at the
    next interval)."""
    stale = now - dt.timedelta(minutes=settings.CALENDAR_REFRESH_MINUTES)
    due = list(
        CalendarSource.objects.select_for_update(skip_locked=True)
        .filter(Q(checked_at__isnull=True) | Q(checked_at__lt=stale))
        .order_by(F("checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)[: settings.CALENDAR_READS_PER_TICK]
    )
    CalendarSource.objects.filter(pk__in=due).update(checked_at=now)
    return due


class ReadFailed(Exception):
    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def calendar_source_read(source_id: int, *, now: dt.datetime) -> CalendarSource | None:
    """Read one source now; returns it as saved, or None when it was removed meanwhile. Whatever happens is
    recorded on the source (a read that fails unexpectedly, or runs out of the task's time, too), so it is tried
    again at the next refresh, not at every tick."""
    source = CalendarSource.objects.select_related("mentor", "scholar").filter(pk=source_id).first()
    if source is None:
        return None
    owner = source.owner
    # Whole days, so the window (and with it what the busy times hash to) moves once a day, not at every read.
    first_day = dt.datetime.combine(now.date() - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    try:
        response = _fetch(source, now=now)
        if response.status == 304:
            intervals = None
        else:
            intervals = busy_intervals(
                response.body,
                time_zone=owner.time_zone,
                owner_emails=[owner.email],
                start=first_day,
                end=first_day + dt.timedelta(days=settings.CALENDAR_HORIZON_DAYS + 1),
                ignored_uid_suffix=OWN_EVENT_UID_SUFFIX,
            )
    except ReadFailed as failed:
        return _record_failure(source, failed, now=now)
    except NotACalendar as error:
        return _record_failure(source, ReadFailed(Status.INVALID, str(error)), now=now)
    except Exception:
        logger.exception("Reading calendar source %s failed unexpectedly", source.pk)
        return _record_failure(source, ReadFailed(Status.UNREACHABLE, UNEXPECTED), now=now)
    return _record_read(source, response=response, intervals=intervals, now=now)


def _fetch(source: CalendarSource, *, now: dt.datetime) -> outbound.FetchedResponse:
    try:
        url = outbound.https_for_webcal(encryption.decrypt(source.url_encrypted))
    except encryption.UnreadableSecret as error:
        raise ReadFailed(Status.REFUSED, "The address can no longer be read here: paste it again.") from error
    headers = {"Accept": "text/calendar"}
    # "Not modified" keeps the busy times read, up to the horizon of that read: once a day, read in full to move
    # the horizon on.
    recent = source.full_read_at is not None and source.full_read_at > now - FULL_READ_EVERY
    if source.etag and recent:
        headers["If-None-Match"] = source.etag
    if source.last_modified and recent:
        headers["If-Modified-Since"] = source.last_modified
    for _ in range(REDIRECTS_FOLLOWED + 1):
        try:
            target = outbound.check_calendar_url_by_settings(url)
            response = outbound.fetch(
                target,
                headers=headers,
                max_bytes=settings.CALENDAR_MAX_BYTES,
                timeout_seconds=settings.CALENDAR_TIMEOUT_SECONDS,
            )
        except outbound.RefusedURL as refused:
            raise ReadFailed(Status.REFUSED, str(refused)) from refused
        except outbound.UnresolvableHost as error:
            raise ReadFailed(Status.UNREACHABLE, str(error)) from error
        except outbound.ResponseTooLarge as error:
            raise ReadFailed(Status.TOO_LARGE, str(error)) from error
        except outbound.FetchFailed as error:
            raise ReadFailed(Status.UNREACHABLE, str(error)) from error
        if response.status in REDIRECT_STATUSES and response.headers.get("location"):
            url = urljoin(url, response.headers["location"])
            continue
        if response.status in (200, 304):
            return response
        raise ReadFailed(Status.HTTP_ERROR, _http_error(response.status))
    raise ReadFailed(Status.HTTP_ERROR, f"The server redirected more than {REDIRECTS_FOLLOWED} times.")


def _http_error(status: int) -> str:
    if status in (401, 403, 404, 410):
        return (
            f"The server answered {status}: the address may have been reset or the calendar unshared. "
            "Paste its current secret address."
        )
    return f"The server answered {status}; it is tried again at the next refresh."


def _digest(intervals: list[BusyInterval]) -> str:
    text = "\n".join(f"{i.starts_at.isoformat()}/{i.ends_at.isoformat()}" for i in intervals)
    return hashlib.sha256(text.encode()).hexdigest()


def _locked_if_unchanged(source: CalendarSource) -> CalendarSource | None:
    """The source, locked, unless while it was being read it was removed, given another address, or its owner
    another zone or address (``generation``): what this read found then no longer applies."""
    locked = CalendarSource.objects.select_for_update().filter(pk=source.pk).first()
    if locked is None or locked.generation != source.generation:
        return None
    return locked


@transaction.atomic
def _record_read(
    read: CalendarSource,
    *,
    response: outbound.FetchedResponse,
    intervals: list[BusyInterval] | None,
    now: dt.datetime,
) -> CalendarSource | None:
    source = _locked_if_unchanged(read)
    if source is None:
        return None
    source.status, source.status_detail = Status.OK, ""
    source.checked_at = source.read_at = now
    source.failing_since = None
    # Under the current SECRET_KEY, so a key rotated out of SECRET_KEY_FALLBACKS later still leaves it readable.
    source.url_encrypted = encryption.reencrypted(source.url_encrypted)
    changed = False
    if intervals is not None:
        source.full_read_at = now
        source.etag = response.headers.get("etag", "")[:300]
        source.last_modified = response.headers.get("last-modified", "")[:100]
        digest = _digest(intervals)
        changed = digest != source.busy_digest
        if changed:
            source.busy_digest = digest
            source.busy_blocks.all().delete()
            BusyBlock.objects.bulk_create(
                BusyBlock(source=source, starts_at=i.starts_at, ends_at=i.ends_at) for i in intervals
            )
    source.save()
    if changed:
        logger.info("Calendar source %s: %d busy times", source.pk, len(intervals))
        busy_times_changed.send(sender=CalendarSource, person=source.owner)
    return source


@transaction.atomic
def _record_failure(read: CalendarSource, failed: ReadFailed, *, now: dt.datetime) -> CalendarSource | None:
    source = _locked_if_unchanged(read)
    if source is None:
        return None
    logger.warning("Calendar source %s could not be read: %s", source.pk, failed.detail)
    source.status, source.status_detail = failed.status, failed.detail[:500]
    source.checked_at = now
    source.failing_since = source.failing_since or now
    source.save()
    return source
