"""Secrets kept out of logs, failed guesses limited before authentication, and the Content-Security-Policy."""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cohort import throttles
from cohort.authentication import login_cache_key, login_entry_keys
from cohort.generation import entry_keys
from cohort.logging import ScrubSecrets
from scheduling.feed_tokens import feed_token_rotate
from tests.factories import CohortFactory, ScholarFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
FEED_SECRET = "Zm9vYmFyLWZlZWQtc2VjcmV0LTAxMjM0NTY3ODk"
RESET_SECRET = "cm0x7d-0123456789abcdef0123456789abcdef"
ELSEWHERE = "192.0.2.10"  # an address from the documentation range, as REMOTE_ADDR only


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the configured console handler writes, the one every logger's records reach."""
    [handler] = [h for h in logging.root.handlers if any(isinstance(f, ScrubSecrets) for f in h.filters)]
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


# --- Secrets in logs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "django",
        "django.security.csrf",
        "django.server",
        "django.request",
        "gunicorn.access",
        "gunicorn.error",
    ],
)
def test_every_logger_hands_its_records_to_the_scrubbing_root_handler(name):
    logger = logging.getLogger(name)
    while logger is not logging.root:
        assert (logger.name, logger.handlers, logger.propagate) == (logger.name, [], True)
        logger = logger.parent


@pytest.mark.django_db
def test_a_csrf_failure_logs_the_set_password_link_without_its_token(console_log):
    response = Client(enforce_csrf_checks=True).post(f"/reset/MQ/{RESET_SECRET}/")

    assert response.status_code == 403
    assert console_log.getvalue() == "Forbidden (CSRF cookie not set.): /reset/MQ/[token]/\n"


def test_a_csrf_failure_on_a_feed_path_is_logged_without_the_token(console_log):
    # The record CsrfViewMiddleware writes (through django.utils.log.log_response) for a refused feed request.
    logging.getLogger("django.security.csrf").warning(
        "Forbidden (%s): %s", "CSRF cookie not set.", f"/feeds/{FEED_SECRET}.ics"
    )

    assert console_log.getvalue() == "Forbidden (CSRF cookie not set.): /feeds/[token].ics\n"


def test_a_runserver_access_line_for_a_set_password_link_is_logged_without_its_token(console_log):
    # The call django.core.servers.basehttp.WSGIRequestHandler.log_message makes.
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /reset/MQ/{RESET_SECRET}/ HTTP/1.1", "302", "0"
    )
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /reset/MQ/set-password/ HTTP/1.1", "200", "3141"
    )

    assert console_log.getvalue() == (
        '"GET /reset/MQ/[token]/ HTTP/1.1" 302 0\n"GET /reset/MQ/set-password/ HTTP/1.1" 200 3141\n'
    )


