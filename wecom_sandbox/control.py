"""The control API under ``/sandbox/``: set the world up, move its clock, make people act.

Not part of WeCom. Tests and the product's demo pages use it (through
``wecom_sandbox.client.SandboxControl``) to do what people would do in the WeCom
client: a customer scans a QR code, an RM deletes a customer, confirms a mass send, a
customer refuses a transfer. Each simulation changes the state and sends the callback
WeCom would send; ``"deliver": false`` logs the callback without sending it, as if
WeCom had dropped it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wecom_sandbox import api as wecom
from wecom_sandbox import archive, media, moments
from wecom_sandbox.callbacks import CallbackSender, PendingEvent, RawXml, event_xml
from wecom_sandbox.errors import ControlError, WeComError
from wecom_sandbox.state import SandboxState, random_id

TUNABLE_KEYS = {
    "callback_url": str,
    "token_ttl": int,
    "rate_limit_per_minute": int,
    "rate_limits": dict,
    "callback_timeout": float,
    "callback_attempts": int,
    "callback_retry_delay": float,
    "welcome_code_ttl": int,
    "oauth_code_ttl": int,
    "groupmsg_daily_quota": int,
    "groupmsg_monthly_quota": int,
    "groupmsg_remind_limit": int,
    "corp_tag_limit": int,
    "contact_way_user_limit": int,
    "media_ttl": int,
    "app_message_member_limit": int,
}
JOIN_SCENES = {0, 1, 2, 3}
DELETE_BY_TRANSFER = "DELETE_BY_TRANSFER"
ADD_WAY_QR = 1
ADD_WAY_ASSIGNED = 202  # 管理员/负责人分配: how a transferred customer arrives


@dataclass
class Ctx:
    state: SandboxState
    sender: CallbackSender
    body: dict[str, Any]
    query: dict[str, str]
    events: list[PendingEvent] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def need(self, key: str) -> Any:
        value = self.body.get(key)
        if value is None or value == "":
            raise ControlError(f"{key} is required")
        return value

    def deliver(self) -> bool:
        return bool(self.body.get("deliver", True))

    def send(self) -> list[dict[str, Any]]:
        return self.sender.send_all(self.events, deliver=self.deliver())


Route = Callable[[Ctx], Any]
ROUTES: dict[tuple[str, str], Route] = {}


def route(method: str, path: str) -> Callable[[Route], Route]:
    def register(fn: Route) -> Route:
        ROUTES[(method, path)] = fn
        return fn

    return register


# --- events -----------------------------------------------------------------------------


def _contact_event(ctx: Ctx, change_type: str, userid: str, external_userid: str, **extra: str | None) -> None:
    fields: list[tuple[str, str | int | None]] = [
        ("ChangeType", change_type),
        ("UserID", userid),
        ("ExternalUserID", external_userid),
    ]
    fields += list(extra.items())
    xml = event_xml(
        corp_id=ctx.state.corp.corp_id,
        create_time=ctx.state.now_int(),
        event="change_external_contact",
        fields=fields,
    )
    ctx.events.append(PendingEvent(xml, event="change_external_contact", change_type=change_type))


def _chat_event(ctx: Ctx, change_type: str, chat_id: str, **extra: str | int | None) -> None:
    fields: list[tuple[str, str | int | None]] = [("ChatId", chat_id), ("ChangeType", change_type)]
    fields += list(extra.items())
    xml = event_xml(
        corp_id=ctx.state.corp.corp_id, create_time=ctx.state.now_int(), event="change_external_chat", fields=fields
    )
    ctx.events.append(PendingEvent(xml, event="change_external_chat", change_type=change_type))


def _tag_event(ctx: Ctx, change_type: str, item_id: str, tag_type: str) -> None:
    fields: list[tuple[str, str | int | None]] = [("Id", item_id), ("TagType", tag_type), ("ChangeType", change_type)]
    xml = event_xml(
        corp_id=ctx.state.corp.corp_id, create_time=ctx.state.now_int(), event="change_external_tag", fields=fields
    )
    ctx.events.append(PendingEvent(xml, event="change_external_tag", change_type=change_type))


# --- setup: reset, state, config, clock, tokens, directory, faults, logs ----------------------


@route("POST", "reset")
def reset(ctx: Ctx) -> dict[str, Any]:
    ctx.state.reset()
    return {"ok": True}


def _copy(value: Any) -> Any:
    """A deep copy taken under the lock: the answer is serialised after the lock is released."""
    return json.loads(json.dumps(value))


@route("GET", "state")
def dump_state(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.lock:
        return {**_copy(ctx.data), "now": ctx.state.now()}


@route("GET", "config")
def get_config(ctx: Ctx) -> dict[str, Any]:
    corp = ctx.state.corp
    return {
        "corp_id": corp.corp_id,
        "corp_secret": corp.corp_secret,
        "agent_id": corp.agent_id,
        "callback_token": corp.callback_token,
        "callback_aes_key": corp.callback_aes_key,
        "public_url": corp.public_url,
        **ctx.state.config,
    }


@route("POST", "config")
def set_config(ctx: Ctx) -> dict[str, Any]:
    unknown = set(ctx.body) - set(TUNABLE_KEYS)
    if unknown:
        raise ControlError(f"unknown settings: {sorted(unknown)}; known: {sorted(TUNABLE_KEYS)}")
    with ctx.state.mutate() as data:
        for key, value in ctx.body.items():
            kind = TUNABLE_KEYS[key]
            try:
                data["config"][key] = {k: int(v) for k, v in value.items()} if kind is dict else kind(value)
            except (TypeError, ValueError, AttributeError) as exc:
                raise ControlError(f"{key} must be a {kind.__name__}") from exc
    return get_config(ctx)


@route("GET", "clock")
def get_clock(ctx: Ctx) -> dict[str, Any]:
    return {"now": ctx.state.now(), "offset": ctx.data["clock_offset"]}


@route("POST", "clock")
def advance_clock(ctx: Ctx) -> dict[str, Any]:
    try:
        seconds = float(ctx.need("advance_seconds"))
    except ValueError as exc:
        raise ControlError("advance_seconds must be a number") from exc
    if seconds < 0:
        raise ControlError("the clock only moves forward")
    with ctx.state.mutate() as data:
        data["clock_offset"] = float(data["clock_offset"]) + seconds
    return get_clock(ctx)


@route("POST", "tokens/expire")
def expire_tokens(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.mutate() as data:
        now = ctx.state.now()
        expired = [t for t, x in data["tokens"].items() if x > now]
        for token in expired:
            data["tokens"][token] = now - 1
    return {"expired": len(expired)}


@route("POST", "users")
def upsert_users(ctx: Ctx) -> dict[str, Any]:
    users, departments = ctx.body.get("users", []), ctx.body.get("departments", [])
    if not isinstance(users, list) or not isinstance(departments, list):
        raise ControlError("users and departments are lists")
    for user in users:
        if not isinstance(user, dict) or not user.get("userid"):
            raise ControlError("every user needs a userid")
        if int(user.get("status", 1)) not in (1, 2, 4, 5):
            raise ControlError("status is 1 (active), 2 (disabled), 4 (not activated) or 5 (departed)")
    for dept in departments:
        if not isinstance(dept, dict) or dept.get("id") in (None, ""):
            raise ControlError("every department needs an id")
    return ctx.state.upsert_directory(departments=departments, users=users)


@route("POST", "contacts")
def seed_contacts(ctx: Ctx) -> dict[str, Any]:
    """Bulk-create customers and their follow relations without callbacks (demo data, sync tests)."""
    contacts = ctx.need("contacts")
    created = []
    with ctx.state.mutate() as data:
        for raw in contacts:
            contact = _upsert_contact(ctx, raw)
            for follow in raw.get("follow", []):
                userid = str(follow["userid"])
                if ctx.state.active_user(userid) is None:
                    raise ControlError(f"unknown or departed user {userid}")
                for tag_id in follow.get("tags", []):
                    if tag_id not in data["tags"]:
                        raise ControlError(f"unknown tag {tag_id}")
                row = _new_follow(ctx, userid, contact["external_userid"], state=str(follow.get("state", "")))
                row.update(
                    remark=str(follow.get("remark", "")),
                    description=str(follow.get("description", "")),
                    remark_mobiles=[str(m) for m in follow.get("remark_mobiles", [])],
                    tag_ids=list(follow.get("tags", [])),
                    createtime=int(follow.get("createtime", row["createtime"])),
                    add_way=int(follow.get("add_way", ADD_WAY_QR)),
                )
            created.append(contact["external_userid"])
    return {"external_userids": created}


@route("GET", "faults")
def list_faults(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.state.lock:
        return _copy(ctx.data["faults"])


@route("POST", "faults")
def add_fault(ctx: Ctx) -> dict[str, Any]:
    api_name = str(ctx.need("api")).strip("/")
    mode = str(ctx.body.get("mode") or "error")
    times = int(ctx.body.get("times", 1))
    if mode not in ("error", "apply_then_hang"):
        raise ControlError("mode is error or apply_then_hang")
    if mode == "error" and not ctx.body.get("errcode"):
        raise ControlError("an error fault needs an errcode")
    if times < 1:
        raise ControlError("times must be at least 1")
    after = int(ctx.body.get("after", 0))
    if after < 0:
        raise ControlError("after must not be negative")
    fault = {
        "api": api_name,
        "mode": mode,
        "errcode": int(ctx.body.get("errcode") or 0),
        "seconds": float(ctx.body.get("seconds", 6.0)),
        "times": times,
        # Calls to let through untouched before the fault starts (to hit the middle of a batch).
        "after": after,
    }
    with ctx.state.mutate() as data:
        data["faults"].append(fault)
    return fault


@route("DELETE", "faults")
def clear_faults(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.mutate() as data:
        data["faults"].clear()
    return {"ok": True}


@route("GET", "calls")
def calls(ctx: Ctx) -> list[dict[str, Any]]:
    wanted = ctx.query.get("api")
    with ctx.state.lock:
        return _copy([c for c in ctx.state.calls if not wanted or c["api"] == wanted.strip("/")])


@route("GET", "callbacks")
def callbacks(ctx: Ctx) -> list[dict[str, Any]]:
    change_type, event = ctx.query.get("change_type"), ctx.query.get("event")
    with ctx.state.lock:
        return _copy(
            [
                c
                for c in ctx.data["callbacks"]
                if (not change_type or c["change_type"] == change_type) and (not event or c["event"] == event)
            ]
        )


def callback_action(ctx: Ctx, number: int, action: str) -> dict[str, Any]:
    if action == "redeliver":
        return ctx.sender.redeliver(number)
    if action == "replay":
        return ctx.sender.replay(number)
    raise ControlError(f"unknown callback action {action}", status=404)


# --- customers: scan, delete, edit ------------------------------------------------------------


def _upsert_contact(ctx: Ctx, raw: dict[str, Any]) -> dict[str, Any]:
    """Find the customer (by external_userid, then unionid) or create one."""
    contacts = ctx.data["contacts"]
    external_userid = str(raw.get("external_userid") or "")
    unionid = str(raw.get("unionid") or "")
    contact = contacts.get(external_userid) if external_userid else None
    if contact is None and unionid:
        contact = next((c for c in contacts.values() if c.get("unionid") == unionid), None)
    if contact is None:
        if not raw.get("name"):
            raise ControlError("a new customer needs a name")
        contact = {
            "external_userid": external_userid or random_id("wm", 26),
            "name": str(raw["name"]),
            "type": 1,
            "avatar": str(raw.get("avatar") or ""),
            "gender": int(raw.get("gender") or 0),
            "unionid": unionid,
        }
        contacts[contact["external_userid"]] = contact
    return contact


def _new_follow(ctx: Ctx, userid: str, external_userid: str, *, state: str, half: bool = False) -> dict[str, Any]:
    follow = {
        "userid": userid,
        "external_userid": external_userid,
        "remark": "",
        "description": "",
        "createtime": ctx.state.now_int(),
        "tag_ids": [],
        "remark_corp_name": "",
        "remark_mobiles": [],
        "add_way": ADD_WAY_QR,
        "oper_userid": external_userid,  # the customer scanned, so the customer acted
        "state": state,
        "half": half,
    }
    ctx.data["follows"][f"{userid}|{external_userid}"] = follow
    return follow


def _issue_welcome_code(ctx: Ctx, userid: str, external_userid: str) -> str:
    code = random_id("", 43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    ctx.data["welcome_codes"][code] = {
        "userid": userid,
        "external_userid": external_userid,
        "issued_at": ctx.state.now(),
        "used": False,
    }
    return code


def _way_for_scan(ctx: Ctx) -> dict[str, Any]:
    ways = ctx.data["contact_ways"]
    if ctx.body.get("config_id"):
        way = ways.get(str(ctx.body["config_id"]))
        if way is None:
            raise ControlError(f"no contact way {ctx.body['config_id']}", status=404)
        return way
    state = str(ctx.need("state"))
    matches = sorted((w for w in ways.values() if w["state"] == state), key=lambda w: w["create_time"])
    if not matches:
        raise ControlError(f"no contact way with state {state!r}", status=404)
    return matches[0]


def scan(state: SandboxState, sender: CallbackSender, body: dict[str, Any]) -> dict[str, Any]:
    """A customer scans a 「联系我」 code: shared by the control API and the scan page."""
    ctx = Ctx(state=state, sender=sender, body=body, query={})
    return _scan(ctx)


@route("POST", "simulate/scan")
def _scan(ctx: Ctx) -> dict[str, Any]:
    customer = ctx.body.get("customer") or {}
    if not isinstance(customer, dict):
        raise ControlError("customer is an object")
    half = bool(ctx.body.get("half", False))
    with ctx.state.mutate() as data:
        way = _way_for_scan(ctx)
        if way["is_temp"] and way.get("used"):
            raise ControlError("this temporary contact way has been used", status=410)
        staff = wecom.contact_way_users(ctx.state, way)
        if not staff:
            raise ControlError("the contact way has no active staff", status=409)
        contact = _upsert_contact(ctx, customer)
        external_userid = contact["external_userid"]
        # Prefer a staff member the customer has not added yet, in the way's rotation order.
        turn = int(data["rotation"].get(way["config_id"], 0))
        order = staff[turn % len(staff) :] + staff[: turn % len(staff)]
        userid = next((u for u in order if not _full_follow(ctx, u, external_userid)), None)
        if userid is None:
            raise ControlError("the customer is already a contact of every staff member of this way", status=409)
        data["rotation"][way["config_id"]] = turn + 1
        existing = ctx.state.follow(userid, external_userid)
        code: str | None
        if existing is not None:  # a half add becoming a full add
            existing["half"] = False
            spent = any(
                c["used"]
                for c in data["welcome_codes"].values()
                if c["userid"] == userid and c["external_userid"] == external_userid
            )
            code = None if spent else _issue_welcome_code(ctx, userid, external_userid)
        else:
            _new_follow(ctx, userid, external_userid, state=way["state"], half=half)
            code = _issue_welcome_code(ctx, userid, external_userid)
        if way["is_temp"]:
            way["used"] = True
        # The member's chat with the new customer opens, as it does in the WeCom client:
        # the sidebar's getCurExternalContact then names this customer (the demo relies on it).
        data["current_chat"][userid] = external_userid
        change_type = "add_half_external_contact" if half else "add_external_contact"
        _contact_event(ctx, change_type, userid, external_userid, State=way["state"] or None, WelcomeCode=code)
    [delivery] = ctx.send()
    return {
        "external_userid": external_userid,
        "userid": userid,
        "welcome_code": code,
        "config_id": way["config_id"],
        "callback": delivery,
    }


def _full_follow(ctx: Ctx, userid: str, external_userid: str) -> bool:
    follow = ctx.state.follow(userid, external_userid)
    return follow is not None and not follow.get("half")


def _existing_follow(ctx: Ctx) -> dict[str, Any]:
    userid, external_userid = str(ctx.need("userid")), str(ctx.need("external_userid"))
    follow = ctx.state.follow(userid, external_userid)
    if follow is None:
        raise ControlError(f"{external_userid} is not a contact of {userid}", status=404)
    return follow


def _remove_follow(ctx: Ctx, follow: dict[str, Any]) -> None:
    del ctx.data["follows"][f"{follow['userid']}|{follow['external_userid']}"]
    if ctx.data["current_chat"].get(follow["userid"]) == follow["external_userid"]:
        del ctx.data["current_chat"][follow["userid"]]


@route("POST", "simulate/customer_deletes_staff")
def customer_deletes_staff(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.mutate():
        follow = _existing_follow(ctx)
        _remove_follow(ctx, follow)
        _contact_event(ctx, "del_follow_user", follow["userid"], follow["external_userid"])
    return {"callback": ctx.send()[0]}


@route("POST", "simulate/staff_deletes_customer")
def staff_deletes_customer(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.mutate():
        follow = _existing_follow(ctx)
        _remove_follow(ctx, follow)
        # WeCom sets Source only for DELETE_BY_TRANSFER; an RM's own deletion carries none.
        _contact_event(ctx, "del_external_contact", follow["userid"], follow["external_userid"])
    return {"callback": ctx.send()[0]}


@route("POST", "simulate/edit_contact")
def edit_contact(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.mutate():
        follow = _existing_follow(ctx)
        for key in ("remark", "description"):
            if key in ctx.body:
                follow[key] = str(ctx.body[key])
        if "remark_mobiles" in ctx.body:
            follow["remark_mobiles"] = [str(m) for m in ctx.body["remark_mobiles"]]
        _contact_event(ctx, "edit_external_contact", follow["userid"], follow["external_userid"])
    return {"callback": ctx.send()[0]}


# --- mass sends and transfers -------------------------------------------------------------------


@route("POST", "simulate/confirm_groupmsg")
def confirm_groupmsg(ctx: Ctx) -> dict[str, Any]:
    msgid, userid = str(ctx.need("msgid")), str(ctx.need("userid"))
    with ctx.state.mutate():
        return wecom.confirm_groupmsg(ctx.state, msgid, userid)


@route("POST", "simulate/ignore_groupmsg")
def ignore_groupmsg(ctx: Ctx) -> dict[str, Any]:
    """The member leaves the task unsent: nothing changes in WeCom, the sandbox page stops offering it."""
    msgid, userid = str(ctx.need("msgid")), str(ctx.need("userid"))
    with ctx.state.mutate() as data:
        msg = data["groupmsgs"].get(msgid)
        if msg is None or userid not in msg["tasks"]:
            raise ControlError(f"no task of {userid} in {msgid}", status=404)
        msg["tasks"][userid]["ignored"] = True
        return {"msgid": msgid, "userid": userid, "ignored": True}


@route("POST", "simulate/publish_moment")
def publish_moment(ctx: Ctx) -> dict[str, Any]:
    moment_id, userid = str(ctx.need("moment_id")), str(ctx.need("userid"))
    with ctx.state.mutate():
        return moments.publish_moment(ctx.state, moment_id, userid)


@route("GET", "tasks")
def member_tasks(ctx: Ctx) -> dict[str, Any]:
    """What a member has to confirm in the client: group messages and moments not yet sent."""
    userid = str(ctx.query.get("userid") or "")
    if not userid:
        raise ControlError("userid is required")
    with ctx.state.lock:
        return _copy(pending_tasks(ctx.state, userid))


def pending_tasks(state: SandboxState, userid: str) -> dict[str, Any]:
    data = state.data
    groupmsgs = [
        {
            "msgid": m["msgid"],
            "create_time": m["create_time"],
            "chat_type": m["chat_type"],
            "text": m["text"],
            "attachments": m["attachments"],
            "recipients": sum(1 for r in m["results"] if r["userid"] == userid),
        }
        for m in sorted(data["groupmsgs"].values(), key=lambda m: m["create_time"])
        if (task := m["tasks"].get(userid))
        and task["status"] == 0
        and not task.get("cancelled")
        and not task.get("ignored")
    ]
    moment_tasks = [
        {key: m[key] for key in ("moment_id", "create_time", "text", "attachments")}
        for m in sorted(data["moments"].values(), key=lambda m: m["create_time"])
        if (task := m["tasks"].get(userid)) and task["publish_status"] == 0 and not task.get("cancelled")
    ]
    return {"userid": userid, "groupmsgs": groupmsgs, "moments": moment_tasks}


@route("POST", "simulate/transfer_outcome")
def transfer_outcome(ctx: Ctx) -> dict[str, Any]:
    external_userid = str(ctx.need("external_userid"))
    accept = bool(ctx.body.get("accept", True))
    limit_exceeded = bool(ctx.body.get("limit_exceeded", False))
    with ctx.state.mutate() as data:
        pending = [t for t in data["transfers"] if t["external_userid"] == external_userid and t["status"] == 2]
        if not pending:
            raise ControlError(f"no pending transfer of {external_userid}", status=404)
        transfer = pending[-1]
        handover, takeover = transfer["handover_userid"], transfer["takeover_userid"]
        if accept and not limit_exceeded:
            transfer.update(status=1, takeover_time=ctx.state.now_int())
            old = ctx.state.follow(handover, external_userid)
            if ctx.state.follow(takeover, external_userid) is None:
                new = _new_follow(ctx, takeover, external_userid, state="")
                new.update(add_way=ADD_WAY_ASSIGNED, oper_userid=takeover)
                if old is not None:
                    for key in ("remark", "description", "remark_mobiles", "tag_ids", "remark_corp_name"):
                        new[key] = old[key]
            if old is not None:
                _remove_follow(ctx, old)
            _contact_event(ctx, "del_external_contact", handover, external_userid, Source=DELETE_BY_TRANSFER)
            _contact_event(ctx, "add_external_contact", takeover, external_userid)
        else:
            transfer["status"] = 4 if limit_exceeded else 3
            reason = "customer_limit_exceed" if limit_exceeded else "customer_refused"
            _contact_event(ctx, "transfer_fail", takeover, external_userid, FailReason=reason)
        result = {"external_userid": external_userid, "status": transfer["status"]}
    return {**result, "callbacks": ctx.send()}


# --- customer groups --------------------------------------------------------------------------


def _member(ctx: Ctx, member_id: str, *, join_scene: int, invitor: str | None) -> dict[str, Any]:
    user = ctx.state.active_user(member_id)
    contact = ctx.data["contacts"].get(member_id)
    if user is None and contact is None:
        raise ControlError(f"{member_id} is neither active staff nor a known customer")
    row: dict[str, Any] = {
        "userid": member_id,
        "type": 1 if user else 2,
        "join_time": ctx.state.now_int(),
        "join_scene": join_scene,
        "group_nickname": "",
        "name": (user or contact or {})["name"],
    }
    if invitor:
        row["invitor"] = {"userid": invitor}
    if contact and contact.get("unionid"):
        row["unionid"] = contact["unionid"]
    return row


def _chat(ctx: Ctx) -> dict[str, Any]:
    chat_id = str(ctx.need("chat_id"))
    chat = ctx.data["groupchats"].get(chat_id)
    if chat is None or chat["status"] == "dismissed":
        raise ControlError(f"no live group chat {chat_id}", status=404)
    return chat


def _member_id(ctx: Ctx) -> str:
    member_id = ctx.body.get("external_userid") or ctx.body.get("userid")
    if not member_id:
        raise ControlError("external_userid or userid is required")
    return str(member_id)


@route("POST", "simulate/group_create")
def group_create(ctx: Ctx) -> dict[str, Any]:
    owner = str(ctx.need("owner"))
    with ctx.state.mutate() as data:
        if ctx.state.active_user(owner) is None:
            raise ControlError(f"unknown or departed owner {owner}")
        chat_id = random_id("wr", 28)
        members = [_member(ctx, owner, join_scene=1, invitor=None)]
        for member_id in dict.fromkeys(str(m) for m in ctx.body.get("members", [])):
            if member_id != owner:
                members.append(_member(ctx, member_id, join_scene=1, invitor=owner))
        data["groupchats"][chat_id] = {
            "chat_id": chat_id,
            "name": str(ctx.body.get("name", "")),
            "owner": owner,
            "create_time": ctx.state.now_int(),
            "notice": str(ctx.body.get("notice", "")),
            "member_list": members,
            "admin_list": [],
            "status": "live",
            "follow_status": 0,
            "member_version": 1,
        }
        _chat_event(ctx, "create", chat_id)
    return {"chat_id": chat_id, "callback": ctx.send()[0]}


@route("POST", "simulate/group_join")
def group_join(ctx: Ctx) -> dict[str, Any]:
    join_scene = int(ctx.body.get("join_scene", 1))
    with ctx.state.mutate():
        chat = _chat(ctx)
        member_id = _member_id(ctx)
        if any(m["userid"] == member_id for m in chat["member_list"]):
            raise ControlError(f"{member_id} is already in the group", status=409)
        invitor = chat["owner"] if join_scene in (1, 2) else None
        chat["member_list"].append(_member(ctx, member_id, join_scene=join_scene, invitor=invitor))
        chat["member_version"] += 1
        _chat_event(
            ctx,
            "update",
            chat["chat_id"],
            UpdateDetail="add_member",
            JoinScene=join_scene,
            MemChangeCnt=1,
            MemChangeList=RawXml(f"<Item><![CDATA[{member_id}]]></Item>"),
        )
    return {"callback": ctx.send()[0]}


@route("POST", "simulate/group_leave")
def group_leave(ctx: Ctx) -> dict[str, Any]:
    quit_scene = int(ctx.body.get("quit_scene", 0))
    with ctx.state.mutate():
        chat = _chat(ctx)
        member_id = _member_id(ctx)
        if member_id == chat["owner"]:
            raise ControlError("the owner cannot leave; dismiss the group instead", status=409)
        before = len(chat["member_list"])
        chat["member_list"] = [m for m in chat["member_list"] if m["userid"] != member_id]
        if len(chat["member_list"]) == before:
            raise ControlError(f"{member_id} is not in the group", status=404)
        chat["member_version"] += 1
        _chat_event(
            ctx,
            "update",
            chat["chat_id"],
            UpdateDetail="del_member",
            QuitScene=quit_scene,
            MemChangeCnt=1,
            MemChangeList=RawXml(f"<Item><![CDATA[{member_id}]]></Item>"),
        )
    return {"callback": ctx.send()[0]}


@route("POST", "simulate/group_update")
def group_update(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.mutate():
        chat = _chat(ctx)
        for key, detail in (("name", "change_name"), ("notice", "change_notice"), ("owner", "change_owner")):
            if key in ctx.body:
                if key == "owner" and ctx.state.active_user(str(ctx.body[key])) is None:
                    raise ControlError(f"unknown or departed owner {ctx.body[key]}")
                chat[key] = str(ctx.body[key])
                _chat_event(ctx, "update", chat["chat_id"], UpdateDetail=detail)
        if not ctx.events:
            raise ControlError("name, notice or owner is required")
    return {"callbacks": ctx.send()}


@route("POST", "simulate/group_dismiss")
def group_dismiss(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.mutate():
        chat = _chat(ctx)
        chat["status"] = "dismissed"
        _chat_event(ctx, "dismiss", chat["chat_id"])
    return {"callback": ctx.send()[0]}


# --- tags edited in the admin console ----------------------------------------------------------


@route("POST", "simulate/tag_console")
def tag_console(ctx: Ctx) -> dict[str, Any]:
    action = str(ctx.need("action"))
    with ctx.state.mutate() as data:
        if action == "create":
            name = str(ctx.need("name"))
            group = data["tag_groups"].get(str(ctx.body.get("group_id") or ""))
            if group is None:
                group_name = str(ctx.need("group_name"))
                group = next((g for g in data["tag_groups"].values() if g["group_name"] == group_name), None)
            if group is not None and any(data["tags"][t]["name"] == name for t in group["tags"]):
                raise ControlError(f"tag {name} exists in its group", status=409)
            now = ctx.state.now_int()
            if group is None:
                group = {
                    "group_id": random_id("et", 30),
                    "group_name": str(ctx.body["group_name"]),
                    "create_time": now,
                    "order": 0,
                    "tags": [],
                }
                data["tag_groups"][group["group_id"]] = group
                _tag_event(ctx, "create", group["group_id"], "tag_group")
            tag_id = random_id("et", 30)
            data["tags"][tag_id] = {
                "id": tag_id,
                "name": name,
                "group_id": group["group_id"],
                "create_time": now,
                "order": 0,
            }
            group["tags"].append(tag_id)
            _tag_event(ctx, "create", tag_id, "tag")
            result = {"tag_id": tag_id, "group_id": group["group_id"]}
        elif action in ("update", "delete"):
            item_id = str(ctx.need("id"))
            is_tag = item_id in data["tags"]
            if not is_tag and item_id not in data["tag_groups"]:
                raise ControlError(f"no tag or tag group {item_id}", status=404)
            if action == "update":
                target = data["tags"][item_id] if is_tag else data["tag_groups"][item_id]
                if "name" in ctx.body:
                    target["name" if is_tag else "group_name"] = str(ctx.body["name"])
                if "order" in ctx.body:
                    target["order"] = int(ctx.body["order"])
            else:
                wecom.delete_tags(data, {item_id} if is_tag else set(), set() if is_tag else {item_id})
            _tag_event(ctx, action, item_id, "tag" if is_tag else "tag_group")
            result = {"id": item_id}
        else:
            raise ControlError("action is create, update or delete")
    return {**result, "callbacks": ctx.send()}


# --- OAuth and the JS-SDK stand-in for the sidebar ------------------------------------------------


@route("POST", "simulate/oauth_code")
def oauth_code(ctx: Ctx) -> dict[str, Any]:
    userid = str(ctx.need("userid"))
    with ctx.state.mutate() as data:
        if ctx.state.active_user(userid) is None:
            raise ControlError(f"unknown or departed user {userid}")
        code = random_id("", 32)
        expires_at = ctx.state.now() + int(data["config"]["oauth_code_ttl"])
        data["oauth_codes"][code] = {"userid": userid, "expires_at": expires_at}
    return {"code": code, "expires_in": int(data["config"]["oauth_code_ttl"])}


@route("POST", "simulate/open_chat")
def open_chat(ctx: Ctx) -> dict[str, Any]:
    with ctx.state.mutate() as data:
        follow = _existing_follow(ctx)
        data["current_chat"][follow["userid"]] = follow["external_userid"]
    return {"userid": follow["userid"], "external_userid": follow["external_userid"]}


@route("GET", "jssdk/current_external_contact")
def current_external_contact(ctx: Ctx) -> dict[str, Any]:
    userid = ctx.query.get("userid", "")
    with ctx.state.lock:
        external_userid = ctx.data["current_chat"].get(userid)
    if not external_userid:
        raise ControlError("getCurExternalContact:fail no chat is open", status=404)
    return {"external_userid": external_userid, "err_msg": "getCurExternalContact:ok"}


@route("POST", "jssdk/send_chat_message")
def send_chat_message(ctx: Ctx) -> dict[str, Any]:
    userid = str(ctx.need("userid"))
    msgtype = str(ctx.body.get("msgtype") or "text")
    if msgtype not in ("text", "image", "video", "file", "news", "miniprogram", "link"):
        raise ControlError(f"unknown msgtype {msgtype}")
    payload = ctx.body.get(msgtype)
    if not isinstance(payload, dict):
        raise ControlError(f"{msgtype} must be an object")
    if msgtype in ("image", "video", "file"):
        # The JS-SDK sends temporary media by the id media/upload gave ("mediaid").
        with ctx.state.lock:
            try:
                media.live_media(ctx.state, payload.get("mediaid") or payload.get("media_id"))
            except WeComError as exc:
                raise ControlError(f"sendChatMessage:fail {exc.errmsg}") from exc
    with ctx.state.mutate() as data:
        external_userid = str(ctx.body.get("external_userid") or data["current_chat"].get(userid) or "")
        if not external_userid or ctx.state.follow(userid, external_userid) is None:
            raise ControlError("sendChatMessage:fail the customer is not in a chat with this RM", status=409)
        message = {
            "userid": userid,
            "external_userid": external_userid,
            "msgtype": msgtype,
            msgtype: payload,
            "at": ctx.state.now_int(),
        }
        data["chat_messages"].append(message)
        wecom.deliver(
            ctx.state,
            kind="chat",
            external_userid=external_userid,
            userid=userid,
            msgtype=msgtype,
            **{msgtype: payload},
        )
    return {"err_msg": "sendChatMessage:ok"}


def _filtered(rows: list[dict[str, Any]], query: dict[str, str], *keys: str) -> list[dict[str, Any]]:
    return _copy([r for r in rows if all(not query.get(k) or r.get(k) == query[k] for k in keys)])


@route("GET", "chat_messages")
def chat_messages(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.state.lock:
        return _filtered(ctx.data["chat_messages"], ctx.query, "external_userid", "userid")


@route("GET", "welcome_messages")
def welcome_messages(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.state.lock:
        return _filtered(ctx.data["welcome_messages"], ctx.query, "external_userid", "userid")


@route("GET", "deliveries")
def deliveries(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.state.lock:
        return _filtered(ctx.data["deliveries"], ctx.query, "external_userid", "userid", "kind")


# --- 会话存档 (wecom_sandbox.archive) ------------------------------------------------------------


@route("POST", "archive/public_key")
def archive_public_key(ctx: Ctx) -> dict[str, Any]:
    """The corp's archive RSA public key of a version, as an admin sets it in the console."""
    return archive.public_key_set(ctx.state, version=int(ctx.need("version")), pem=str(ctx.need("pem")))


