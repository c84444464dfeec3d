"""kill -9 of the worker evaluating a tag rule run: afterwards the tags are what the rules say, each change once."""

import random
import time
from decimal import Decimal

import pytest
from django.db.models import Count

from customers.models import (
    Customer,
    CustomerTag,
    JobStatus,
    TagKind,
    TagRuleRun,
    TagRuleRunRange,
    TimelineEvent,
    TimelineKind,
)
from customers.tagging import tasks
from customers.tagging.services import tag_create, tag_group_create, tag_rule_run_start, tag_rule_save
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.faults.support import held, lock_waiters, sweep_until, wait_until
from tests.support.celery_worker import queue_new, task_routed, worker_kill, worker_start, worker_stop

CUSTOMERS = 1200
RANGE_SIZE = 100
RICH = Decimal("600000.00")

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_range_whose_worker_was_killed_mid_write_is_evaluated_again_once(world: World) -> None:
    rng = random.Random(9)
    group = tag_group_create(code="faults", name="故障")
    rich = tag_create(group=group, code="rich", name="高净值", kind=TagKind.RULE)
    consenting = tag_create(group=group, code="consenting", name="营销授权", kind=TagKind.RULE)
    tag_rule_save(tag=rich, definition={"field": "aum", "op": "gte", "value": 500000}, actor=world.hq_admin)
    tag_rule_save(
        tag=consenting, definition={"field": "marketing_consent", "op": "eq", "value": True}, actor=world.hq_admin
    )
    owner = world.rm_sh
    created = Customer.objects.bulk_create(
        CustomerFactory.build(
            owner=owner,
            branch=owner.branch,
            aum=rng.choice([Decimal("100000.00"), RICH]),
            marketing_consent=rng.random() < 0.5,
        )
        for _ in range(CUSTOMERS)
    )
    # Yesterday's rule tags: some right, some no longer true (to be removed).
    wrong = [c for c in created[::10] if c.aum < RICH]
    right = [c for c in created[::7] if c.aum >= RICH]
    CustomerTag.objects.bulk_create(CustomerTag(customer=c, tag=rich, source=TagKind.RULE) for c in {*wrong, *right})
    # The worker will wait on this wrongly tagged customer's row half-way through the run.
    victim = next(c for c in wrong if c.pk >= created[CUSTOMERS // 2].pk)
    queue = queue_new()

    with task_routed(tasks.tag_rule_range_evaluate_task, queue):
        run = tag_rule_run_start(triggered_by=world.hq_admin, range_size=RANGE_SIZE)
    assert run.ranges_total >= 12

    with held(
        "SELECT 1 FROM customers_customertag WHERE customer_id = %s AND tag_id = %s FOR UPDATE", (victim.pk, rich.pk)
    ):
        doomed = worker_start(queue)
        wait_until(lambda: lock_waiters() > 0, timeout=30, what="a range is blocked mid-write")
        done_before = TagRuleRunRange.objects.filter(run=run, done_at__isnull=False).count()
        worker_kill(doomed)
    assert 0 < done_before < run.ranges_total

    survivor = worker_start(queue)
    try:
        time.sleep(2)
        stranded = TagRuleRunRange.objects.get(run=run, start_id__lte=victim.pk, end_id__gte=victim.pk)
        assert stranded.done_at is None  # its message died with the worker: a new worker alone does not see it
        sweep_until(
            tasks.tag_rule_run_sweep_task,
            queue,
            lambda: TagRuleRun.objects.get(pk=run.pk).status == JobStatus.SUCCEEDED,
            timeout=40,
            what="the rule run has finished",
        )
        time.sleep(0.5)  # any duplicate task still in the queue has had its chance to do harm
    finally:
        worker_stop(survivor)

    # An independent computation of what the rules say, over every customer.
    everyone = list(Customer.objects.values_list("id", "aum", "marketing_consent"))
    expected = {(pk, rich.pk) for pk, aum, _ in everyone if aum >= 500000} | {
        (pk, consenting.pk) for pk, _, consent in everyone if consent
    }
    actual = set(CustomerTag.objects.filter(tag__in=[rich, consenting]).values_list("customer_id", "tag_id"))
    assert actual == expected

    before = {(c.pk, rich.pk) for c in {*wrong, *right}}
    events = TimelineEvent.objects.filter(kind__in=[TimelineKind.TAGGED, TimelineKind.UNTAGGED], data__source="rule")
    repeated = events.values("customer_id", "kind", "data__tag").annotate(n=Count("id")).filter(n__gt=1)
    assert list(repeated) == []
    assert events.filter(kind=TimelineKind.TAGGED).count() == len(expected - before)
    assert events.filter(kind=TimelineKind.UNTAGGED).count() == len(before - expected)

    run.refresh_from_db()
    assert (run.ranges_done, run.tags_added, run.tags_removed) == (
        run.ranges_total,
        len(expected - before),
        len(before - expected),
    )
