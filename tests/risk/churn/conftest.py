"""A small bank with the demo's planted churn history, and a model trained on it."""

from collections.abc import Iterator

import pytest

from customers.demo_history import demo_aum_history_create
from risk.churn.models import ChurnModel
from risk.churn.services import churn_model_cache_clear, churn_model_train_and_store
from tests.conftest import World
from tests.factories import CustomerFactory

PLANTED_CUSTOMERS = 500


@pytest.fixture(autouse=True)
def loaded_models_forgotten() -> Iterator[None]:
    """Each test loads artefacts from its own storage, never from an earlier test's cache."""
    churn_model_cache_clear()
    yield
    churn_model_cache_clear()


@pytest.fixture
def planted(world: World) -> World:
    """The world's customers plus a few hundred more, with a year of history with a planted signal."""
    owners = [world.rm_bj, world.rm_bj2, world.rm_sh]
    for index in range(PLANTED_CUSTOMERS):
        CustomerFactory(owner=owners[index % 3], aum=10_000 + (index * 7919) % 400_000)
    demo_aum_history_create(seed=7)
    return world


@pytest.fixture
def trained(planted: World) -> ChurnModel:
    return churn_model_train_and_store(actor=planted.hq_admin, data_source="test")
