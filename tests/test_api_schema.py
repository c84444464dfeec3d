"""The OpenAPI description is complete and unambiguous, and served to staff only."""

import pytest
from django.core.management import call_command

from tests.conftest import World


def test_the_schema_generates_without_warnings(tmp_path) -> None:
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/customers/tags/{code}/assign/" in target.read_text()


@pytest.mark.django_db
def test_the_schema_and_docs_are_for_staff_only(world: World, client_for) -> None:
    from django.test import Client

    assert Client().get("/api/schema/").status_code == 403
    assert client_for("rm").get("/api/schema/").status_code == 200
    assert client_for("rm").get("/api/docs/").status_code == 200
