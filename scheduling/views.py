"""Calendar feeds over HTTP: a secret URL, conditional GETs, and headers that keep the secret out of sight."""

from __future__ import annotations

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

from scheduling.feed_tokens import feed_token_lookup
from scheduling.feeds.builder import feed_render, feed_version

FEED_METHODS = ["GET", "HEAD"]
FEED_CONTENT_TYPE = "text/calendar; charset=utf-8"
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
    feed_token = feed_token_lookup(token)
    if feed_token is None:
        return _refused(request, HttpResponseNotFound("No such feed.", content_type="text/plain"))
    etag, last_modified = feed_version(feed_token)
    headers = {**PRIVATE_FEED_HEADERS, "ETag": etag, "Last-Modified": http_date(last_modified.timestamp())}
    # If-None-Match and If-Modified-Since, answered before anything is rendered.
    response = get_conditional_response(request, etag=etag, last_modified=int(last_modified.timestamp()))
    if response is None:
        if request.method == "HEAD":
            # GET's headers without rendering its body; streaming, so no Content-Length: 0 is sent for a body that
            # is not empty.
            response = StreamingHttpResponse((), content_type=FEED_CONTENT_TYPE)
        else:
            feed = feed_render(feed_token, etag=etag, last_modified=last_modified)
            response = HttpResponse(feed.body, content_type=FEED_CONTENT_TYPE)
        response["Content-Disposition"] = 'inline; filename="cohortops.ics"'
    for name, value in headers.items():
        response[name] = value
    return response


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
