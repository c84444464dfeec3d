"""群发 and 朋友圈 through the outbox: a task created once per key, never twice after an unknown outcome."""

import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from channels.models import OutboundCall, OutboxStatus
from channels.outbox.services import outbox_execute, outbox_submit
from channels.wecom.gateway import wecom
from scrm.core.redis import redis_client
from wecom_sandbox.client import SandboxControl

RM = "rm_mass"

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox_corp(sandbox: SandboxControl) -> Iterator[SandboxControl]:
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    sandbox.upsert_directory(users=[{"userid": RM, "name": "钱经理", "department": [1]}])
    with override_settings(
        WECOM_API_BASE_URL=sandbox.api_base_url, WECOM_RETRY_BACKOFF_SECONDS=0.01, WECOM_HTTP_TIMEOUT_SECONDS=1.0
    ):
        yield sandbox


@pytest.fixture
def customers(sandbox_corp: SandboxControl) -> list[str]:
    return sandbox_corp.seed_contacts([{"name": f"客户{i}", "follow": [{"userid": RM}]} for i in range(4)])


def chunk_payload(external_userids: list[str], text: str = "五月理财沙龙") -> dict:
    return {
        "chat_type": "single",
        "sender": RM,
        "external_userids": external_userids,
        "text": text,
        "attachments": [],
        "not_before": int(time.time()),
    }


def unknown_then_retried(call: OutboundCall) -> OutboundCall:
    assert outbox_execute(call.pk).status == OutboxStatus.UNKNOWN
    OutboundCall.objects.filter(pk=call.pk).update(next_attempt_at=None)
    return outbox_execute(call.pk)


def test_a_chunk_creates_one_task_for_the_rm_to_confirm(sandbox_corp: SandboxControl, customers: list[str]) -> None:
    call = outbox_submit(key="chunk:1", operation="add_msg_template", payload=chunk_payload(customers), send=False)

    sent = outbox_execute(call.pk)

    assert sent.status == OutboxStatus.SUCCEEDED
    assert sent.result["fail_list"] == []
    assert [t["msgid"] for t in sandbox_corp.member_tasks(RM)["groupmsgs"]] == [sent.result["msgid"]]


def test_a_timeout_after_wecom_accepted_is_verified_by_its_recipients_not_posted_again(
    sandbox_corp: SandboxControl, customers: list[str]
) -> None:
    """Two chunks of one variant share their content: the verification tells them apart by recipients."""
    first = outbox_submit(key="chunk:a", operation="add_msg_template", payload=chunk_payload(customers[:2]), send=False)
    second = outbox_submit(
        key="chunk:b", operation="add_msg_template", payload=chunk_payload(customers[2:]), send=False
    )
    assert outbox_execute(first.pk).status == OutboxStatus.SUCCEEDED
    sandbox_corp.add_fault("externalcontact/add_msg_template", mode="apply_then_hang", seconds=3)

    finished = unknown_then_retried(second)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert finished.result["verified"] is True
    [created] = [m for m in sandbox_corp.state()["groupmsgs"].values() if m["msgid"] == finished.result["msgid"]]
    assert {r["external_userid"] for r in created["results"]} == set(customers[2:])
    assert len(sandbox_corp.calls("externalcontact/add_msg_template")) == 2


def test_a_call_that_never_reached_wecom_is_posted_after_the_verification_finds_nothing(
    sandbox_corp: SandboxControl, customers: list[str]
) -> None:
    call = outbox_submit(key="chunk:lost", operation="add_msg_template", payload=chunk_payload(customers), send=False)
    OutboundCall.objects.filter(pk=call.pk).update(status=OutboxStatus.UNKNOWN)

    finished = outbox_execute(call.pk)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert "verified" not in finished.result
    assert len(sandbox_corp.state()["groupmsgs"]) == 1


@pytest.mark.parametrize("errcode", [45009, 42001])
def test_rate_limits_and_an_expired_token_are_retried(
    sandbox_corp: SandboxControl, customers: list[str], errcode: int
) -> None:
    sandbox_corp.add_fault("externalcontact/add_msg_template", errcode=errcode)
    call = outbox_submit(
        key=f"chunk:{errcode}", operation="add_msg_template", payload=chunk_payload(customers), send=False
    )

    finished = outbox_execute(call.pk)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert len(sandbox_corp.state()["groupmsgs"]) == 1


