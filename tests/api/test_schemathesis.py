"""Property-based checks of the whole API against its own OpenAPI schema (schemathesis, in process over WSGI).

Every operation gets generated requests as staff; no response may be a 5xx or break the documented schema.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView
from schemathesis import checks

from tests.factories import (
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)

# What the API promises: no server errors, and every answer as documented. (DRF deliberately tolerates some
# out-of-schema input, such as a non-numeric offset, so the negative-data checks are not among these.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/", app)


@pytest.fixture
def staff_token(db) -> str:
    cohort = CohortFactory()
    MentorshipFactory(mentor=MentorFactory(), scholar=ScholarFactory(cohort=cohort))
    user = UserFactory(is_staff=True, is_superuser=True)
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
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx_or_breaks_its_schema(case, staff_token, monkeypatch):
    # Views read their throttles from APIView, bound at import: many generated calls must not end in 429s.
    monkeypatch.setattr(APIView, "throttle_classes", [])
    case.call_and_validate(headers={"Authorization": f"Token {staff_token}"}, checks=CHECKS)