def test_an_exception_naming_a_secret_url_is_logged_without_it(console_log):
    try:
        raise RuntimeError(f"could not post to https://hooks.slack.com/services/T0123/B0456/{FEED_SECRET}")
    except RuntimeError:
        logging.getLogger("scheduling.dispatch").exception("Slack send failed")

    output = console_log.getvalue()
    assert output.splitlines()[0] == "Slack send failed"
    assert output.splitlines()[-1] == (
        "RuntimeError: could not post to https://hooks.slack.com/services/[secret]"
    )
    assert FEED_SECRET not in output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_logs_secret_paths_scrubbed(tmp_path):
    """Gunicorn gives its access and error loggers handlers of its own; the worker's Django logging replaces them."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    env = {**inherited, "COHORTOPS_VAR_DIR": str(tmp_path), "DEBUG": "1"}
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "cohort.project.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}",
             "--access-logfile", "-"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            statuses = [
                request_status(port, path)
                for path in (f"/reset/MQ/{RESET_SECRET}/", f"/feeds/{FEED_SECRET}.ics")
            ]
        finally:
            server.terminate()
            server.wait(timeout=30)
    output = log_path.read_text()

    # The database has no tables: both views fail, so the error log (with its traceback) is checked too.
    assert statuses == [500, 500]
    assert '"GET /reset/MQ/[token]/ HTTP/1.1" 500' in output
    assert '"GET /feeds/[token].ics HTTP/1.1" 500' in output
    assert "Internal Server Error: /feeds/[token].ics" in output
    assert RESET_SECRET not in output
    assert FEED_SECRET not in output


def request_status(port: int, path: str) -> int:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- Failed guesses, limited before authentication -----------------------------------------------------------


@pytest.mark.django_db
def test_bad_api_tokens_are_refused_with_429_once_an_address_has_used_up_its_failures(client, settings):
    settings.API_AUTH_FAILURE_LIMIT = 3
    good_token = Token.objects.create(user=UserFactory(is_staff=True)).key

    statuses = [
        client.get("/api/v1/me/", headers={"Authorization": f"Token guess{n}"}).status_code for n in range(3)
    ]
    refused = client.get("/api/v1/me/", headers={"Authorization": "Token guess3"})
    refused_with_good_token = client.get("/api/v1/me/", headers={"Authorization": f"Token {good_token}"})
    elsewhere = client.get(
        "/api/v1/me/", headers={"Authorization": f"Token {good_token}"}, REMOTE_ADDR=ELSEWHERE
    )

    assert statuses == [401, 401, 401]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.FAILURE_WINDOW_SECONDS
    assert refused.json() == {
        "detail": f"Too many failed sign-ins from this address. Try again in {refused['Retry-After']} seconds."
    }
    assert refused_with_good_token.status_code == 429
    assert elsewhere.status_code == 200


@pytest.mark.django_db
def test_failed_guesses_are_limited_where_the_site_is_served_below_a_prefix(client, settings):
    settings.API_AUTH_FAILURE_LIMIT = 1
    below = {"SCRIPT_NAME": "/cohortops"}  # request.path "/cohortops/api/v1/me/", routed as "/api/v1/me/"

    statuses = [
        client.get("/api/v1/me/", headers={"Authorization": f"Token guess{n}"}, **below).status_code
        for n in range(2)
    ]

    assert statuses == [401, 429]


@pytest.mark.django_db
def test_a_login_kept_in_the_cache_is_refused_too_once_its_address_has_used_up_its_failures(client, settings):
    settings.API_AUTH_FAILURE_LIMIT = 2
    good = {"Authorization": f"Token {Token.objects.create(user=UserFactory(is_staff=True)).key}"}
    before = client.get("/api/v1/me/", headers=good)  # its login now read with the count, from the cache

    guesses = [
        client.get("/api/v1/me/", headers={"Authorization": f"Token guess{n}"}).status_code for n in (1, 2)
    ]
    refused = client.get("/api/v1/me/", headers=good)

    assert (before.status_code, guesses, refused.status_code) == (200, [401, 401], 429)


@pytest.mark.parametrize(
    "authorization",
    [None, "Token", "Token one two", "Bearer abc", "Basic YWRhOnB3", b"Token \xff\xfe"],
    ids=["none", "no key", "two keys", "bearer", "basic", "not text"],
)
def test_no_login_is_read_ahead_for_a_request_sending_no_token_drf_would_read(rf, authorization):
    request = rf.get("/api/v1/me/", **({"HTTP_AUTHORIZATION": authorization} if authorization else {}))

    assert login_entry_keys(request) == []


def test_the_login_read_ahead_is_the_one_authentication_reads(rf):
    request = rf.get(
        "/api/v1/me/", HTTP_AUTHORIZATION="token abc"
    )  # the keyword in any case, as DRF reads it

    assert login_entry_keys(request) == entry_keys(login_cache_key("abc"))


@pytest.mark.django_db
def test_calls_without_credentials_are_not_counted_as_guesses(client, settings):
    settings.API_AUTH_FAILURE_LIMIT = 2
    good_token = Token.objects.create(user=UserFactory(is_staff=True)).key

    anonymous = [client.get("/api/v1/me/").status_code for _ in range(5)]
    signed_in = client.get("/api/v1/me/", headers={"Authorization": f"Token {good_token}"})

    assert (anonymous, signed_in.status_code) == ([401] * 5, 200)


@pytest.mark.django_db
def test_x_forwarded_for_names_no_new_address_unless_proxies_are_configured(client, settings):
    settings.API_AUTH_FAILURE_LIMIT = 1
    client.get("/api/v1/me/", headers={"Authorization": "Token guess"})

    claimed = client.get(
        "/api/v1/me/", headers={"Authorization": "Token guess", "X-Forwarded-For": ELSEWHERE}
    )
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    behind_a_proxy = client.get(
        "/api/v1/me/", headers={"Authorization": "Token guess", "X-Forwarded-For": ELSEWHERE}
    )

    assert (claimed.status_code, behind_a_proxy.status_code) == (429, 401)


@pytest.mark.django_db
def test_unknown_feed_urls_are_refused_with_429_once_an_address_has_used_up_its_misses(client, settings):
    settings.FEED_MISS_LIMIT = 3
    link = feed_token_rotate(owner=ScholarFactory(cohort=CohortFactory()))
    real_path = "/" + link.https_url.split("/", 3)[3]

    found = client.get(real_path)
    misses = [client.get(f"/feeds/unknown-feed-token-{n:04}.ics").status_code for n in range(3)]
    refused = client.get(real_path)

    assert found.status_code == 200
    assert misses == [404, 404, 404]
    assert refused.status_code == 429
    assert refused.content.decode() == (
        f"Too many unknown feeds asked for from this address. Try again in {refused['Retry-After']} seconds."
    )
    assert client.get(real_path, REMOTE_ADDR=ELSEWHERE).status_code == 200


class StoppedClock:
    """The throttles' clock, standing still until a test moves it: windows end when the test says."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.mark.django_db
