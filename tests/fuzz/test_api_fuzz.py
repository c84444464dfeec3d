"""Every operation of the OpenAPI schema, driven by generated input as every role: no 5xx, and
every documented answer matches the schema.

Schemathesis turns each operation's schema into a Hypothesis strategy and sends the cases
to the product in-process (WSGI), signed in as each demo role, with a CSRF token so that
writes reach the views. The number of examples per operation and role is bounded
(``SCRM_FUZZ_EXAMPLES``, default 8) so the suite stays within CI's budget; the examples
are derandomised, so a failure reproduces.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from scrm.wsgi import application
from tests.conftest import World

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SCRM_FUZZ_EXAMPLES", "8"))
ROLES = ["hq_admin", "branch_manager", "rm", "compliance"]

SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
SCHEMA.app = application
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(autouse=True)
def _connections_kept_open() -> Iterator[None]:
    """Keep the test's transaction across in-process WSGI calls, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _signed_in(world: World, role: str) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and headers of a session of ``role``, with a matching CSRF token."""
    client = Client()
    client.force_login(world.staff_for(role).user)
    token = secrets.token_hex(16)
    cookies = {
        django_settings.SESSION_COOKIE_NAME: client.cookies[django_settings.SESSION_COOKIE_NAME].value,
        django_settings.CSRF_COOKIE_NAME: token,
    }
    return cookies, {"X-CSRFToken": token}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_generated_input_makes_a_server_error(operation, role: str, world: World) -> None:
    cookies, headers = _signed_in(world, role)

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        response = case.call(cookies=cookies, headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
        case.validate_response(response, checks=[response_schema_conformance])

    run()