@route("POST", "archive/messages")
def archive_messages(ctx: Ctx) -> dict[str, Any]:
    """People chat: each message becomes an encrypted archive record with the next seq."""
    return {"posted": archive.messages_post(ctx.state, ctx.need("messages"))}


@route("POST", "archive/corrupt")
def archive_corrupt(ctx: Ctx) -> dict[str, Any]:
    return archive.record_corrupt(ctx.state, seq=int(ctx.need("seq")), part=str(ctx.need("part")))


@route("POST", "archive/agree")
def archive_agree(ctx: Ctx) -> dict[str, Any]:
    """The external contact agrees (or refuses) to archiving of their chats with the member.

    Agreeing sends ``change_external_contact`` / ``msg_audit_approved``, as WeCom does.
    """
    userid, external_userid = str(ctx.need("userid")), str(ctx.need("external_userid"))
    agree = bool(ctx.body.get("agree", True))
    archive.agree_set(ctx.state, userid=userid, external_userid=external_userid, agree=agree)
    if not agree:
        return {"agree": False, "callback": None}
    with ctx.state.lock:
        _contact_event(ctx, "msg_audit_approved", userid, external_userid)
    return {"agree": True, "callback": ctx.send()[0]}


@route("POST", "archive/conversation")
def archive_conversation(ctx: Ctx) -> dict[str, Any]:
    """A 1:1 conversation for the demo: ``lines`` of ``{"by": "staff" | "customer", "text": ...}``,
    a minute apart, ending ``minutes_ago`` before now (default 30)."""
    userid, external_userid = str(ctx.need("userid")), str(ctx.need("external_userid"))
    lines = ctx.need("lines")
    if not isinstance(lines, list):
        raise ControlError("lines is a list")
    end_ms = int((ctx.state.now() - 60 * float(ctx.body.get("minutes_ago", 30))) * 1000)
    messages = []
    for index, line in enumerate(lines):
        by_staff = line.get("by") == "staff"
        messages.append(
            {
                "from": userid if by_staff else external_userid,
                "tolist": [external_userid if by_staff else userid],
                "msgtype": "text",
                "text": {"content": str(line.get("text", ""))},
                "msgtime": end_ms - (len(lines) - 1 - index) * 60_000,
            }
        )
    return {"posted": archive.messages_post(ctx.state, messages)}


@route("GET", "archive/records")
def archive_records(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.state.lock:
        return _copy(ctx.data.get("archive", archive.empty())["records"])
