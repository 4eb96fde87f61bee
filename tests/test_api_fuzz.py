"""Schemathesis over the whole OpenAPI description: generated requests never cause a server error."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings

from liman.core.choices import Role
from liman.core.services import api_token_issue
from tests.factories import _registry_world, staff

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 8


@pytest.fixture
def connection_kept_open():
    """The WSGI handler closes "old" connections at each request's start and end; in a test that would close
    the test's own connection on PostgreSQL. Django's test client disconnects the same signals."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_generated_api_requests_cause_no_server_error(istanbul, connection_kept_open):
    _registry_world(istanbul, "Fuzz")
    user = staff(Role.CASEWORKER, istanbul)
    headers = {"Authorization": f"Token {api_token_issue(user=user, by=user)}"}
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)

    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def no_server_error(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"

        no_server_error()
        checked.append(operation.label)
    assert len(checked) >= 10, checked
