"""The outbox: one send per key, and never a blind re-send after an unknown outcome."""

import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.test import override_settings

from channels.models import OutboundCall, OutboxStatus
from channels.outbox.services import outbox_due_ids, outbox_execute, outbox_submit
from channels.wecom.gateway import wecom
from scrm.core.redis import redis_client
from wecom_sandbox.client import SandboxControl

RM = "rm_outbox"

pytestmark = pytest.mark.django_db


@pytest.fixture
def wecom_at_sandbox(sandbox: SandboxControl) -> Iterator[SandboxControl]:
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    sandbox.upsert_directory(users=[{"userid": RM, "name": "周经理", "department": [1]}])
    with override_settings(
        WECOM_API_BASE_URL=sandbox.api_base_url, WECOM_RETRY_BACKOFF_SECONDS=0.01, WECOM_HTTP_TIMEOUT_SECONDS=1.0
    ):
        yield sandbox


def _corp_tag() -> str:
    group = wecom().add_corp_tags(group_name="渠道", tag_names=["网点海报"])
    return str(group["tag"][0]["id"])


def test_submitting_the_same_key_twice_queues_one_call(wecom_at_sandbox: SandboxControl) -> None:
    first = outbox_submit(key="k1", operation="remark", payload={"userid": RM}, send=False)
    second = outbox_submit(key="k1", operation="remark", payload={"userid": "other"}, send=False)

    assert first.pk == second.pk
    assert OutboundCall.objects.count() == 1
    assert second.payload == {"userid": RM}


def test_an_unknown_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown WeCom operation"):
        outbox_submit(key="k", operation="launch_rockets", payload={}, send=False)


def test_a_sent_call_is_not_sent_again(wecom_at_sandbox: SandboxControl) -> None:
    sandbox = wecom_at_sandbox
    [external_userid] = sandbox.seed_contacts([{"name": "钱女士", "follow": [{"userid": RM}]}])
    call = outbox_submit(
        key="remark:1",
        operation="remark",
        payload={"userid": RM, "external_userid": external_userid, "remark": "VIP"},
        send=False,
    )

    assert outbox_execute(call.pk).status == OutboxStatus.SUCCEEDED
    assert outbox_execute(call.pk).status == OutboxStatus.SUCCEEDED
    assert len(sandbox.calls("externalcontact/remark")) == 1


def test_after_a_timeout_the_call_is_verified_with_wecom_instead_of_resent(wecom_at_sandbox: SandboxControl) -> None:
    sandbox = wecom_at_sandbox
    tag_id = _corp_tag()
    [external_userid] = sandbox.seed_contacts([{"name": "孙先生", "follow": [{"userid": RM}]}])
    sandbox.add_fault("externalcontact/mark_tag", mode="apply_then_hang", seconds=3)
    call = outbox_submit(
        key="mark:1",
        operation="mark_tag",
        payload={"userid": RM, "external_userid": external_userid, "add": [tag_id]},
        send=False,
    )

    assert outbox_execute(call.pk).status == OutboxStatus.UNKNOWN
    call.refresh_from_db()
    call.next_attempt_at = None
    call.save()
    assert call.pk in outbox_due_ids()

    finished = outbox_execute(call.pk)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert finished.result == {"tagged": True, "verified": True}
    assert len(sandbox.calls("externalcontact/mark_tag")) == 1


def test_a_call_whose_worker_died_mid_flight_is_verified_not_resent(wecom_at_sandbox: SandboxControl) -> None:
    """A crash leaves the row in flight; once its lease is over it counts as an unknown outcome."""
    sandbox = wecom_at_sandbox
    tag_id = _corp_tag()
    [external_userid] = sandbox.seed_contacts([{"name": "周女士", "follow": [{"userid": RM, "tags": [tag_id]}]}])
    call = outbox_submit(
        key="mark:2",
        operation="mark_tag",
        payload={"userid": RM, "external_userid": external_userid, "add": [tag_id]},
        send=False,
    )
    OutboundCall.objects.filter(pk=call.pk).update(status=OutboxStatus.IN_FLIGHT, attempts=1)

    assert outbox_execute(call.pk).status == OutboxStatus.IN_FLIGHT  # still leased: left alone

    OutboundCall.objects.filter(pk=call.pk).update(updated_at="2000-01-01T00:00:00Z")
    finished = outbox_execute(call.pk)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert sandbox.calls("externalcontact/mark_tag") == []


def test_a_welcome_message_whose_outcome_was_unknown_counts_as_sent_when_wecom_says_the_code_is_used(
    wecom_at_sandbox: SandboxControl,
) -> None:
    sandbox = wecom_at_sandbox
    way = wecom().add_contact_way(users=[RM], state="s1")
    scan = sandbox.scan(config_id=way["config_id"], customer={"name": "吴先生"}, deliver=False)
    sandbox.add_fault("externalcontact/send_welcome_msg", mode="apply_then_hang", seconds=3)
    call = outbox_submit(
        key="welcome:1",
        operation="send_welcome_msg",
        payload={"welcome_code": scan["welcome_code"], "text": "您好", "attachments": []},
        send=False,
    )

    assert outbox_execute(call.pk).status == OutboxStatus.UNKNOWN
    OutboundCall.objects.filter(pk=call.pk).update(next_attempt_at=None)
    finished = outbox_execute(call.pk)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert finished.result == {"already_applied": 41051}
    assert len(sandbox.welcome_messages(scan["external_userid"])) == 1


def test_a_refused_call_fails_with_wecoms_reason_and_is_not_retried(wecom_at_sandbox: SandboxControl) -> None:
    call = outbox_submit(
        key="remark:x",
        operation="remark",
        payload={"userid": RM, "external_userid": "wm-none", "remark": "x"},
        send=False,
    )

    failed = outbox_execute(call.pk)

    assert failed.status == OutboxStatus.FAILED
    assert failed.error_code == 40096
    assert failed.pk not in outbox_due_ids()


def test_a_rate_limited_call_stays_pending_for_a_later_retry(wecom_at_sandbox: SandboxControl) -> None:
    sandbox = wecom_at_sandbox
    [external_userid] = sandbox.seed_contacts([{"name": "郑女士", "follow": [{"userid": RM}]}])
    sandbox.add_fault("externalcontact/remark", errcode=45009, times=20)
    call = outbox_submit(
        key="remark:rl",
        operation="remark",
        payload={"userid": RM, "external_userid": external_userid, "remark": "x"},
        send=False,
    )

    with override_settings(WECOM_RETRY_ATTEMPTS=1):
        pending = outbox_execute(call.pk)

    assert pending.status == OutboxStatus.PENDING
    assert pending.error_code == 45009
    assert pending.next_attempt_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_caller_arriving_while_a_peer_claims_the_call_sees_it_in_flight(wecom_at_sandbox: SandboxControl) -> None:
    call = outbox_submit(key="remark:peer", operation="remark", payload={"userid": RM}, send=False)
    claimed = threading.Event()

    def peer_claims() -> None:
        try:
            with transaction.atomic():
                OutboundCall.objects.select_for_update().filter(pk=call.pk).update(status=OutboxStatus.IN_FLIGHT)
                claimed.set()
                time.sleep(0.5)  # the claim's commit is still to come when the caller arrives
        finally:
            connection.close()

    peer = threading.Thread(target=peer_claims)
    peer.start()
    assert claimed.wait(timeout=10)
    seen = outbox_execute(call.pk)
    peer.join(timeout=10)

    assert seen.status == OutboxStatus.IN_FLIGHT
    assert wecom_at_sandbox.calls("externalcontact/remark") == []
