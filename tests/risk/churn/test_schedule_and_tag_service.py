"""Nightly scoring is scheduled on the bulk queue, and only a model sets model tags."""

import pytest
from django.conf import settings

from customers.models import TagKind
from customers.tagging.services import customer_model_tags_set, tag_create, tag_group_create
from risk.churn.services import churn_tags_ensure
from scrm.core.exceptions import ApplicationError
from scrm.core.queues import Queue
from tests.conftest import World


def test_scoring_runs_nightly_and_its_sweep_every_minute_on_the_bulk_queue() -> None:
    nightly = settings.CELERY_BEAT_SCHEDULE["churn-scoring-nightly"]
    sweep = settings.CELERY_BEAT_SCHEDULE["churn-scoring-sweep"]

    assert nightly["task"] == "risk.churn_score_all"
    assert nightly["options"]["queue"] == Queue.BULK
    assert sweep["task"] == "risk.churn_scoring_sweep"
    assert sweep["schedule"] == 60.0


@pytest.mark.django_db
def test_the_churn_tags_are_created_once_as_model_tags_of_an_exclusive_group() -> None:
    group, tags = churn_tags_ensure()
    again, tags_again = churn_tags_ensure()

    assert group.pk == again.pk
    assert group.exclusive
    assert {band: tag.pk for band, tag in tags.items()} == {band: tag.pk for band, tag in tags_again.items()}
    assert {tag.name for tag in tags.values()} == {"流失预警·高", "流失预警·中"}
    assert {tag.kind for tag in tags.values()} == {TagKind.MODEL}


@pytest.mark.django_db
def test_model_tags_cannot_be_set_in_a_group_holding_other_kinds(world: World) -> None:
    group = tag_group_create(code="mixed", name="混合")
    manual = tag_create(group=group, code="vip", name="贵宾", kind=TagKind.MANUAL)
    customer = world.customers_rm_bj[0]

    with pytest.raises(ApplicationError):
        customer_model_tags_set(
            group=group, id_range=(customer.pk, customer.pk), customer_ids=[customer.pk], tag_ids=[manual.pk]
        )

    assert not customer.tag_links.exists()
