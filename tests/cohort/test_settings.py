"""Settings come from the environment; each case runs manage.py in a fresh process with its own environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="0")

    assert result.returncode == 1
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_production_settings_pass_the_deployment_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-long-and-random-looking-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="example.org",
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-and-random-looking-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "testserver",
}
# A request over plain http that claims, in X-Forwarded-Proto, to have come over https.
CLAIMS_HTTPS = (
    "from django.test import Client;"
    "response = Client().get('/no-such-page/', headers={'X-Forwarded-Proto': 'https'});"
    "print(response.status_code, response.get('Location'))"
)


def test_x_forwarded_proto_is_not_trusted_by_default():
    result = manage("shell", "--no-imports", "-c", CLAIMS_HTTPS, **PRODUCTION)

    assert result.stdout.split() == ["301", "https://testserver/no-such-page/"], result.stderr


def test_x_forwarded_proto_is_trusted_when_the_proxy_is_declared():
    result = manage("shell", "--no-imports", "-c", CLAIMS_HTTPS, TRUST_X_FORWARDED_PROTO="1", **PRODUCTION)

    assert result.stdout.split() == ["404", "None"], result.stderr


def test_trusting_the_proxy_passes_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", TRUST_X_FORWARDED_PROTO="1", **PRODUCTION)

    assert result.returncode == 0, result.stderr


def test_development_key_is_reported_by_the_deployment_checks():
    result = manage("check", "--deploy")

    assert "cohort.W001" in result.stderr + result.stdout


def test_database_url_selects_postgresql():
    code = (
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])"
    )
    result = manage(
        "shell", "--no-imports", "-c", code, DATABASE_URL="postgres://someone@db.example:5432/cohortops"
    )

    assert result.stdout.split() == ["cohort.project.postgresql", "cohortops"]


@pytest.mark.parametrize(("setting", "threshold"), [({}, "5"), ({"DB_PREPARED_STATEMENTS": "0"}, "None")])
def test_postgresql_prepares_statements_run_often_unless_told_not_to(setting, threshold):
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])"
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DATABASE_URL="postgres://someone@db.example:5432/cohortops",
        **setting,
    )

    assert result.stdout.split() == [threshold], result.stderr
