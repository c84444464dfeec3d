"""The sandbox corp campaign dispatch tests send to: the world's RMs and customers, related there and here."""

from collections.abc import Iterator

import pytest
from django.test import override_settings

from customers.models import Customer
from scrm.core.redis import redis_client
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory
from wecom_sandbox.client import SandboxControl


@pytest.fixture
def corp(sandbox: SandboxControl, world: World) -> Iterator[SandboxControl]:
    """The world's RMs and customers in the sandbox, related as in the product's database."""
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    rms = [world.rm_bj, world.rm_bj2, world.rm_sh]
    Customer.objects.update(marketing_consent=True)
    sandbox.upsert_directory(users=[{"userid": rm.wecom_userid, "name": rm.name, "department": [1]} for rm in rms])
    for rm, customers in (
        (world.rm_bj, world.customers_rm_bj),
        (world.rm_bj2, world.customers_rm_bj2),
        (world.rm_sh, world.customers_rm_sh),
    ):
        ids = sandbox.seed_contacts(
            [{"name": f"客户{c.pk}", "follow": [{"userid": rm.wecom_userid}]} for c in customers]
        )
        for customer, external_userid in zip(customers, ids, strict=True):
            contact = ExternalContactFactory(customer=customer, external_userid=external_userid)
            FollowRelationFactory(contact=contact, staff=rm)
    with override_settings(
        WECOM_API_BASE_URL=sandbox.api_base_url, WECOM_RETRY_BACKOFF_SECONDS=0.01, WECOM_HTTP_TIMEOUT_SECONDS=1.0
    ):
        yield sandbox
