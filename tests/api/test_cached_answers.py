"""API answers and logins kept in the cache (``cohort.cached_answers``, ``cohort.authentication``): an unchanged
answer costs a token-authenticated caller no query, and every write to what it shows, or to who may read it, or
the passing of the time it holds for, ends it at once."""

import datetime as dt
import pickle

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy
from rest_framework.test import APIClient

from cohort.authentication import CachedLogin, login_cache_key
from cohort.generation import (
    GENERATION_KEY,
    ReadAhead,
    current_entry_or_generation,
    current_generation,
    entry_keys,
    rows_changed,
)
from scheduling.models import Meeting
from tests.api.conftest import FUTURE
from tests.factories import token_client
from tests.meeting_rows import move_meeting

pytestmark = pytest.mark.django_db


def test_an_unchanged_answer_costs_a_token_caller_no_query(world, django_assert_num_queries):
    client = token_client(world["a"]["scholar"].user)
    for url in ("/api/v1/meetings/", "/api/v1/meeting-series/", "/api/v1/me/"):
        first = client.get(url)

        with django_assert_num_queries(0):
            again = client.get(url)

        assert first.status_code == again.status_code == 200
        assert again.content == first.content
        assert again["ETag"] == first["ETag"]
        assert again["Content-Type"] == first["Content-Type"] == "application/json"


def test_an_unchanged_answer_costs_a_token_caller_three_cache_calls(world, cache_calls):
    client = token_client(world["a"]["scholar"].user)
    first = client.get("/api/v1/meetings/")
    cache_calls.clear()

    again = client.get("/api/v1/meetings/")

    # The failed-guess count with the login (cohort.throttles, cohort.authentication) and the rate count, which the
    # Redis cache makes one round trip (tests/integration/test_redis_cache.py); then the answer.
    assert cache_calls == ["get_many", "incr", "get"]
    assert again.content == first.content


def test_entries_read_ahead_answer_only_for_the_keys_read(world, cache_calls):
    key = login_cache_key("a-token-key")
    login = CachedLogin(
        generation=current_generation(), user=world["a"]["scholar"].user, token_created=FUTURE
    )
    cache.set(key, login)
    of_another_token = ReadAhead(keys=frozenset(entry_keys(login_cache_key("another"))), found={})
    found_missing = ReadAhead(keys=frozenset(entry_keys(key)), found={GENERATION_KEY: login.generation})
    found_no_generation = ReadAhead(keys=frozenset(entry_keys(key)), found={})
    cache_calls.clear()

    # Read from the cache, as without one.
    assert current_entry_or_generation(key, of_another_token) == (login, login.generation)
    assert cache_calls == ["get_many"]
    # Read ahead and not there: not asked again.
    assert current_entry_or_generation(key, found_missing) == (None, login.generation)
    assert cache_calls == ["get_many"]
    # Read ahead without the generation, which the cache has let go: a new one is started.
    assert current_entry_or_generation(key, found_no_generation) == (None, current_generation())
    assert cache_calls[1:3] == ["add", "get"]


def test_an_entry_made_before_a_write_is_not_current_and_the_generation_comes_with_the_read(
    world, cache_calls
):
    key = login_cache_key("a-token-key")
    cache.set(
        key,
        CachedLogin(generation=current_generation(), user=world["a"]["scholar"].user, token_created=FUTURE),
    )
    rows_changed()
    cache_calls.clear()

    entry, generation = current_entry_or_generation(key)
    round_trips = list(cache_calls)

    assert (entry, generation) == (None, current_generation())
    assert round_trips == ["get_many"]


def test_a_generation_the_cache_let_go_starts_anew_when_an_entry_is_read(world):
    cache.delete(GENERATION_KEY)

    entry, generation = current_entry_or_generation(login_cache_key("a-token-key"))

    assert entry is None
    assert generation == current_generation()