def test_reminding_and_stopping_a_message(sandbox_corp: SandboxControl, customers: list[str]) -> None:
    msgid = wecom().add_msg_template(
        chat_type="single", sender=RM, external_userids=customers, text="提醒", attachments=[]
    )["msgid"]

    reminded = outbox_execute(
        outbox_submit(key="remind:1", operation="remind_groupmsg_send", payload={"msgid": msgid}).pk
    )
    stopped = outbox_execute(
        outbox_submit(key="cancel:1", operation="cancel_groupmsg_send", payload={"msgid": msgid}).pk
    )

    assert (reminded.status, stopped.status) == (OutboxStatus.SUCCEEDED, OutboxStatus.SUCCEEDED)
    [msg] = sandbox_corp.state()["groupmsgs"].values()
    assert [r["userids"] for r in msg["reminders"]] == [[RM]]
    assert sandbox_corp.member_tasks(RM)["groupmsgs"] == []
    assert wecom().group_msg_tasks(msgid) == [{"userid": RM, "status": 0}]


def test_results_come_back_per_recipient_after_the_rm_confirms(
    sandbox_corp: SandboxControl, customers: list[str]
) -> None:
    sent = outbox_execute(
        outbox_submit(key="chunk:r", operation="add_msg_template", payload=chunk_payload(customers), send=False).pk
    )
    sandbox_corp.customer_deletes_staff(userid=RM, external_userid=customers[0])
    sandbox_corp.confirm_groupmsg(msgid=sent.result["msgid"], userid=RM)

    results = {
        row["external_userid"]: row["status"]
        for row in wecom().group_msg_send_result(msgid=sent.result["msgid"], userid=RM)
    }

    assert results == {customers[0]: 2, customers[1]: 1, customers[2]: 1, customers[3]: 1}
    assert wecom().group_msg_tasks(sent.result["msgid"])[0]["status"] == 2


def moment_payload() -> dict:
    return {
        "text": "春季理财节",
        "attachments": [],
        "userids": [RM],
        "tag_ids": [],
        "not_before": int(time.time()),
    }


def test_a_moments_task_is_created_then_its_moment_id_comes_from_the_job(
    sandbox_corp: SandboxControl, customers: list[str]
) -> None:
    created = outbox_execute(outbox_submit(key="moment:1", operation="add_moment_task", payload=moment_payload()).pk)

    jobid = created.result["jobid"]
    first, second = wecom().moment_task_result(jobid), wecom().moment_task_result(jobid)
    moment_id = second["result"]["moment_id"]
    sandbox_corp.publish_moment(moment_id=moment_id, userid=RM)

    assert (first["status"], second["status"]) == (2, 3)
    assert wecom().moment_tasks(moment_id) == [{"userid": RM, "publish_status": 1}]
    assert sorted(wecom().moment_send_result(moment_id=moment_id, userid=RM)) == sorted(customers)


def test_a_moments_task_whose_answer_was_lost_is_found_by_its_content(
    sandbox_corp: SandboxControl, customers: list[str]
) -> None:
    sandbox_corp.add_fault("externalcontact/add_moment_task", mode="apply_then_hang", seconds=3)
    call = outbox_submit(key="moment:lost", operation="add_moment_task", payload=moment_payload(), send=False)

    finished = unknown_then_retried(call)

    [moment_id] = sandbox_corp.state()["moments"]
    assert finished.result == {"moment_id": moment_id, "verified": True}
    assert len(sandbox_corp.calls("externalcontact/add_moment_task")) == 1
    cancelled = outbox_execute(
        outbox_submit(key="moment:cancel", operation="cancel_moment_task", payload={"moment_id": moment_id}).pk
    )
    assert cancelled.status == OutboxStatus.SUCCEEDED
    assert sandbox_corp.member_tasks(RM)["moments"] == []


def test_a_chunk_none_of_whose_customers_is_still_related_is_answered_not_failed(
    sandbox_corp: SandboxControl, customers: list[str]
) -> None:
    for external_userid in customers[:2]:
        sandbox_corp.customer_deletes_staff(userid=RM, external_userid=external_userid, deliver=False)
    call = outbox_submit(
        key="chunk:gone", operation="add_msg_template", payload=chunk_payload(customers[:2]), send=False
    )

    finished = outbox_execute(call.pk)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert finished.result == {"msgid": "", "fail_list": customers[:2]}
    assert sandbox_corp.state()["groupmsgs"] == {}
