"""WeCom applies a call and then never answers in time: the outbox's own retry does not apply it twice."""

import pytest

from channels.models import OutboundCall, OutboxStatus
from channels.outbox.services import outbox_submit
from channels.outbox.tasks import outbox_send_task
from channels.wecom.gateway import wecom
from tests.faults.conftest import RM, Corp
from tests.faults.support import wait_until
from tests.support.celery_worker import celery_worker, task_routed

# WeCom holds its answer 3 s; the worker gives up after 1 s, not knowing the call took effect.
IMPATIENT = {"WECOM_HTTP_TIMEOUT_SECONDS": "1"}

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(call_id: int) -> OutboundCall:
    wait_until(
        lambda: OutboundCall.objects.get(pk=call_id).finished_at is not None,
        timeout=30,
        what="the call has finished",
        every=0.1,
    )
    return OutboundCall.objects.get(pk=call_id)


def test_a_tag_call_that_timed_out_is_verified_with_wecom_instead_of_sent_again(corp: Corp) -> None:
    sandbox = corp.sandbox
    tag_id = corp.corp_tag()
    [contact] = corp.contacts(1)
    sandbox.add_fault("externalcontact/mark_tag", mode="apply_then_hang", seconds=3)

    with (
        celery_worker(**corp.worker_env, **IMPATIENT) as queue,
        task_routed(outbox_send_task, queue),
    ):
        call = outbox_submit(
            key=f"mark_tag:faults:{contact}",
            operation="mark_tag",
            payload={"userid": RM, "external_userid": contact, "add": [tag_id]},
        )
        call = _finished(call.pk)

    assert (call.status, call.attempts, call.result) == (OutboxStatus.SUCCEEDED, 2, {"tagged": True, "verified": True})
    assert [c["errcode"] for c in sandbox.calls("externalcontact/mark_tag")] == [0]
    [follow] = wecom().external_contact(contact)["follow_user"]
    assert [tag["tag_id"] for tag in follow["tags"]] == [tag_id]


def test_a_welcome_message_that_timed_out_is_sent_once_wecoms_used_code_answer_confirms_it(corp: Corp) -> None:
    sandbox = corp.sandbox
    way = wecom().add_contact_way(users=[RM], state="faults-welcome")
    scan = sandbox.scan(config_id=way["config_id"], customer={"name": "吴先生"}, deliver=False)
    sandbox.add_fault("externalcontact/send_welcome_msg", mode="apply_then_hang", seconds=3)

    with (
        celery_worker(**corp.worker_env, **IMPATIENT) as queue,
        task_routed(outbox_send_task, queue),
    ):
        call = outbox_submit(
            key=f"welcome:{scan['welcome_code']}",
            operation="send_welcome_msg",
            payload={"welcome_code": scan["welcome_code"], "text": "您好", "attachments": []},
        )
        call = _finished(call.pk)

    assert (call.status, call.attempts, call.result) == (OutboxStatus.SUCCEEDED, 2, {"already_applied": 41051})
    # The re-send is WeCom's own check for a single-use code: refused, so the customer got one message.
    assert [c["errcode"] for c in sandbox.calls("externalcontact/send_welcome_msg")] == [0, 41051]
    assert len(sandbox.welcome_messages(scan["external_userid"])) == 1
