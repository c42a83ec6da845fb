"""API answers kept in the cache for their caller while nothing they show has been written.

The lists integrations poll (meetings, series) and ``/me/`` are the API's most frequent calls. Called with an API
token, an answer's JSON is kept under the read generation the caller's login was checked under
(``cohort.authentication``), and served as the stored bytes until a write moves the generation on
(``cohort.generation``) or the answer's own time runs out (``/me/``'s next meetings change as each one ends). Only
views whose answers are built from the generation's sources (``scheduling.receivers.generation_sources``) may use
it. Every answer, cached or not, carries an ETag, and a client sending it back with If-None-Match gets a 304.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response
from rest_framework.response import Response
from rest_framework.settings import api_settings

from cohort.filters import filter_names

# In every answer's key: raise it when a change alters what an answer holds, so a deployment never serves what the
# previous code built.
ANSWER_CACHE_VERSION = 1
ANSWER_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class CachedAnswer:
    generation: str
    body: bytes
    content_type: str
    etag: str
    valid_until: dt.datetime | None  # None: only a write ends it


def cached_answer(
    view, request, build: Callable[[], tuple[Response, dt.datetime | None]], *, params: Collection[str] = ()
) -> HttpResponseBase:
    """The answer ``build`` makes (and until when it holds, if time alone will change it), from the cache while the
    caller's read generation is current. Answers in other formats than JSON (the browsable API) are built each
    time. Answers are kept only for token-authenticated calls (the ones whose login was read under a generation)
    asking with no query parameter but ``params``, the ones the view reads: any other would make a new entry of
    the same answer, for every value a client cares to send."""
    if request.accepted_renderer.format != "json":
        return build()[0]
    generation = getattr(request, "read_generation", None)
    if not set(request.query_params) <= set(params):
        generation = None
    key = _answer_key(request) if generation else None
    entry = cache.get(key) if key else None
    if (
        entry is None
        or entry.generation != generation
        or (entry.valid_until is not None and entry.valid_until <= timezone.now())
    ):
        response, valid_until = build()
        if response.status_code != 200:
            return response
        # What DRF does after the view returns (finalize_response), done here for the bytes to keep.
        response.accepted_renderer = request.accepted_renderer
        response.accepted_media_type = request.accepted_media_type
        response.renderer_context = view.get_renderer_context()
        body = response.rendered_content
        entry = CachedAnswer(
            generation=generation or "",
            body=body,
            content_type=response["Content-Type"],
            etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
            valid_until=valid_until,
        )
        if key:
            cache.set(key, entry, ANSWER_CACHE_SECONDS)
    answer = HttpResponse(entry.body, content_type=entry.content_type, headers={"ETag": entry.etag})
    return get_conditional_response(request, etag=entry.etag, response=answer) or answer


class CachedListMixin:
    """A list view set whose rows, and who may read them, are all the read generation's sources."""

    def list(self, request, *args, **kwargs) -> HttpResponseBase:
        uncached = super().list
        return cached_answer(
            self, request, lambda: (uncached(request, *args, **kwargs), None), params=self._list_params()
        )

    def _list_params(self) -> set[str]:
        """The query parameters the list reads: its filters, ordering, search, page and format."""
        paginator = self.paginator
        return {
            *filter_names(self),
            *(
                getattr(paginator, name)
                for name in ("limit_query_param", "offset_query_param", "cursor_query_param")
                if getattr(paginator, name, None)
            ),
            api_settings.ORDERING_PARAM,
            api_settings.SEARCH_PARAM,
            api_settings.URL_FORMAT_OVERRIDE,
        }


def _answer_key(request) -> str:
    # The whole URL (links in pages name the host the caller used) and the media type (an indent asked for).
    asked = f"{request.accepted_media_type}|{request.build_absolute_uri()}"
    return f"api-answer:{ANSWER_CACHE_VERSION}:{request.user.pk}:{hashlib.sha256(asked.encode()).hexdigest()}"
