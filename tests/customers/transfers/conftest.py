from collections.abc import Iterator

import pytest
from django.utils import translation

from scrm.org.models import Role, Staff
from tests.conftest import World
from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def colleague(world: World) -> Staff:
    """An RM of rm_bj's own outlet (中关村网点): a customer's RM works at the customer's outlet."""
    return StaffFactory(user=UserFactory(username="rm_bj_colleague"), name="赵六", role=Role.RM, branch=world.bj_hd_1)


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """The transfer service's refusals are read in Chinese, whatever an earlier request activated."""
    with translation.override("zh-hans"):
        yield
