"""Decrypted callback events, parsed into types the handlers can rely on.

wechatpy 1.8.18 parses generic app events but not the customer-contact ones, so they
are read here. Both envelopes WeCom uses are accepted: a self-built app's
(``<MsgType>event</MsgType><Event>change_external_contact</Event>``) and a third-party
suite's (``<InfoType>change_external_contact</InfoType>``). Unknown change types and
scene codes are kept, not rejected: WeCom adds them over time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import xmltodict


class EventParseError(ValueError):
    """The decrypted body is not a WeCom event."""


@dataclass(frozen=True)
class WeComEvent:
    """Any message WeCom posts. ``event`` is empty for a plain message (``msg_type`` text, image…)."""

    event: str
    change_type: str
    msg_type: str
    create_time: int
    corp_id: str
    raw: dict[str, str]


@dataclass(frozen=True)
class ExternalContactEvent(WeComEvent):
    """change_external_contact: add / add_half / edit / del_external_contact / del_follow_user / transfer_fail."""

    user_id: str
    external_user_id: str
    state: str
    welcome_code: str
    # del_external_contact: DELETE_BY_TRANSFER when a transfer removed the old relation.
    source: str
    # transfer_fail: customer_refused | customer_limit_exceed
    fail_reason: str


@dataclass(frozen=True)
class ExternalChatEvent(WeComEvent):
    """change_external_chat: create / update (UpdateDetail says what) / dismiss."""

    chat_id: str
    update_detail: str
    join_scene: int | None
    quit_scene: int | None
    member_change_count: int | None


@dataclass(frozen=True)
class ExternalTagEvent(WeComEvent):
    """change_external_tag: create / update / delete / shuffle of a corp tag or tag group."""

    tag_id: str
    tag_type: str


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_event(xml: str | bytes) -> WeComEvent:
    """The typed event in a decrypted callback body."""
    try:
        document: Any = xmltodict.parse(xml)
    except Exception as error:  # expat raises several types; all mean "not XML"
        raise EventParseError(f"not an XML event: {error}") from error
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise EventParseError("the event has no <xml> root")
    fields = {key: "" if value is None else str(value) for key, value in root.items() if not isinstance(value, dict)}
    event = fields.get("Event") or fields.get("InfoType") or ""
    msg_type = fields.get("MsgType", "")
    if not event and not msg_type:
        raise EventParseError("the message names neither Event, InfoType nor MsgType")
    base: dict[str, Any] = {
        "event": event,
        "change_type": fields.get("ChangeType", ""),
        "msg_type": msg_type,
        "create_time": _int(fields.get("CreateTime") or fields.get("TimeStamp", "")) or 0,
        "corp_id": fields.get("ToUserName") or fields.get("AuthCorpId", ""),
        "raw": fields,
    }
    if event == "change_external_contact":
        return ExternalContactEvent(
            **base,
            user_id=fields.get("UserID", ""),
            external_user_id=fields.get("ExternalUserID", ""),
            state=fields.get("State", ""),
            welcome_code=fields.get("WelcomeCode", ""),
            source=fields.get("Source", ""),
            fail_reason=fields.get("FailReason", ""),
        )
    if event == "change_external_chat":
        return ExternalChatEvent(
            **base,
            chat_id=fields.get("ChatId", ""),
            update_detail=fields.get("UpdateDetail", ""),
            join_scene=_int(fields.get("JoinScene", "")),
            quit_scene=_int(fields.get("QuitScene", "")),
            member_change_count=_int(fields.get("MemChangeCnt", "")),
        )
    if event == "change_external_tag":
        return ExternalTagEvent(**base, tag_id=fields.get("Id", ""), tag_type=fields.get("TagType", ""))
    return WeComEvent(**base)


def message_type(event: WeComEvent | None) -> str:
    """A short label of what kind of message this is, for logs and the inbox: ``event/change`` or ``msg:text``."""
    if event is None:
        return "unparsed"
    if event.event:
        return f"{event.event}/{event.change_type}" if event.change_type else event.event
    return f"msg:{event.msg_type}"
