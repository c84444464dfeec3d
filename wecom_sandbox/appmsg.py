"""应用消息: ``message/send`` from the corp's app to its members, with WeCom's per-member limit.

WeCom takes at most 30 app messages a minute to the same member and **drops** the rest
without an error (WECOM.md §6); the sandbox does the same on its clock and records each
message with whether it was delivered, so a test can see that nothing was dropped. With
``enable_duplicate_check`` the same text to the same member within
``duplicate_check_interval`` seconds (default 1,800, at most 4 hours) is not delivered again.
"""

from __future__ import annotations

from typing import Any

from wecom_sandbox import errors as e
from wecom_sandbox.api import Call, _required, api
from wecom_sandbox.control import Ctx, route
from wecom_sandbox.errors import ControlError, WeComError
from wecom_sandbox.state import random_id

INVALID_AGENTID = 40056
INVALID_MESSAGE_TYPE = 40008
CONTENT_TOO_LONG = 45002
ALL_RECIPIENTS_INVALID = 81013
TEXT_LIMIT_BYTES = 2048
TOUSER_LIMIT = 1000
DUPLICATE_INTERVAL_DEFAULT = 1800
DUPLICATE_INTERVAL_MAX = 4 * 3600
MINUTE = 60


def _messages(call_or_ctx: Call | Ctx) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = call_or_ctx.state.data.setdefault("app_messages", [])
    return messages


@api("message/send")
def message_send(call: Call) -> dict[str, Any]:
    req = call.req
    if str(req.get("agentid", "")) != call.state.corp.agent_id:
        raise WeComError(INVALID_AGENTID, "invalid agentid")
    if req.get("msgtype") != "text":
        raise WeComError(INVALID_MESSAGE_TYPE, "the sandbox sends text app messages only")
    text = req.get("text") or {}
    content = str(text.get("content", "")) if isinstance(text, dict) else ""
    if not content:
        raise WeComError(e.EMPTY_TEXT_CONTENT, "text.content is empty")
    if len(content.encode("utf-8")) > TEXT_LIMIT_BYTES:
        raise WeComError(CONTENT_TOO_LONG, f"text.content is at most {TEXT_LIMIT_BYTES} bytes")
    touser = _required(req, "touser", e.MISSING_USERID)
    requested = list(dict.fromkeys(u for u in touser.split("|") if u))
    if touser == "@all":
        requested = sorted(u for u in call.data["users"] if call.state.active_user(u))
    if len(requested) > TOUSER_LIMIT:
        raise WeComError(e.INVALID_USERID_LIST, f"at most {TOUSER_LIMIT} touser")
    valid = [u for u in requested if call.state.active_user(u)]
    invalid = [u for u in requested if u not in valid]
    if not valid:
        raise WeComError(ALL_RECIPIENTS_INVALID, "user & party & tag all invalid")
    check_duplicates = str(req.get("enable_duplicate_check", "0")) == "1"
    try:
        interval = int(req.get("duplicate_check_interval") or DUPLICATE_INTERVAL_DEFAULT)
    except (TypeError, ValueError) as exc:
        raise WeComError(e.INVALID_PARAMETER, "duplicate_check_interval must be an integer") from exc
    interval = min(max(interval, 0), DUPLICATE_INTERVAL_MAX)
    now = call.state.now()
    limit = int(call.state.config.get("app_message_member_limit", 30))
    messages = _messages(call)
    msgid = random_id("appmsg", 24)
    for userid in valid:
        delivered = [m for m in messages if m["userid"] == userid and m["delivered"]]
        dropped = ""
        if check_duplicates and any(m["content"] == content and m["at"] > now - interval for m in delivered):
            dropped = "duplicate"
        elif sum(1 for m in delivered if m["at"] > now - MINUTE) >= limit:
            dropped = "member_limit"
        messages.append(
            {
                "msgid": msgid,
                "userid": userid,
                "content": content,
                "at": now,
                "delivered": not dropped,
                "dropped": dropped,
            }
        )
    return {"invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "", "msgid": msgid}


@route("GET", "app_messages")
def app_messages(ctx: Ctx) -> dict[str, Any]:
    """The app messages sent to a member (``?userid=``), delivered or dropped, oldest first."""
    userid = ctx.query.get("userid", "")
    if not userid:
        raise ControlError("userid is required")
    with ctx.state.lock:
        rows = [dict(m) for m in _messages(ctx) if m["userid"] == userid]
    return {"userid": userid, "messages": rows}
