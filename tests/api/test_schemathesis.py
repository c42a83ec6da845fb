"""Property-based checks of the whole API against its own OpenAPI schema (schemathesis, in process over WSGI).

Every operation gets generated requests as staff, as a mentor and as a scholar, judged by every one of
schemathesis' checks: no 5xx, every answer and status code as documented, invalid input refused, valid input
accepted. The examples are derandomized, so each run sends the same requests and a failure is reproducible.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView
from schemathesis.config import PositiveDataAcceptanceConfig

app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
# A schema-valid request may still be refused for what no schema can say: an id that names nothing, a slug
# already taken, a meeting moved into the past. Those are 400s with a field message (whose shape the other
# checks verify); any other refusal of valid data still fails.
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
)


@pytest.fixture(params=["staff", "mentor", "scholar"])
def token(request, db, world) -> str:
    user = {
        "staff": world["staff"],
        "mentor": world["a"]["mentor"].user,
        "scholar": world["a"]["scholar"].user,
    }[request.param]
    return Token.objects.create(user=user).key


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open():
    """Called straight through WSGI (not Django's test client), each request's end would close the test's
    connection, whose open transaction breaks the autocommit check; on PostgreSQL the next query then fails."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    # 17 per role: 51 requests per operation, so that each test pass stays within its time budget.
    max_examples=17,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_or_breaks_its_schema(case, token, monkeypatch, settings):
    # Views read their throttles from APIView, bound at import: many generated calls must not end in 429s.
    monkeypatch.setattr(APIView, "throttle_classes", [])
    # Nor may the failed-guess limit (tests/cohort/test_security.py tests it): schemathesis
    # checks every example with bad credentials too, and 17 examples can send more than its 30 in one window.
    settings.API_AUTH_FAILURE_LIMIT = 0
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
