import pytest

from scrm.org.models import Role, Staff
from tests.conftest import World
from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def colleague(world: World) -> Staff:
    """An RM of rm_bj's own outlet (中关村网点): a customer's RM works at the customer's outlet."""
    return StaffFactory(user=UserFactory(username="rm_bj_colleague"), name="赵六", role=Role.RM, branch=world.bj_hd_1)
