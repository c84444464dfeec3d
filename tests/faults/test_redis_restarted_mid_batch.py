"""Redis (broker, token store, rate budget) restarted while outbox sends and rule ranges are queued and running."""

import time
from decimal import Decimal

import pytest

from channels.models import OutboundCall, OutboxStatus
from channels.outbox.services import outbox_submit_many
from channels.outbox.tasks import outbox_send_batch_task, outbox_sweep_task
from customers.models import Customer, CustomerTag, JobStatus, TagKind, TagRuleRun
from customers.tagging import tasks as tagging_tasks
from customers.tagging.services import tag_create, tag_group_create, tag_rule_run_start, tag_rule_save
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.faults.conftest import RM, Corp
from tests.faults.support import redis_stopped, sweep_until, wait_until
from tests.support.celery_worker import queue_new, task_routed, worker_start, worker_stop

CALLS = 10
HANGING = 3  # the third call is answered 3 s late: Redis goes away while the batch waits on it

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_queued_and_running_work_completes_once_redis_is_back(world: World, corp: Corp) -> None:
    sandbox = corp.sandbox
    tag_id = corp.corp_tag()
    contacts = corp.contacts(CALLS)
    group = tag_group_create(code="faults", name="故障")
    rich = tag_create(group=group, code="rich", name="高净值", kind=TagKind.RULE)
    tag_rule_save(tag=rich, definition={"field": "aum", "op": "gte", "value": 500000}, actor=world.hq_admin)
    Customer.objects.bulk_create(
        CustomerFactory.build(owner=world.rm_sh, aum=Decimal(100000 + 200000 * (n % 5))) for n in range(300)
    )
    sandbox.add_fault("externalcontact/mark_tag", mode="apply_then_hang", seconds=3, after=HANGING - 1)
    queue = queue_new()
    with task_routed(outbox_send_batch_task, queue), task_routed(tagging_tasks.tag_rule_range_evaluate_task, queue):
        ids = outbox_submit_many(
            operation="mark_tag",
            payloads={
                f"mark_tag:faults:{contact}": {"userid": RM, "external_userid": contact, "add": [tag_id]}
                for contact in contacts
            },
            batch_size=2,
        )
        run = tag_rule_run_start(triggered_by=world.hq_admin, range_size=50)

    worker = worker_start(queue, **corp.worker_env)
    try:
        wait_until(
            lambda: len(sandbox.calls("externalcontact/mark_tag")) == HANGING,
            timeout=30,
            what="the worker waits on WeCom's answer to the third call",
        )
        with redis_stopped():
            time.sleep(4)  # the answer comes, the batch goes on without Redis
        sweep_until(
            [outbox_sweep_task, tagging_tasks.tag_rule_run_sweep_task],
            queue,
            lambda: (
                not OutboundCall.objects.filter(pk__in=ids, finished_at__isnull=True).exists()
                and TagRuleRun.objects.get(pk=run.pk).status == JobStatus.SUCCEEDED
            ),
            timeout=40,
            what="every call and the rule run have finished",
        )
    finally:
        worker_stop(worker)

    calls = sandbox.calls("externalcontact/mark_tag")
    assert sorted(call["body"]["external_userid"] for call in calls) == sorted(contacts)
    assert {call["errcode"] for call in calls} == {0}
    finished = OutboundCall.objects.filter(pk__in=ids)
    assert {call.status for call in finished} == {OutboxStatus.SUCCEEDED}
    # Nothing left Redis-less calls in doubt: none needed checking with WeCom.
    assert [call.result for call in finished if call.result.get("verified")] == []
    expected = set(Customer.objects.filter(aum__gte=500000).values_list("id", flat=True))
    assert set(CustomerTag.objects.filter(tag=rich).values_list("customer_id", flat=True)) == expected
