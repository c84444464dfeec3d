"""kill -9 of the worker sending an outbox batch to WeCom: every call reaches WeCom exactly once."""

import pytest

from channels.models import OutboundCall, OutboxStatus
from channels.outbox.services import outbox_submit_many
from channels.outbox.tasks import outbox_send_batch_task, outbox_sweep_task
from channels.wecom.gateway import wecom
from tests.faults.conftest import RM, Corp
from tests.faults.support import sweep_until, wait_until
from tests.support.celery_worker import queue_new, task_routed, worker_kill, worker_start, worker_stop

CALLS = 12
KILLED_AT = 6  # the sixth call takes effect at WeCom, then its answer never comes back

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_call_in_flight_when_its_worker_died_is_verified_and_the_rest_are_sent_once(corp: Corp) -> None:
    sandbox = corp.sandbox
    tag_id = corp.corp_tag()
    external_userids = corp.contacts(CALLS)
    sandbox.add_fault("externalcontact/mark_tag", mode="apply_then_hang", seconds=20, after=KILLED_AT - 1)
    queue = queue_new()
    with task_routed(outbox_send_batch_task, queue):
        ids = outbox_submit_many(
            operation="mark_tag",
            payloads={
                f"mark_tag:faults:{external_userid}": {
                    "userid": RM,
                    "external_userid": external_userid,
                    "add": [tag_id],
                }
                for external_userid in external_userids
            },
        )

    doomed = worker_start(queue, **corp.worker_env)
    try:
        wait_until(
            lambda: len(sandbox.calls("externalcontact/mark_tag")) == KILLED_AT,
            timeout=30,
            what="the batch is waiting on WeCom's answer to its sixth call",
        )
    finally:
        worker_kill(doomed)
    statuses = list(OutboundCall.objects.filter(pk__in=ids).order_by("id").values_list("status", flat=True))
    assert statuses == [OutboxStatus.SUCCEEDED] * (KILLED_AT - 1) + [OutboxStatus.IN_FLIGHT] + [
        OutboxStatus.PENDING
    ] * (CALLS - KILLED_AT)

    # The batch's message is stranded with the dead worker; the minute's outbox sweep
    # sends the pending calls and, once its lease is over, checks the one in flight.
    survivor = worker_start(queue, **corp.worker_env, WECOM_OUTBOX_LEASE_SECONDS="3")
    try:
        sweep_until(
            outbox_sweep_task,
            queue,
            lambda: not OutboundCall.objects.filter(pk__in=ids, finished_at__isnull=True).exists(),
            timeout=40,
            what="every call has finished",
        )
    finally:
        worker_stop(survivor)

    calls = sandbox.calls("externalcontact/mark_tag")
    assert sorted(call["body"]["external_userid"] for call in calls) == sorted(external_userids)
    assert {call["errcode"] for call in calls} == {0}
    finished = list(OutboundCall.objects.filter(pk__in=ids).order_by("id"))
    assert {call.status for call in finished} == {OutboxStatus.SUCCEEDED}
    assert finished[KILLED_AT - 1].result == {"tagged": True, "verified": True}
    for external_userid in external_userids:
        [follow] = wecom().external_contact(external_userid)["follow_user"]
        assert [tag["tag_id"] for tag in follow["tags"]] == [tag_id]
