"""Calendar feeds over HTTP: a secret URL, conditional GETs, and headers that keep the secret out of sight."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from scheduling.feed_tokens import feed_token_lookup
from scheduling.feeds import feed_render, feed_version

PRIVATE_FEED_HEADERS = {
    # A feed URL is a credential: keep it out of shared caches, referrers and search engines.
    "Cache-Control": "private, max-age=300",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed_token = feed_token_lookup(token)
    if feed_token is None:
        raise Http404("No such feed.")
    etag, last_modified = feed_version(feed_token)
    headers = {**PRIVATE_FEED_HEADERS, "ETag": etag, "Last-Modified": http_date(last_modified.timestamp())}
    # If-None-Match and If-Modified-Since, answered before anything is rendered.
    response = get_conditional_response(request, etag=etag, last_modified=int(last_modified.timestamp()))
    if response is None:
        feed = feed_render(feed_token, etag=etag, last_modified=last_modified)
        response = HttpResponse(feed.body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="cohortops.ics"'
    for name, value in headers.items():
        response[name] = value
    return response
