"""The WeCom calls the outbox knows how to send, and how to tell whether one already happened.

After an unknown outcome (a timeout once the request went out, or a worker that died
mid-call) a call is never re-posted blindly. ``verify`` asks WeCom whether it took
effect; where WeCom offers no such read, the call must be one WeCom itself refuses to
apply twice (``applied_errcodes`` are the answers that mean "already done").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage

from channels.wecom.errors import WeComError
from channels.wecom.gateway import WeComGateway
from scrm.core.queues import Queue

Payload = dict[str, Any]
Result = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    perform: Callable[[WeComGateway, Payload], Result]
    # The result if WeCom shows the call took effect, None if it did not.
    verify: Callable[[WeComGateway, Payload], Result | None] | None = None
    # Answers to a re-send that mean the first send succeeded.
    applied_errcodes: frozenset[int] = field(default_factory=frozenset)
    # The worker queue its sends run on: outbound sends on dispatch, so that a large send
    # never queues ahead of what races a WeCom deadline (a welcome code lives 20 s).
    queue: Queue = Queue.DISPATCH


def _send_welcome(gateway: WeComGateway, payload: Payload) -> Result:
    gateway.send_welcome_msg(
        welcome_code=payload["welcome_code"], text=payload.get("text", ""), attachments=payload.get("attachments", [])
    )
    return {"sent": True}


def _mark_tag(gateway: WeComGateway, payload: Payload) -> Result:
    gateway.mark_tag(
        userid=payload["userid"],
        external_userid=payload["external_userid"],
        add=payload.get("add", []),
        remove=payload.get("remove", []),
    )
    return {"tagged": True}


def _verify_mark_tag(gateway: WeComGateway, payload: Payload) -> Result | None:
    """Done when the member's view of the contact carries every added and no removed tag."""
    contact = gateway.external_contact(payload["external_userid"])
    for follow in contact.get("follow_user", []):
        if follow.get("userid") == payload["userid"]:
            tag_ids = {tag.get("tag_id") for tag in follow.get("tags", [])}
            if set(payload.get("add", [])) <= tag_ids and not tag_ids & set(payload.get("remove", [])):
                return {"tagged": True, "verified": True}
    return None


def _add_contact_way(gateway: WeComGateway, payload: Payload) -> Result:
    return gateway.add_contact_way(
        users=payload["users"],
        state=payload["state"],
        remark=payload.get("remark", ""),
        skip_verify=payload["skip_verify"],
    )


def _verify_add_contact_way(gateway: WeComGateway, payload: Payload) -> Result | None:
    """Look for a contact way created in the last day carrying this call's unique state."""
    end = int(time.time())
    for config_id in gateway.contact_way_ids(start_time=end - 86_400, end_time=end + 60):
        way = gateway.contact_way(config_id)
        if way.get("state") == payload["state"]:
            return {"config_id": config_id, "qr_code": way.get("qr_code", ""), "verified": True}
    return None


def _update_contact_way(gateway: WeComGateway, payload: Payload) -> Result:
    gateway.update_contact_way(
        config_id=payload["config_id"],
        users=payload["users"],
        state=payload["state"],
        skip_verify=payload["skip_verify"],
    )
    return {"updated": True}


def _delete_contact_way(gateway: WeComGateway, payload: Payload) -> Result:
    gateway.delete_contact_way(payload["config_id"])
    return {"deleted": True}


def _transfer(gateway: WeComGateway, payload: Payload) -> Result:
    errcodes = gateway.transfer_customers(
        handover_userid=payload["handover_userid"],
        takeover_userid=payload["takeover_userid"],
        external_userids=payload["external_userids"],
        resigned=payload["resigned"],
    )
    return {"errcodes": errcodes}


def _verify_transfer(gateway: WeComGateway, payload: Payload) -> Result | None:
    """A transfer WeCom knows about has a status for each customer in transfer_result."""
    statuses = gateway.transfer_results(
        handover_userid=payload["handover_userid"],
        takeover_userid=payload["takeover_userid"],
        resigned=payload["resigned"],
    )
    if all(external_userid in statuses for external_userid in payload["external_userids"]):
        return {"errcodes": dict.fromkeys(payload["external_userids"], 0), "verified": True}
    return None


