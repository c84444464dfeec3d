"""PostgreSQL goes down while WeCom posts callbacks: refused ones are retried by WeCom, stored once, handled once."""

import time

import pytest

from channels.callbacks import tasks
from channels.models import CallbackInbox, FollowRelation, InboxStatus, RelationStatus
from customers.models import TimelineEvent, TimelineKind
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory
from tests.faults.support import postgres_stopped, wait_until
from tests.support.celery_worker import celery_worker, task_routed
from wecom_sandbox.client import SandboxControl

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def product(sandbox: SandboxControl, live_server, settings):
    """The sandbox calling back the live server; WeCom's own retries are the test's to trigger."""
    config = sandbox.config()
    settings.WECOM_CORP_ID = config["corp_id"]
    settings.WECOM_CALLBACK_TOKEN = config["callback_token"]
    settings.WECOM_CALLBACK_AES_KEY = config["callback_aes_key"]
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    sandbox.configure(callback_url=f"{live_server.url}/wecom/callback/", callback_attempts=1)
    return live_server


def test_callbacks_refused_during_an_outage_are_stored_and_handled_once_when_wecom_retries(
    world: World, sandbox: SandboxControl, product
) -> None:
    rm = world.rm_bj
    sandbox.upsert_directory(users=[{"userid": rm.wecom_userid, "name": rm.name, "department": [1]}])
    contacts = sandbox.seed_contacts([{"name": f"客户{n}", "follow": [{"userid": rm.wecom_userid}]} for n in range(4)])
    for contact, customer in zip(contacts, [*world.customers_rm_bj, world.pool_customer_bj_hd_1], strict=True):
        FollowRelationFactory(contact=ExternalContactFactory(external_userid=contact, customer=customer), staff=rm)
    before, *during = contacts

    with (
        celery_worker(WECOM_API_BASE_URL=sandbox.api_base_url) as queue,
        task_routed(tasks.callback_process_task, queue),
    ):
        first = sandbox.customer_deletes_staff(userid=rm.wecom_userid, external_userid=before)
        assert first["callback"]["status"] == 200
        with postgres_stopped():
            refused = [
                sandbox.customer_deletes_staff(userid=rm.wecom_userid, external_userid=contact)["callback"]
                for contact in during
            ]
        # WeCom retries what it got no 200 for: freshly signed, or byte for byte (the refused
        # attempt released its nonce); one retry of an accepted event arrives too.
        retried = [sandbox.replay(refused[0]["id"])] + [sandbox.redeliver(callback["id"]) for callback in refused[1:]]
        again = sandbox.redeliver(refused[0]["id"])
        wait_until(
            lambda: CallbackInbox.objects.filter(status=InboxStatus.PROCESSED).count() == len(contacts),
            # The worker's retries back off while the database is away; on a loaded machine that takes a while.
            timeout=60,
            what="every event has been handled",
            every=0.1,
        )
        time.sleep(0.5)  # a duplicate task, had one been sent, has had its chance to run

    assert all(callback["status"] >= 500 and not callback["delivered"] for callback in refused)
    assert [callback["status"] for callback in [*retried, again]] == [200] * (len(during) + 1)
    inbox = list(CallbackInbox.objects.order_by("id"))
    assert len(inbox) == len(contacts)
    assert [(row.status, row.attempts) for row in inbox] == [(InboxStatus.PROCESSED, 1)] * len(contacts)
    assert sorted(row.deliveries for row in inbox) == [1, 1, 1, 2]
    assert set(FollowRelation.objects.values_list("status", flat=True)) == {RelationStatus.DELETED}
    ended = TimelineEvent.objects.filter(kind=TimelineKind.WECOM_DELETED)
    assert sorted(ended.values_list("customer_id", flat=True)) == sorted(
        c.pk for c in [*world.customers_rm_bj, world.pool_customer_bj_hd_1]
    )
