"""The starting library a new bank gets with the demo seed."""

import pytest

from risk.compliance.demo import DEFAULT_LIBRARY, demo_compliance_library_create
from risk.compliance.matcher import content_check
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_the_starting_library_is_added_once_and_matches(world: World) -> None:
    assert demo_compliance_library_create(actor=world.hq_admin) == len(DEFAULT_LIBRARY)
    assert demo_compliance_library_create(actor=world.hq_admin) == 0

    assert {hit.entry.term for hit in content_check("这款理财保本保息，稳赚不赔")} == {"保本保息", "稳赚不赔", "稳赚"}