def _remark(gateway: WeComGateway, payload: Payload) -> Result:
    gateway.remark(
        userid=payload["userid"],
        external_userid=payload["external_userid"],
        remark=payload.get("remark"),
        description=payload.get("description"),
    )
    return {"remarked": True}


def _add_corp_tags(gateway: WeComGateway, payload: Payload) -> Result:
    return gateway.add_corp_tags(group_name=payload["group_name"], tag_names=payload["tag_names"])


def _verify_add_corp_tags(gateway: WeComGateway, payload: Payload) -> Result | None:
    """Done when every tag name already exists in the group."""
    for group in gateway.corp_tag_groups():
        if group.get("group_name") == payload["group_name"]:
            tags = [tag for tag in group.get("tag", []) if tag.get("name") in payload["tag_names"]]
            if len(tags) == len(payload["tag_names"]):
                return {**group, "tag": tags, "verified": True}
    return None


# How far before a call's first attempt a verification looks for what it created: the
# payload's ``not_before`` is set when the call is planned, and clocks differ a little.
VERIFY_CLOCK_SLACK_SECONDS = 300


def _window(payload: Payload) -> tuple[int, int]:
    return int(payload["not_before"]) - VERIFY_CLOCK_SLACK_SECONDS, int(time.time()) + VERIFY_CLOCK_SLACK_SECONDS


def _same_content(found: dict[str, Any], payload: Payload) -> bool:
    """WeCom lists a message's text and attachments as they were posted."""
    text = (found.get("text") or {}).get("content", "")
    return bool(text == payload.get("text", "") and found.get("attachments", []) == payload.get("attachments", []))


# WeCom's "no valid customer to send": none of the chunk is still the sender's customer.
NO_CUSTOMER_TO_SEND = 41048


def _add_msg_template(gateway: WeComGateway, payload: Payload) -> Result:
    """The task; a chunk none of whose customers is still related to the sender creates none.

    That is an answer, not a failure: every recipient is in the ``fail_list`` (not a
    friend) and there is no ``msgid``.
    """
    try:
        return gateway.add_msg_template(
            chat_type=payload["chat_type"],
            sender=payload["sender"],
            external_userids=payload.get("external_userids", []),
            chat_ids=payload.get("chat_ids", []),
            text=payload.get("text", ""),
            attachments=payload.get("attachments", []),
        )
    except WeComError as error:
        if error.errcode != NO_CUSTOMER_TO_SEND:
            raise
        # For groups: none of the chunk's groups is still the sender's own live group.
        return {"msgid": "", "fail_list": list(payload.get("external_userids") or payload.get("chat_ids", []))}


def _verify_add_msg_template(gateway: WeComGateway, payload: Payload) -> Result | None:
    """The sender's message of the window with this content and exactly these recipients (customers or groups).

    Content alone is not enough: the chunks of one campaign variant share their content and
    differ only in their recipients.
    """
    start, end = _window(payload)
    groups = payload["chat_type"] == "group"
    wanted = set(payload.get("chat_ids" if groups else "external_userids", []))
    for found in gateway.group_msgs(
        creator=payload["sender"], start_time=start, end_time=end, chat_type=payload["chat_type"]
    ):
        if not _same_content(found, payload):
            continue
        results = gateway.group_msg_send_result(msgid=found["msgid"], userid=payload["sender"])
        recipients = {row.get("chat_id" if groups else "external_userid", "") for row in results}
        # The chunks of a send are disjoint, so a message of this content whose recipients are
        # all in this chunk is this chunk's; the rest of the chunk was WeCom's fail_list. A group
        # message naming no chat ids goes to all the sender's groups.
        if recipients and (recipients <= wanted or (groups and not wanted)):
            return {"msgid": found["msgid"], "fail_list": sorted(wanted - recipients), "verified": True}
    return None


def _remind_group_msg(gateway: WeComGateway, payload: Payload) -> Result:
    gateway.remind_group_msg(payload["msgid"])
    return {"reminded": True}


def _cancel_group_msg(gateway: WeComGateway, payload: Payload) -> Result:
    gateway.cancel_group_msg(payload["msgid"])
    return {"cancelled": True}


def _add_moment_task(gateway: WeComGateway, payload: Payload) -> Result:
    jobid = gateway.add_moment_task(
        text=payload.get("text", ""),
        attachments=payload.get("attachments", []),
        userids=payload["userids"],
        tag_ids=payload.get("tag_ids", []),
    )
    return {"jobid": jobid}