def test_an_etag_sent_back_gets_a_304_without_a_body(world, django_assert_num_queries):
    client = token_client(world["a"]["mentor"].user)
    etag = client.get("/api/v1/meetings/")["ETag"]

    with django_assert_num_queries(0):
        unchanged = client.get("/api/v1/meetings/", HTTP_IF_NONE_MATCH=etag)

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    move_meeting(world["a"]["series"].meetings.get(), to=FUTURE + dt.timedelta(hours=2))
    changed = client.get("/api/v1/meetings/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_session_caller_gets_the_same_answer_and_etag_but_nothing_is_kept(world, django_assert_num_queries):
    user = world["a"]["scholar"].user
    by_token = token_client(user).get("/api/v1/meetings/")
    session = APIClient()
    session.force_login(user)

    by_session = session.get("/api/v1/meetings/")

    assert by_session.content == by_token.content
    assert by_session["ETag"] == by_token["ETag"]
    # A login read from the session was read under no generation: its answers are built every time.
    with django_assert_num_queries(5):  # the session, its login, their mentor and scholar rows, the page
        session.get("/api/v1/meetings/")


def _rename_scholar(world) -> None:
    scholar = world["a"]["scholar"]
    scholar.name = "Renamed Scholar"
    scholar.save()


def _notes_written(world) -> None:
    meeting = world["a"]["series"].meetings.get()
    meeting.private_notes = "rewritten"
    meeting.save()


def _scholar_taken_off_the_series(world) -> None:
    world["a"]["series"].scholars.remove(world["a"]["scholar"])


def _made_staff(world) -> None:
    # The mentor's login becomes a superuser: staff, who read every meeting, not only their own.
    user = world["a"]["mentor"].user
    user.is_superuser = True
    user.save()


WRITES = {
    "a meeting moved": (
        "scholar",
        "/api/v1/meetings/",
        lambda w: move_meeting(w["a"]["series"].meetings.get(), to=FUTURE + dt.timedelta(hours=3)),
    ),
    "private notes written": ("mentor", "/api/v1/meetings/", _notes_written),
    "a scholar taken off the series": ("scholar", "/api/v1/meetings/", _scholar_taken_off_the_series),
    "a mentor made a superuser": ("mentor", "/api/v1/meetings/", _made_staff),
    "a scholar renamed": ("scholar", "/api/v1/me/", _rename_scholar),
    "a meeting of theirs moved": (
        "scholar",
        "/api/v1/me/",
        lambda w: move_meeting(w["a"]["series"].meetings.get(), to=FUTURE + dt.timedelta(hours=3)),
    ),
}


@pytest.mark.parametrize(("who", "url", "write"), WRITES.values(), ids=WRITES.keys())
def test_a_write_to_what_an_answer_shows_ends_it_at_once(world, who, url, write):
    client = token_client(world["a"][who].user)
    before = client.get(url)

    write(world)
    after = client.get(url)

    # What a fresh build answers, by a caller with nothing kept (a session).
    session = APIClient()
    session.force_login(world["a"][who].user)
    assert after.content != before.content
    assert after.content == session.get(url).content


def test_two_callers_never_share_an_answer(world):
    # The same URL shows a mentor their meeting's private notes and their scholar none.
    mentor = token_client(world["a"]["mentor"].user).get("/api/v1/meetings/").json()["results"]
    scholar = token_client(world["a"]["scholar"].user).get("/api/v1/meetings/").json()["results"]

    assert [row["id"] for row in mentor] == [row["id"] for row in scholar]
    assert mentor[0]["private_notes"] == "private about a"
    assert scholar[0]["private_notes"] is None


def test_answers_are_kept_per_url_host_and_asked_format(world, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.testserver"]
    client = token_client(world["staff"])
    first_page = client.get("/api/v1/meetings/?limit=1").json()

    assert client.get("/api/v1/meetings/").json()["results"] != first_page["results"]
    assert (
        client.get("/api/v1/meetings/?limit=1", HTTP_HOST="other.testserver")
        .json()["next"]
        .startswith("http://other.testserver/")
    )
    indented = client.get("/api/v1/meetings/?limit=1", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b'{\n  "next"')
    assert client.get("/api/v1/meetings/?limit=1").content.startswith(b'{"next"')


def test_me_is_built_again_once_its_first_meeting_has_ended(world, monkeypatch):
    series = world["a"]["series"]
    later = Meeting.objects.create(
        series=series,
        original_start=FUTURE + dt.timedelta(weeks=1),
        starts_at=FUTURE + dt.timedelta(weeks=1),
        ends_at=FUTURE + dt.timedelta(weeks=1, hours=1),
    )
    client = token_client(world["a"]["scholar"].user)
    monkeypatch.setattr(timezone, "now", lambda: FUTURE - dt.timedelta(days=1))
    assert len(client.get("/api/v1/me/").json()["upcoming_meetings"]) == 2

    # No write: only the clock passes the first meeting's end.
    monkeypatch.setattr(timezone, "now", lambda: FUTURE + dt.timedelta(hours=1))

    assert [row["id"] for row in client.get("/api/v1/me/").json()["upcoming_meetings"]] == [later.pk]


@pytest.mark.parametrize("how", ["on its page", "among those selected"])
def test_a_token_deleted_in_the_admin_stops_working_at_once(world, admin_user, how):
    client = token_client(world["a"]["scholar"].user)
    assert client.get("/api/v1/meetings/").status_code == 200

    # The admin lists tokens through DRF's proxy model, one at a time or many.
    token_admin = admin.site._registry[TokenProxy]
    request = RequestFactory().post("/")
    request.user = admin_user
    if how == "on its page":
        token_admin.delete_model(request, TokenProxy.objects.get())
    else:
        token_admin.delete_queryset(request, TokenProxy.objects.all())

    assert client.get("/api/v1/meetings/").status_code == 401


def test_a_login_deactivated_is_refused_at_once(world):
    user = world["a"]["scholar"].user
    client = token_client(user)
    assert client.get("/api/v1/me/").json()["role"] == "scholar"

    user.is_active = False
    user.save()

    assert client.get("/api/v1/me/").status_code == 401


def test_a_login_read_before_a_write_is_never_served_after_it(world):
    user = world["a"]["scholar"].user
    client = token_client(user)
    token = Token.objects.get(user=user)
    # A slow call reads the generation and the token, then the login is deactivated before it keeps them.
    generation = current_generation()
    read_before = Token.objects.select_related("user__mentor", "user__scholar").get(pk=token.pk)
    user.is_active = False
    user.save()
    cache.set(
        login_cache_key(token.key),
        CachedLogin(generation=generation, user=read_before.user, token_created=read_before.created),
    )

    assert client.get("/api/v1/me/").status_code == 401


def test_the_cache_holds_no_token_nor_password_hash(world):
    user = world["a"]["scholar"].user
    user.set_password("a long and secret passphrase")
    user.save()
    world["a"]["scholar"].slack_webhook_url = "https://hooks.slack.com/services/T0/B0/secretpart"
    world["a"]["scholar"].save()
    client = token_client(user)
    key = Token.objects.get(user=user).key

    assert client.get("/api/v1/me/").status_code == 200

    kept = pickle.dumps(cache.get(login_cache_key(key)))
    assert b"api-login" not in kept  # the entry is the login, not its key
    assert key.encode() not in kept
    assert User.objects.get(pk=user.pk).password.encode() not in kept
    assert b"secretpart" not in kept
    # Served from the cache, the call still knows its token.
    again = client.get("/api/v1/me/")
    assert again.wsgi_request.auth.key == key
    assert again.wsgi_request.auth.user == user


def test_a_token_given_to_another_login_in_the_admin_stops_answering_for_the_first(world, admin_user):
    scholar_user, other = world["a"]["scholar"].user, world["b"]["scholar"].user
    client = token_client(scholar_user)
    assert client.get("/api/v1/me/").json()["username"] == scholar_user.username

    # The admin saves tokens through DRF's proxy model, whose save signals name the proxy.
    token = TokenProxy.objects.get(user=scholar_user)
    token.user = other
    request = RequestFactory().post("/")
    request.user = admin_user
    admin.site._registry[TokenProxy].save_model(request, token, form=None, change=True)

    assert client.get("/api/v1/me/").json()["username"] == other.username


def test_a_query_parameter_no_list_reads_is_answered_but_not_kept(world, django_assert_num_queries):
    client = token_client(world["a"]["scholar"].user)
    plain = client.get("/api/v1/meetings/")

    # Every junk value would otherwise be one more entry of the same answer: none is kept, even asked twice.
    for _ in range(2):
        with django_assert_num_queries(1):  # the page, built again
            junk = client.get("/api/v1/meetings/?whatever=1")
        assert junk.json()["results"] == plain.json()["results"]
    client.get("/api/v1/meetings/?limit=1&ordering=-starts_at")
    with django_assert_num_queries(0):
        client.get("/api/v1/meetings/?limit=1&ordering=-starts_at")


def test_me_built_anew_reads_the_login_and_three_lists(world, django_assert_num_queries):
    client = token_client(world["a"]["scholar"].user)

    # The login with its scholar row, stream and cohort; the next meetings; the teams; the feed links.
    with django_assert_num_queries(4):
        me = client.get("/api/v1/me/").json()

    assert {feed["scope"] for feed in me["feeds"]} == {"scholar", "stream", "cohort"}
    assert me["profile"]["name"] == world["a"]["scholar"].name
