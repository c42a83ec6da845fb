"""Calendar feeds over HTTP: a secret URL, conditional GETs, and headers that keep the secret out of sight."""

from __future__ import annotations

import re

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    StreamingHttpResponse,
)
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt

from cohort.generation import ReadAhead, current_generation, entry_keys
from scheduling.feed_tokens import feed_token_lookup, hash_token
from scheduling.feeds.builder import FeedStamp, cached_feed_stamp, feed_body, feed_stamp, stamp_key

FEED_METHODS = ["GET", "HEAD"]
FEED_PATH = re.compile(r"/feeds/([^/]+)\.ics")  # as cohort.project.urls routes it
FEED_CONTENT_TYPE = "text/calendar; charset=utf-8"
# gzip in Accept-Encoding, unless refused with q=0 (RFC 9110 12.5.3).
ACCEPTS_GZIP = re.compile(r"\bgzip\b(?!\s*;\s*q=0(?:\.0{0,3})?\s*(?:,|$))")
# What the logs say instead of the path: the path is the credential.
LOGGED_FEED_PATH = "/feeds/[token].ics"
PRIVATE_FEED_HEADERS = {
    # A feed URL is a credential: keep it out of shared caches, referrers and search engines.
    "Cache-Control": "private, max-age=300",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


# Read-only, so there is nothing to forge; and the CSRF check would refuse a POST with a 403 logging the path.
@csrf_exempt
def calendar_feed(request: HttpRequest, token: str) -> HttpResponseBase:
    if request.method not in FEED_METHODS:
        return _refused(request, HttpResponseNotAllowed(FEED_METHODS))
    stamp = _feed_stamp(token, fresh=False, read_ahead=getattr(request, "read_ahead", None))
    if stamp is None:
        return _refused(request, HttpResponseNotFound("No such feed.", content_type="text/plain"))
    gzipped = stamp.gzipped and ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")) is not None
    # If-None-Match and If-Modified-Since, answered before the body is even fetched.
    response = get_conditional_response(
        request, etag=_etag(stamp, gzipped), last_modified=int(stamp.last_modified.timestamp())
    )
    if response is None:
        if request.method == "HEAD":
            # GET's headers without its body; streaming, so no Content-Length: 0 is sent for a body that is not
            # empty.
            response = StreamingHttpResponse((), content_type=FEED_CONTENT_TYPE)
        else:
            body = feed_body(stamp, gzipped=gzipped)
            if body is None:
                # The cache let the body go before the stamp: make both again (feed_stamp keeps the body in this
                # process for the read that follows).
                stamp = _feed_stamp(token, fresh=True)
                if stamp is None:
                    return _refused(request, HttpResponseNotFound("No such feed.", content_type="text/plain"))
                gzipped = gzipped and stamp.gzipped
                body = feed_body(stamp, gzipped=gzipped)
            if body is None:
                # Only a process evicting hundreds of feeds within this request gets here: never send no body.
                return HttpResponse("The feed is busy; try again.", status=503, headers={"Retry-After": "5"})
            response = HttpResponse(body, content_type=FEED_CONTENT_TYPE)
        response["Content-Disposition"] = 'inline; filename="cohortops.ics"'
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = _etag(stamp, gzipped)
    response["Last-Modified"] = http_date(stamp.last_modified.timestamp())
    response["Vary"] = "Accept-Encoding"
    for name, value in PRIVATE_FEED_HEADERS.items():
        response[name] = value
    return response


def feed_stamp_keys(request: HttpRequest) -> list[str]:
    """The cache entries a feed's answer reads first (``cached_feed_stamp``), which the failed-guess middleware
    reads with its count (``cohort.throttles``, told so in ``scheduling.apps``)."""
    token = FEED_PATH.fullmatch(request.path_info)
    return entry_keys(stamp_key(hash_token(token[1]))) if token else []


def _feed_stamp(token: str, *, fresh: bool, read_ahead: ReadAhead | None = None) -> FeedStamp | None:
    """The feed's stamp: from the cache while nothing it shows has changed (no query), else from the database;
    None for a token that opens no feed."""
    # The generation is read before the token and its subscriber's rights are.
    if fresh:
        generation = current_generation()
    else:
        stamp, generation = cached_feed_stamp(hash_token(token), read_ahead)
        if stamp is not None:
            return stamp
    feed_token = feed_token_lookup(token)
    return None if feed_token is None else feed_stamp(feed_token, generation=generation)


def _etag(stamp: FeedStamp, gzipped: bool) -> str:
    # The gzip is another representation of the same feed: a weak validator, as Django's GZipMiddleware makes it.
    return f"W/{stamp.etag}" if gzipped else stamp.etag


def _refused(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Log the refusal here, without the path, so Django's request logger does not log the token with it."""
    log_response(
        "%s (%s): %s",
        response.reason_phrase,
        request.method,
        LOGGED_FEED_PATH,
        response=response,
        request=None,
    )
    return response