def _verify_add_moment_task(gateway: WeComGateway, payload: Payload) -> Result | None:
    """A company moment of the window with this content: its id stands in for the lost jobid."""
    start, end = _window(payload)
    for found in gateway.moments(start_time=start, end_time=end):
        text = (found.get("text") or {}).get("content", "")
        if text == payload.get("text", "") and _moment_media(found) == _moment_media(payload):
            return {"moment_id": found["moment_id"], "verified": True}
    return None


def _moment_media(moment: dict[str, Any]) -> list[str]:
    """The media ids of a moment as posted (attachments) or as WeCom lists it (image, video, link)."""
    if "attachments" in moment:
        return [a[a["msgtype"]].get("media_id", "") for a in moment["attachments"] if a.get("msgtype") != "link"]
    media = [image["media_id"] for image in moment.get("image", [])]
    if moment.get("video"):
        media.append(moment["video"]["media_id"])
    return media


def _cancel_moment_task(gateway: WeComGateway, payload: Payload) -> Result:
    gateway.cancel_moment_task(payload["moment_id"])
    return {"cancelled": True}


def _upload_media(gateway: WeComGateway, payload: Payload) -> Result:
    """Upload a stored file as temporary media: the payload names it, the bytes come from storage.

    With ``attachment_type`` it goes through media/upload_attachment (moments), otherwise
    media/upload. The result carries WeCom's ``media_id`` and ``created_at``.
    """
    with default_storage.open(payload["storage_name"], "rb") as stored:
        content = stored.read()
    arguments = {
        "media_type": payload["media_type"],
        "file_name": payload["file_name"],
        "content": content,
        "content_type": payload.get("content_type") or "application/octet-stream",
    }
    if payload.get("attachment_type"):
        return gateway.upload_attachment(**arguments, attachment_type=int(payload["attachment_type"]))
    return gateway.upload_media(**arguments)


def _send_app_message(gateway: WeComGateway, payload: Payload) -> Result:
    return gateway.send_app_message(touser=payload["touser"], text=payload["text"])


OPERATIONS: dict[str, Operation] = {
    "add_corp_tags": Operation(perform=_add_corp_tags, verify=_verify_add_corp_tags),
    # A welcome code is single-use: WeCom answers a second send with 41051.
    "send_welcome_msg": Operation(perform=_send_welcome, applied_errcodes=frozenset({41051}), queue=Queue.REALTIME),
    "mark_tag": Operation(perform=_mark_tag, verify=_verify_mark_tag),
    "add_contact_way": Operation(perform=_add_contact_way, verify=_verify_add_contact_way),
    # Setting the same users and state twice leaves the same contact way: safe to repeat.
    "update_contact_way": Operation(perform=_update_contact_way, verify=lambda _gateway, _payload: None),
    "delete_contact_way": Operation(
        perform=_delete_contact_way, verify=lambda _gateway, _payload: None, applied_errcodes=frozenset({41054, 40058})
    ),
    "transfer_customers": Operation(perform=_transfer, verify=_verify_transfer),
    "remark": Operation(perform=_remark, verify=lambda _gateway, _payload: None),
    # 群发 and 朋友圈: creating a task twice would ask the RM to send twice, so an unknown
    # outcome is looked up first. Reminding or stopping again is harmless.
    "add_msg_template": Operation(perform=_add_msg_template, verify=_verify_add_msg_template),
    "remind_groupmsg_send": Operation(perform=_remind_group_msg, verify=lambda _gateway, _payload: None),
    "cancel_groupmsg_send": Operation(perform=_cancel_group_msg, verify=lambda _gateway, _payload: None),
    "add_moment_task": Operation(perform=_add_moment_task, verify=_verify_add_moment_task),
    "cancel_moment_task": Operation(perform=_cancel_moment_task, verify=lambda _gateway, _payload: None),
    # An upload WeCom may or may not have received is simply made again: it only costs
    # a second media_id, which WeCom forgets after three days anyway. Realtime, because an
    # RM in a chat waits for it.
    "upload_media": Operation(perform=_upload_media, verify=lambda _gateway, _payload: None, queue=Queue.REALTIME),
    # An app message is sent with WeCom's duplicate check: sending it again after an
    # unknown outcome delivers nothing twice within half an hour.
    "message_send": Operation(perform=_send_app_message, verify=lambda _gateway, _payload: None),
}