def test_a_refused_address_is_served_again_when_its_window_ends(client, settings, monkeypatch):
    settings.FEED_MISS_LIMIT = 1
    settings.FAILURE_WINDOW_SECONDS = 60
    clock = StoppedClock(now=60 * 1000 + 20)  # 20 s into a window
    monkeypatch.setattr(throttles, "time", clock)
    client.get("/feeds/unknown-feed-token-0000.ics")
    refused = client.get("/feeds/unknown-feed-token-0001.ics")

    clock.now += int(refused["Retry-After"])

    assert (refused.status_code, refused["Retry-After"]) == (429, "40")
    assert client.get("/feeds/unknown-feed-token-0002.ics").status_code == 404


@pytest.mark.django_db
def test_a_limit_of_zero_counts_nothing(client, settings):
    settings.FEED_MISS_LIMIT = 0

    statuses = {client.get(f"/feeds/unknown-feed-token-{n:04}.ics").status_code for n in range(40)}

    assert statuses == {404}


def sign_in(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


LOCKED_OUT = re.compile(r"Too many failed sign-ins from this address\. Try again in (\d+) minutes\.")


def minutes_locked_out(response) -> int:
    """The minutes the sign-in page's error names: what is left of the 15-minute window."""
    [error] = response.context["form"].non_field_errors()
    return int(LOCKED_OUT.fullmatch(error).group(1))


@pytest.mark.django_db
def test_admin_sign_in_locks_an_address_out_after_the_limit_even_with_the_right_password(client, settings):
    UserFactory(username="ada", is_staff=True)
    wrong = [sign_in(client, "ada", "wrong") for _ in range(5)]

    locked = sign_in(client, "ada", "correct horse battery staple")

    assert [response.status_code for response in wrong] == [200] * 5
    assert "Please enter the correct username and password" in wrong[-1].content.decode()
    assert locked.status_code == 200
    assert 1 <= minutes_locked_out(locked) <= 15
    assert "_auth_user_id" not in client.session
    assert (settings.LOGIN_FAILURE_LIMIT, settings.FAILURE_WINDOW_SECONDS) == (5, 900)


@pytest.mark.django_db
def test_wrong_passwords_from_elsewhere_do_not_lock_the_admin_out(client):
    UserFactory(username="ada", is_staff=True)
    for n in range(5):
        sign_in(client, "ada", "wrong", address=f"192.0.2.{n}")

    signed_in = sign_in(client, "ada", "correct horse battery staple")

    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_admin_sign_in_locks_an_address_out_after_the_limit_whatever_the_username(client):
    UserFactory(username="ada", is_staff=True)
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong")

    locked = sign_in(client, "ada", "correct horse battery staple")
    elsewhere = sign_in(client, "ada", "correct horse battery staple", address=ELSEWHERE)

    assert 1 <= minutes_locked_out(locked) <= 15
    assert elsewhere.status_code == 302


# --- Content-Security-Policy -----------------------------------------------------------------------------------

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


def origin(url: str) -> str:
    return "'self'" if url.startswith("/") else "/".join(url.split("/")[:3])


@pytest.mark.django_db
def test_every_page_carries_the_content_security_policy(client):
    assert policy_of(client.get(reverse("admin:login"))) == EXPECTED_POLICY
    assert policy_of(client.get("/api/docs/")) == EXPECTED_POLICY


@pytest.mark.django_db
@pytest.mark.parametrize("docs", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_load_only_pinned_files_served_from_here(client, docs):
    page = client.get(docs)
    scripts = re.findall(r'<script src="([^"]+)"', page.content.decode())
    links = re.findall(r'<link rel="[^"]*" href="([^"]+)"', page.content.decode())

    assert policy_of(page) == EXPECTED_POLICY
    assert scripts
    assert {origin(url) for url in [*scripts, *links]} == {"'self'"}
    static = django_settings.STATIC_URL
    for url in [*scripts, *links]:
        if url.startswith(static):
            # Swagger UI and ReDoc as the drf-spectacular-sidecar package pins them, found by staticfiles.
            assert finders.find(url.removeprefix(static)), url
        else:
            assert client.get(url.replace("&amp;", "&")).status_code == 200, url


@pytest.mark.django_db
def test_the_admin_week_page_runs_no_inline_script(client):
    cohort = CohortFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:cohort_cohort_week", args=[cohort.pk]), {"week": "2027-01-11"})

    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.content.decode()) == []
    assert "'unsafe-inline'" in policy_of(page)["style-src"]  # its <style> block


def test_celery_worker_logs_secret_paths_scrubbed():
    """A worker replaces the root logger's handlers with its own; those scrub too."""
    code = (
        "import logging;"
        "from cohort.project.celery import app;"
        "app.log.setup(loglevel='INFO');"
        f"logging.getLogger('scheduling.dispatch').warning('could not fetch /feeds/{FEED_SECRET}.ics');"
        f"logging.getLogger('celery.task.scheduling').warning('could not open /reset/MQ/{RESET_SECRET}/')"
    )
    inherited = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=inherited, capture_output=True, text=True, timeout=60
    )

    lines = result.stderr.splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [
        "could not fetch /feeds/[token].ics",
        "???[???]: could not open /reset/MQ/[token]/",  # a task logger's format, outside a task
    ], result.stderr
