"""WeCom's server API under ``/cgi-bin/``: paths, parameters, fields and error codes as WeCom's.

Each handler takes the call's parameters (query string merged with the JSON body) and
returns the answer without ``errcode``/``errmsg``, or raises ``WeComError``. Handlers run
inside ``state.mutate()`` and validate everything before they change anything, so an
error answer never leaves a partial effect, as in WeCom. Callbacks a handler decides on
go to ``call.events`` and are sent once the lock is released.

Paths and parameter names are those wechatpy 1.8.18's enterprise client sends, plus the
newer endpoints the product's gateway calls directly; response shapes follow go-wecom's
fixtures generated from WeCom's documentation (tests/fixtures/README.md).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wecom_sandbox import errors as e
from wecom_sandbox import media
from wecom_sandbox.callbacks import PendingEvent
from wecom_sandbox.errors import ControlError, WeComError
from wecom_sandbox.state import (
    SandboxState,
    china_day,
    china_month,
    china_month_of_day,
    days_in_china_month,
    random_id,
)

ATTACHMENT_TYPES = {"image", "link", "miniprogram", "video", "file"}
MAX_ATTACHMENTS = 9
TRANSFER_BATCH_LIMIT = 100
TRANSFER_MESSAGE_LIMIT = 200
TRANSFERS_PER_CUSTOMER = 2
TRANSFER_PROTECTION_SECONDS = 90 * 86400


@dataclass
class Call:
    state: SandboxState
    req: dict[str, Any]
    events: list[PendingEvent] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    handler: Handler
    # Reads skip the snapshot write; every call would otherwise rewrite the state file.
    reads_only: bool


HANDLERS: dict[str, Endpoint] = {}


def api(*paths: str, reads_only: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for path in paths:
            HANDLERS[path] = Endpoint(fn, reads_only)
        return fn

    return register


# --- parameter helpers ---------------------------------------------------------------


def _required(req: dict[str, Any], key: str, missing: int) -> str:
    value = req.get(key)
    if value is None or value == "":
        raise WeComError(missing, key)
    return str(value)


def _str_list(req: dict[str, Any], key: str) -> list[str]:
    value = req.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise WeComError(e.INVALID_PARAMETER, f"{key} must be a list")
    return [str(v) for v in value]


def _int(req: dict[str, Any], key: str, default: int) -> int:
    value = req.get(key, default)
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise WeComError(e.INVALID_PARAMETER, f"{key} must be an integer") from exc


def _limit(req: dict[str, Any], default: int, maximum: int) -> int:
    limit = _int(req, "limit", default)
    if limit < 1 or limit > maximum:
        raise WeComError(e.INVALID_PARAMETER, f"limit must be 1..{maximum}")
    return limit


def _page(items: list[Any], cursor: str | None, limit: int) -> tuple[list[Any], str]:
    """One page and the next cursor ("" on the last page); cursors are opaque, as WeCom's."""
    offset = 0
    if cursor:
        try:
            offset = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("o:"))
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise WeComError(e.INVALID_CURSOR) from exc
    page = items[offset : offset + limit]
    end = offset + len(page)
    next_cursor = base64.urlsafe_b64encode(f"o:{end}".encode()).decode() if end < len(items) else ""
    return page, next_cursor


def _user(call: Call, userid: str, code: int = e.INVALID_USERID) -> dict[str, Any]:
    user = call.state.active_user(userid)
    if user is None:
        raise WeComError(code, userid)
    return user


def _contact(call: Call, external_userid: str) -> dict[str, Any]:
    contact = call.data["contacts"].get(external_userid)
    if contact is None:
        raise WeComError(e.INVALID_EXTERNAL_USERID, external_userid)
    return contact


def _follow(call: Call, userid: str, external_userid: str) -> dict[str, Any]:
    _user(call, userid)
    _contact(call, external_userid)
    follow = call.state.follow(userid, external_userid)
    if follow is None:
        raise WeComError(e.NOT_EXTERNAL_CONTACT, f"{userid} has no relation with {external_userid}")
    return follow


def _check_attachments(
    state: SandboxState, req: dict[str, Any], *, require_content: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    text = req.get("text") or {}
    content = str(text.get("content", "")) if isinstance(text, dict) else ""
    attachments = req.get("attachments") or []
    if not isinstance(attachments, list):
        raise WeComError(e.INVALID_PARAMETER, "attachments must be a list")
    if len(attachments) > MAX_ATTACHMENTS:
        raise WeComError(e.INVALID_PARAMETER, f"at most {MAX_ATTACHMENTS} attachments")
    for attachment in attachments:
        kind = attachment.get("msgtype") if isinstance(attachment, dict) else None
        if kind not in ATTACHMENT_TYPES or not isinstance(attachment.get(kind), dict):
            raise WeComError(e.INVALID_ATTACHMENT_TYPE, str(kind))
        # Media must be this corp's own upload (media/upload), not expired: 40007 otherwise.
        media.check_attachment_media(state, attachment)
    if require_content and not content and not attachments:
        raise WeComError(e.EMPTY_TEXT_CONTENT, "text.content and attachments are both empty")
    return content, attachments


def deliver(state: SandboxState, *, kind: str, external_userid: str, userid: str, **payload: Any) -> None:
    """Record that a customer received something (a welcome message, a group message...)."""
    state.data["deliveries"].append(
        {
            "kind": kind,
            "external_userid": external_userid,
            "userid": userid,
            "at": state.now_int(),
            **payload,
        }
    )


# --- tokens, tickets, OAuth --------------------------------------------------------------


def gettoken(state: SandboxState, req: dict[str, Any]) -> dict[str, Any]:
    """Issue an access token; a live token is answered again, as WeCom does, until it expires."""
    corp = state.corp
    corpid = _required(req, "corpid", e.MISSING_CORPID)
    secret = _required(req, "corpsecret", e.MISSING_SECRET)
    if corpid != corp.corp_id:
        raise WeComError(e.INVALID_CORPID)
    if secret != corp.corp_secret:
        raise WeComError(e.INVALID_SECRET)
    now = state.now()
    with state.mutate() as data:
        for token, expires_at in data["tokens"].items():
            if expires_at > now:
                return {"access_token": token, "expires_in": int(expires_at - now)}
        token = random_id("", 64, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        ttl = int(data["config"]["token_ttl"])
        data["tokens"][token] = now + ttl
        # Keep expired tokens a day so a late call still gets 42001 rather than 40014.
        data["tokens"] = {t: x for t, x in data["tokens"].items() if x > now - 86400}
        return {"access_token": token, "expires_in": ttl}


def check_token(state: SandboxState, token: str | None) -> None:
    if not token:
        raise WeComError(e.MISSING_ACCESS_TOKEN)
    expires_at = state.data["tokens"].get(token)
    if expires_at is None:
        raise WeComError(e.INVALID_ACCESS_TOKEN)
    if expires_at <= state.now():
        raise WeComError(e.ACCESS_TOKEN_EXPIRED)


def _ticket(call: Call, kind: str) -> dict[str, Any]:
    now = call.state.now()
    current = call.data["tickets"].get(kind)
    if not current or current["expires_at"] <= now:
        current = {"ticket": random_id("", 86), "expires_at": now + 7200}
        call.data["tickets"][kind] = current
    return {"ticket": current["ticket"], "expires_in": int(current["expires_at"] - now)}


@api("get_jsapi_ticket")
def get_jsapi_ticket(call: Call) -> dict[str, Any]:
    return _ticket(call, "jsapi")


@api("ticket/get")
def ticket_get(call: Call) -> dict[str, Any]:
    if call.req.get("type") != "agent_config":
        raise WeComError(e.INVALID_PARAMETER, "type must be agent_config")
    return _ticket(call, "agent_config")


def _consume_oauth_code(call: Call) -> str:
    code = _required(call.req, "code", e.INVALID_OAUTH_CODE)
    entry = call.data["oauth_codes"].pop(code, None)
    if entry is None or entry["expires_at"] <= call.state.now():
        raise WeComError(e.INVALID_OAUTH_CODE)
    return str(entry["userid"])


@api("auth/getuserinfo")
def auth_getuserinfo(call: Call) -> dict[str, Any]:
    return {"userid": _consume_oauth_code(call), "user_ticket": random_id("", 32)}


@api("user/getuserinfo")
def user_getuserinfo(call: Call) -> dict[str, Any]:
    # The older path wechatpy 1.8.18's oauth.get_user_info calls; it answers "UserId".
    return {"UserId": _consume_oauth_code(call), "DeviceId": ""}


# --- the directory -----------------------------------------------------------------------


def _user_out(user: dict[str, Any], *, simple: bool) -> dict[str, Any]:
    if simple:
        return {"userid": user["userid"], "name": user["name"], "department": user["department"]}
    return {
        "userid": user["userid"],
        "name": user["name"],
        "department": user["department"],
        "main_department": user["main_department"],
        "position": user["position"],
        "gender": user["gender"],
        "status": user["status"],
    }


@api("user/get", reads_only=True)
def user_get(call: Call) -> dict[str, Any]:
    userid = _required(call.req, "userid", e.MISSING_USERID)
    return _user_out(_user(call, userid, e.USERID_NOT_FOUND), simple=False)


def _department_members(call: Call, *, simple: bool) -> dict[str, Any]:
    dept_id = _int(call.req, "department_id", 0)
    if str(dept_id) not in call.data["departments"]:
        raise WeComError(e.DEPARTMENT_NOT_FOUND, str(dept_id))
    depts = call.state.department_subtree(dept_id) if _int(call.req, "fetch_child", 0) else {dept_id}
    userids = call.state.users_in_departments(depts)
    return {"userlist": [_user_out(call.data["users"][u], simple=simple) for u in userids]}


@api("user/list", reads_only=True)
def user_list(call: Call) -> dict[str, Any]:
    return _department_members(call, simple=False)


@api("user/simplelist", reads_only=True)
def user_simplelist(call: Call) -> dict[str, Any]:
    return _department_members(call, simple=True)


@api("department/list", reads_only=True)
def department_list(call: Call) -> dict[str, Any]:
    depts = call.data["departments"]
    if call.req.get("id") not in (None, ""):
        dept_id = _int(call.req, "id", 0)
        if str(dept_id) not in depts:
            raise WeComError(e.DEPARTMENT_NOT_FOUND, str(dept_id))
        wanted = call.state.department_subtree(dept_id)
    else:
        wanted = {d["id"] for d in depts.values()}
    rows = sorted((d for d in depts.values() if d["id"] in wanted), key=lambda d: d["id"])
    return {"department": [dict(d) for d in rows]}


# --- external contacts -------------------------------------------------------------------


def _tags_out(call: Call, tag_ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for tag_id in tag_ids:
        tag = call.data["tags"].get(tag_id)
        if tag is None:
            continue
        group = call.data["tag_groups"][tag["group_id"]]
        out.append({"group_name": group["group_name"], "tag_name": tag["name"], "tag_id": tag_id, "type": 1})
    return out


def _contact_out(contact: dict[str, Any]) -> dict[str, Any]:
    out = {k: contact[k] for k in ("external_userid", "name", "type", "avatar", "gender")}
    if contact.get("unionid"):
        out["unionid"] = contact["unionid"]
    return out


def _follow_common(follow: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "userid": follow["userid"],
        "remark": follow["remark"],
        "description": follow["description"],
        "createtime": follow["createtime"],
        "remark_corp_name": follow.get("remark_corp_name", ""),
        "remark_mobiles": list(follow["remark_mobiles"]),
        "add_way": follow["add_way"],
        "oper_userid": follow["oper_userid"],
    }
    if follow.get("state"):
        out["state"] = follow["state"]
    return out


@api("externalcontact/get_follow_user_list", reads_only=True)
def get_follow_user_list(call: Call) -> dict[str, Any]:
    users = sorted(u["userid"] for u in call.data["users"].values() if u["status"] != 5)
    return {"follow_user": users}


@api("externalcontact/list", reads_only=True)
def externalcontact_list(call: Call) -> dict[str, Any]:
    userid = _required(call.req, "userid", e.MISSING_USERID)
    _user(call, userid)
    return {"external_userid": [f["external_userid"] for f in call.state.follows_of_user(userid)]}


@api("externalcontact/get", reads_only=True)
def externalcontact_get(call: Call) -> dict[str, Any]:
    external_userid = _required(call.req, "external_userid", e.MISSING_EXTERNAL_USERID)
    contact = _contact(call, external_userid)
    follows = call.state.follows_of_contact(external_userid)
    if not follows:
        raise WeComError(e.NOT_EXTERNAL_CONTACT, external_userid)
    follow_user = [{**_follow_common(f), "tags": _tags_out(call, f["tag_ids"])} for f in follows]
    return {"external_contact": _contact_out(contact), "follow_user": follow_user, "next_cursor": ""}


@api("externalcontact/batch/get_by_user", reads_only=True)
def batch_get_by_user(call: Call) -> dict[str, Any]:
    userids = _str_list(call.req, "userid_list") or _str_list(call.req, "userid")
    if not userids:
        raise WeComError(e.MISSING_USERID)
    if len(userids) > 100:
        raise WeComError(e.INVALID_USERID_LIST, "at most 100 userids")
    for userid in userids:
        _user(call, userid)
    limit = _limit(call.req, 50, 100)
    rows = [f for u in userids for f in call.state.follows_of_user(u)]
    page, next_cursor = _page(rows, call.req.get("cursor"), limit)
    out = []
    for follow in page:
        info = {**_follow_common(follow), "tag_id": [t for t in follow["tag_ids"] if t in call.data["tags"]]}
        out.append(
            {"external_contact": _contact_out(call.data["contacts"][follow["external_userid"]]), "follow_info": info}
        )
    return {"external_contact_list": out, "next_cursor": next_cursor}


@api("externalcontact/remark")
def externalcontact_remark(call: Call) -> dict[str, Any]:
    req = call.req
    follow = _follow(
        call, _required(req, "userid", e.MISSING_USERID), _required(req, "external_userid", e.MISSING_EXTERNAL_USERID)
    )
    if len(str(req.get("remark", ""))) > 20 or len(str(req.get("description", ""))) > 150:
        raise WeComError(e.INVALID_PARAMETER, "remark ≤20 and description ≤150 characters")
    mobiles = req.get("remark_mobiles")
    if mobiles is not None and (not isinstance(mobiles, list) or len(mobiles) > 5):
        raise WeComError(e.INVALID_PARAMETER, "remark_mobiles must be a list of at most 5")
    for key in ("remark", "description"):
        if key in req:
            follow[key] = str(req[key])
    if "remark_company" in req:
        follow["remark_corp_name"] = str(req["remark_company"])
    if mobiles is not None:
        follow["remark_mobiles"] = [str(m) for m in mobiles]
    return {}


@api("externalcontact/mark_tag")
def mark_tag(call: Call) -> dict[str, Any]:
    req = call.req
    follow = _follow(
        call, _required(req, "userid", e.MISSING_USERID), _required(req, "external_userid", e.MISSING_EXTERNAL_USERID)
    )
    add, remove = _str_list(req, "add_tag"), _str_list(req, "remove_tag")
    if not add and not remove:
        raise WeComError(e.INVALID_PARAMETER, "add_tag and remove_tag are both empty")
    for tag_id in add + remove:
        if tag_id not in call.data["tags"]:
            raise WeComError(e.INVALID_TAG_ID, tag_id)
    tags = [t for t in follow["tag_ids"] if t not in remove]
    tags += [t for t in add if t not in tags]
    follow["tag_ids"] = tags
    return {}


# --- corp tags -------------------------------------------------------------------------


def _group_out(call: Call, group: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    tags = [call.data["tags"][t] for t in group["tags"] if only is None or t in only]
    return {
        "group_id": group["group_id"],
        "group_name": group["group_name"],
        "create_time": group["create_time"],
        "order": group["order"],
        "deleted": False,
        "tag": [
            {"id": t["id"], "name": t["name"], "create_time": t["create_time"], "order": t["order"], "deleted": False}
            for t in tags
        ],
    }


@api("externalcontact/get_corp_tag_list", reads_only=True)
def get_corp_tag_list(call: Call) -> dict[str, Any]:
    tag_ids, group_ids = set(_str_list(call.req, "tag_id")), set(_str_list(call.req, "group_id"))
    groups = sorted(call.data["tag_groups"].values(), key=lambda g: (-g["order"], g["create_time"]))
    out = []
    for group in groups:
        if group_ids and group["group_id"] not in group_ids:
            continue
        only = tag_ids or None
        if only is not None and not only & set(group["tags"]) and not group_ids:
            continue
        out.append(_group_out(call, group, only if not group_ids else None))
    return {"tag_group": out}


def _check_tag_name(name: str) -> None:
    if not name or len(name) > 30:
        raise WeComError(e.INVALID_TAG_NAME_LENGTH, "tag and group names are 1..30 characters")


@api("externalcontact/add_corp_tag")
def add_corp_tag(call: Call) -> dict[str, Any]:
    req, data, now = call.req, call.data, call.state.now_int()
    new_tags = req.get("tag") or []
    if not isinstance(new_tags, list) or not new_tags:
        raise WeComError(e.INVALID_PARAMETER, "tag must be a non-empty list")
    group: dict[str, Any] | None = None
    if req.get("group_id"):
        group = data["tag_groups"].get(str(req["group_id"]))
        if group is None:
            raise WeComError(e.INVALID_TAG_ID, str(req["group_id"]))
    else:
        name = str(req.get("group_name", ""))
        _check_tag_name(name)
        # WeCom adds to an existing group of that name rather than failing.
        group = next((g for g in data["tag_groups"].values() if g["group_name"] == name), None)
    existing = {data["tags"][t]["name"] for t in group["tags"]} if group else set()
    names = [str(t.get("name", "")) if isinstance(t, dict) else "" for t in new_tags]
    for name in names:
        _check_tag_name(name)
    if existing & set(names) or len(set(names)) != len(names):
        raise WeComError(e.TAG_NAME_EXISTS)
    if len(data["tags"]) + len(names) > int(data["config"]["corp_tag_limit"]):
        raise WeComError(e.CORP_TAG_LIMIT)
    if group is None:
        group_id = random_id("et", 30)
        group = {
            "group_id": group_id,
            "group_name": str(req["group_name"]),
            "create_time": now,
            "order": _int(req, "order", 0),
            "tags": [],
        }
        data["tag_groups"][group_id] = group
    created = set()
    for raw, name in zip(new_tags, names, strict=True):
        tag_id = random_id("et", 30)
        data["tags"][tag_id] = {
            "id": tag_id,
            "name": name,
            "group_id": group["group_id"],
            "create_time": now,
            "order": int(raw.get("order", 0) or 0),
        }
        group["tags"].append(tag_id)
        created.add(tag_id)
    return {"tag_group": _group_out(call, group, created)}


@api("externalcontact/edit_corp_tag")
def edit_corp_tag(call: Call) -> dict[str, Any]:
    req, data = call.req, call.data
    item_id = _required(req, "id", e.INVALID_TAG_ID)
    name = req.get("name")
    if name is not None:
        _check_tag_name(str(name))
    if item_id in data["tags"]:
        tag = data["tags"][item_id]
        siblings = {data["tags"][t]["name"] for t in data["tag_groups"][tag["group_id"]]["tags"] if t != item_id}
        if name is not None and str(name) in siblings:
            raise WeComError(e.TAG_NAME_EXISTS)
        target = tag
        name_key = "name"
    elif item_id in data["tag_groups"]:
        others = {g["group_name"] for g in data["tag_groups"].values() if g["group_id"] != item_id}
        if name is not None and str(name) in others:
            raise WeComError(e.TAG_NAME_EXISTS)
        target = data["tag_groups"][item_id]
        name_key = "group_name"
    else:
        raise WeComError(e.INVALID_TAG_ID, item_id)
    if name is not None:
        target[name_key] = str(name)
    if req.get("order") is not None:
        target["order"] = _int(req, "order", 0)
    return {}


def delete_tags(data: dict[str, Any], tag_ids: set[str], group_ids: set[str]) -> None:
    """Delete tags and whole groups; a group left without tags goes too, as in WeCom."""
    for group_id in group_ids:
        tag_ids |= set(data["tag_groups"][group_id]["tags"])
    for tag_id in tag_ids:
        tag = data["tags"].pop(tag_id)
        group = data["tag_groups"].get(tag["group_id"])
        if group is not None:
            group["tags"].remove(tag_id)
            if not group["tags"]:
                del data["tag_groups"][group["group_id"]]
    for follow in data["follows"].values():
        follow["tag_ids"] = [t for t in follow["tag_ids"] if t not in tag_ids]


@api("externalcontact/del_corp_tag")
def del_corp_tag(call: Call) -> dict[str, Any]:
    tag_ids, group_ids = set(_str_list(call.req, "tag_id")), set(_str_list(call.req, "group_id"))
    if not tag_ids and not group_ids:
        raise WeComError(e.INVALID_PARAMETER, "tag_id and group_id are both empty")
    for tag_id in tag_ids:
        if tag_id not in call.data["tags"]:
            raise WeComError(e.INVALID_TAG_ID, tag_id)
    for group_id in group_ids:
        if group_id not in call.data["tag_groups"]:
            raise WeComError(e.INVALID_TAG_ID, group_id)
    delete_tags(call.data, tag_ids, group_ids)
    return {}


# --- 「联系我」 contact ways ----------------------------------------------------------------


def contact_way_users(state: SandboxState, way: dict[str, Any]) -> list[str]:
    """The staff a contact way can route to: its users, then its departments' members."""
    users = [u for u in way["user"] if state.active_user(u)]
    for dept_id in way["party"]:
        for userid in state.users_in_departments(state.department_subtree(int(dept_id))):
            if userid not in users:
                users.append(userid)
    return users


def _check_contact_way(call: Call, way: dict[str, Any]) -> None:
    if len(str(way.get("state") or "")) > 30:
        raise WeComError(e.INVALID_PARAMETER, "state is at most 30 characters")
    if len(str(way.get("remark") or "")) > 30:
        raise WeComError(e.INVALID_PARAMETER, "remark is at most 30 characters")
    for userid in way["user"]:
        _user(call, userid)
    for dept_id in way["party"]:
        if str(dept_id) not in call.data["departments"]:
            raise WeComError(e.INVALID_PARTY_LIST, str(dept_id))
    if way["type"] == 1 and (len(way["user"]) != 1 or way["party"]):
        raise WeComError(e.INVALID_PARAMETER, "type 1 takes exactly one user and no party")
    if way["is_temp"] and way["type"] != 1:
        raise WeComError(e.INVALID_PARAMETER, "temporary contact ways are single-user")
    if not way["user"] and not way["party"]:
        raise WeComError(e.INVALID_PARAMETER, "user and party are both empty")
    if len(contact_way_users(call.state, way)) > int(call.data["config"]["contact_way_user_limit"]):
        raise WeComError(e.CONTACT_WAY_TOO_MANY_USERS)


def _int_list(req: dict[str, Any], key: str) -> list[int]:
    try:
        return [int(v) for v in _str_list(req, key)]
    except ValueError as exc:
        raise WeComError(e.INVALID_PARTY_LIST, key) from exc


@api("externalcontact/add_contact_way")
def add_contact_way(call: Call) -> dict[str, Any]:
    req = call.req
    if req.get("type") in (None, ""):
        raise WeComError(e.MISSING_CONTACT_WAY_TYPE)
    if req.get("scene") in (None, ""):
        raise WeComError(e.MISSING_CONTACT_WAY_SCENE)
    way_type, scene = _int(req, "type", 0), _int(req, "scene", 0)
    if way_type not in (1, 2):
        raise WeComError(e.INVALID_CONTACT_WAY_TYPE)
    if scene not in (1, 2):
        raise WeComError(e.INVALID_CONTACT_WAY_SCENE)
    config_id = random_id("", 32, "0123456789abcdef")
    way: dict[str, Any] = {
        "config_id": config_id,
        "type": way_type,
        "scene": scene,
        "style": _int(req, "style", 0),
        "remark": str(req.get("remark") or ""),
        "skip_verify": bool(req.get("skip_verify", True)),
        "state": str(req.get("state") or ""),
        "user": _str_list(req, "user"),
        "party": _int_list(req, "party"),
        "is_temp": bool(req.get("is_temp", False)),
        "expires_in": _int(req, "expires_in", 7 * 86400) if req.get("is_temp") else 0,
        "chat_expires_in": _int(req, "chat_expires_in", 86400) if req.get("is_temp") else 0,
        "unionid": str(req.get("unionid") or ""),
        "conclusions": req.get("conclusions") or {},
        "qr_code": f"{call.state.corp.public_url}/sandbox/qr/{config_id}.svg" if scene == 2 else "",
        "create_time": call.state.now_int(),
    }
    _check_contact_way(call, way)
    call.data["contact_ways"][config_id] = way
    answer: dict[str, Any] = {"config_id": config_id}
    if way["qr_code"]:
        answer["qr_code"] = way["qr_code"]
    return answer


def _way(call: Call) -> dict[str, Any]:
    config_id = _required(call.req, "config_id", e.MISSING_CONFIG_ID)
    way = call.data["contact_ways"].get(config_id)
    if way is None:
        raise WeComError(e.INVALID_CONFIG_ID, config_id)
    return way


def contact_way_out(way: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in way.items() if k != "create_time"}
    if not way["is_temp"]:
        for key in ("expires_in", "chat_expires_in"):
            out.pop(key)
    if not way["unionid"]:
        out.pop("unionid")
    return out


@api("externalcontact/get_contact_way", reads_only=True)
def get_contact_way(call: Call) -> dict[str, Any]:
    return {"contact_way": contact_way_out(_way(call))}


@api("externalcontact/list_contact_way", reads_only=True)
def list_contact_way(call: Call) -> dict[str, Any]:
    start, end = _int(call.req, "start_time", 0), _int(call.req, "end_time", 2**31)
    ways = sorted(call.data["contact_ways"].values(), key=lambda w: w["create_time"])
    ways = [w for w in ways if start <= w["create_time"] <= end]
    page, next_cursor = _page(ways, call.req.get("cursor"), _limit(call.req, 100, 1000))
    return {"contact_way": [{"config_id": w["config_id"]} for w in page], "next_cursor": next_cursor}


@api("externalcontact/update_contact_way")
def update_contact_way(call: Call) -> dict[str, Any]:
    way = _way(call)
    req = call.req
    updated = dict(way)
    for key in ("remark", "state", "unionid"):
        if key in req and req[key] is not None:
            updated[key] = str(req[key])
    for key in ("skip_verify", "is_temp"):
        if key in req and req[key] is not None:
            updated[key] = bool(req[key])
    for key in ("style", "expires_in", "chat_expires_in"):
        if key in req and req[key] is not None:
            updated[key] = _int(req, key, 0)
    if req.get("user") is not None:
        updated["user"] = _str_list(req, "user")
    if req.get("party") is not None:
        updated["party"] = _int_list(req, "party")
    if req.get("conclusions") is not None:
        updated["conclusions"] = req["conclusions"]
    _check_contact_way(call, updated)
    way.update(updated)
    return {}


@api("externalcontact/del_contact_way")
def del_contact_way(call: Call) -> dict[str, Any]:
    way = _way(call)
    del call.data["contact_ways"][way["config_id"]]
    return {}


# --- welcome messages --------------------------------------------------------------------


@api("externalcontact/send_welcome_msg")
def send_welcome_msg(call: Call) -> dict[str, Any]:
    code = _required(call.req, "welcome_code", e.MISSING_WELCOME_CODE)
    entry = call.data["welcome_codes"].get(code)
    ttl = int(call.data["config"]["welcome_code_ttl"])
    if entry is None or call.state.now() > entry["issued_at"] + ttl:
        raise WeComError(e.INVALID_WELCOME_CODE)
    if entry["used"]:
        raise WeComError(e.CHAT_ALREADY_STARTED)
    content, attachments = _check_attachments(call.state, call.req)
    entry["used"] = True
    message = {
        "welcome_code": code,
        "userid": entry["userid"],
        "external_userid": entry["external_userid"],
        "text": content,
        "attachments": attachments,
        "at": call.state.now_int(),
    }
    call.data["welcome_messages"].append(message)
    deliver(
        call.state,
        kind="welcome",
        external_userid=entry["external_userid"],
        userid=entry["userid"],
        text=content,
        attachments=attachments,
    )
    return {}


# --- group messages (群发) -----------------------------------------------------------------

# add_msg_template's chat_id_list takes at most this many customer groups.
GROUPMSG_CHAT_LIMIT = 2000


@api("externalcontact/add_msg_template")
def add_msg_template(call: Call) -> dict[str, Any]:
    req = call.req
    chat_type = str(req.get("chat_type") or "single")
    if chat_type not in ("single", "group"):
        raise WeComError(e.INVALID_PARAMETER, "chat_type is single or group")
    sender = str(req.get("sender") or "")
    external_userids = _str_list(req, "external_userid")
    if len(external_userids) > 10_000:
        raise WeComError(e.INVALID_PARAMETER, "at most 10000 external_userid")
    if sender:
        _user(call, sender)
    content, attachments = _check_attachments(call.state, req)
    if chat_type == "group":
        if not sender:
            raise WeComError(e.INVALID_PARAMETER, "a group message needs a sender")
        chat_ids = _str_list(req, "chat_id_list")
        if len(chat_ids) > GROUPMSG_CHAT_LIMIT:
            raise WeComError(e.INVALID_PARAMETER, f"at most {GROUPMSG_CHAT_LIMIT} chat_id_list")
        # The sender's own live groups: those named, or all of them when none is.
        chats = [
            c
            for c in call.data["groupchats"].values()
            if c["owner"] == sender and c["status"] != "dismissed" and (not chat_ids or c["chat_id"] in chat_ids)
        ]
        recipients = [{"chat_id": c["chat_id"], "userid": sender, "external_userid": ""} for c in chats]
        fail_list: list[str] = []
    else:
        if not sender and not external_userids:
            raise WeComError(e.INVALID_PARAMETER, "sender and external_userid are both empty")
        recipients, fail_list = [], []
        if sender and not external_userids:
            recipients = [
                {"userid": sender, "external_userid": f["external_userid"]} for f in call.state.follows_of_user(sender)
            ]
        for external_userid in dict.fromkeys(external_userids):
            owners = [sender] if sender else [f["userid"] for f in call.state.follows_of_contact(external_userid)]
            owners = [u for u in owners if call.state.follow(u, external_userid) and call.state.active_user(u)]
            if not owners:
                fail_list.append(external_userid)
            recipients += [{"userid": u, "external_userid": external_userid} for u in owners]
    if not recipients:
        raise WeComError(e.NO_CUSTOMER_TO_SEND)
    msgid = random_id("msg", 24)
    now = call.state.now_int()
    call.data["groupmsgs"][msgid] = {
        "msgid": msgid,
        "creator": sender,
        "create_time": now,
        "create_type": 0,
        "chat_type": chat_type,
        "text": content,
        "attachments": attachments,
        "tasks": {r["userid"]: {"status": 0, "send_time": 0} for r in recipients},
        "results": [{**r, "status": 0, "send_time": 0} for r in recipients],
    }
    return {"fail_list": fail_list, "msgid": msgid}


def _groupmsg(call: Call) -> dict[str, Any]:
    msgid = _required(call.req, "msgid", e.MISSING_MSGID)
    msg = call.data["groupmsgs"].get(msgid)
    if msg is None:
        raise WeComError(e.INVALID_MSGID, msgid)
    return msg


@api("externalcontact/get_groupmsg_list_v2", reads_only=True)
def get_groupmsg_list_v2(call: Call) -> dict[str, Any]:
    req = call.req
    start = _int(req, "start_time", -1)
    end = _int(req, "end_time", -1)
    if start < 0 or end < 0 or end < start or end - start > 31 * 86400:
        raise WeComError(e.INVALID_PARAMETER, "start_time..end_time must span at most one month")
    chat_type = str(req.get("chat_type") or "single")
    creator = str(req.get("creator") or "")
    filter_type = _int(req, "filter_type", 2)
    msgs = [
        m
        for m in sorted(call.data["groupmsgs"].values(), key=lambda m: m["create_time"])
        if m["chat_type"] == chat_type
        and start <= m["create_time"] <= end
        and (not creator or m["creator"] == creator)
        and (filter_type == 2 or m["create_type"] == filter_type)
    ]
    page, next_cursor = _page(msgs, req.get("cursor"), _limit(req, 50, 100))
    out = []
    for m in page:
        row: dict[str, Any] = {
            "msgid": m["msgid"],
            "creator": m["creator"],
            "create_time": str(m["create_time"]),
            "create_type": m["create_type"],
            "attachments": m["attachments"],
        }
        if m["text"]:
            row["text"] = {"content": m["text"]}
        out.append(row)
    return {"group_msg_list": out, "next_cursor": next_cursor}


@api("externalcontact/get_groupmsg_task", reads_only=True)
def get_groupmsg_task(call: Call) -> dict[str, Any]:
    msg = _groupmsg(call)
    tasks = [{"userid": u, **t} for u, t in sorted(msg["tasks"].items())]
    page, next_cursor = _page(tasks, call.req.get("cursor"), _limit(call.req, 500, 1000))
    out = [
        {"userid": t["userid"], "status": t["status"], **({"send_time": t["send_time"]} if t["status"] else {})}
        for t in page
    ]
    return {"task_list": out, "next_cursor": next_cursor}


def _result_out(r: dict[str, Any]) -> dict[str, Any]:
    row = {"external_userid": r["external_userid"], "userid": r["userid"], "status": r["status"]}
    if r.get("chat_id"):
        row["chat_id"] = r["chat_id"]
    if r["status"] == 1:
        row["send_time"] = r["send_time"]
    return row


@api("externalcontact/get_groupmsg_send_result", reads_only=True)
def get_groupmsg_send_result(call: Call) -> dict[str, Any]:
    msg = _groupmsg(call)
    userid = _required(call.req, "userid", e.MISSING_USERID)
    rows = [r for r in msg["results"] if r["userid"] == userid]
    page, next_cursor = _page(rows, call.req.get("cursor"), _limit(call.req, 500, 1000))
    return {"send_list": [_result_out(r) for r in page], "next_cursor": next_cursor}


@api("externalcontact/get_group_msg_result", reads_only=True)
def get_group_msg_result(call: Call) -> dict[str, Any]:
    # The older API wechatpy 1.8.18's get_group_msg_result calls; one unpaged list.
    msg = _groupmsg(call)
    return {"check_status": 1, "detail_list": [_result_out(r) for r in msg["results"]]}


@api("externalcontact/remind_groupmsg_send")
def remind_groupmsg_send(call: Call) -> dict[str, Any]:
    """Notify the members who have not sent yet again; WeCom allows three reminders per message in 24 hours."""
    msg = _groupmsg(call)
    now = call.state.now_int()
    recent = [r for r in msg.setdefault("reminders", []) if r["at"] > now - 86400]
    if len(recent) >= int(call.data["config"]["groupmsg_remind_limit"]):
        raise WeComError(e.API_FREQ_OUT_OF_LIMIT, "a group message may be reminded 3 times in 24 hours")
    # Who the reminder reached: members with the task still unsent and not cancelled.
    pending = [u for u, task in sorted(msg["tasks"].items()) if task["status"] == 0 and not task.get("cancelled")]
    msg["reminders"].append({"at": now, "userids": pending})
    return {}


@api("externalcontact/cancel_groupmsg_send")
def cancel_groupmsg_send(call: Call) -> dict[str, Any]:
    """Stop the message for the members who have not sent it; what was sent stays sent."""
    msg = _groupmsg(call)
    for task in msg["tasks"].values():
        if task["status"] == 0:
            task["cancelled"] = True
    msg["cancelled_at"] = call.state.now_int()
    return {}


def _group_outcome(data: dict[str, Any], chat_id: str, now: int) -> int:
    """A group message reaching one group: 1 sent, 2 the group is gone, 3 it has its month's quota.

    WeCom lets a customer group receive as many group messages a month as the month has days.
    """
    if data["groupchats"].get(chat_id, {}).get("status", "dismissed") == "dismissed":
        return 2
    month = china_month(now)
    received = data["groupchat_received"].setdefault(chat_id, [])
    if sum(1 for day in received if china_month_of_day(day) == month) >= days_in_china_month(now):
        return 3
    received.append(china_day(now))
    del received[:-62]
    return 1


def confirm_groupmsg(state: SandboxState, msgid: str, userid: str) -> dict[str, Any]:
    """The RM confirms a mass-send task in the client: each of its recipients gets a status.

    1 sent; 2 not a friend any more; 3 already received its quota of group messages today.
    """
    data = state.data
    msg = data["groupmsgs"].get(msgid)
    if msg is None or userid not in msg["tasks"]:
        raise ControlError(f"no task of {userid} in {msgid}", status=404)
    if msg["tasks"][userid].get("cancelled"):
        raise ControlError(f"the company stopped {msgid}: {userid} can no longer send it", status=409)
    now = state.now_int()
    today = china_day(now)
    quota = int(data["config"]["groupmsg_daily_quota"])
    monthly_quota = int(data["config"]["groupmsg_monthly_quota"])
    month = china_month(now)
    counts = {"1": 0, "2": 0, "3": 0}
    for result in msg["results"]:
        if result["userid"] != userid or result["status"] != 0:
            continue
        if msg["chat_type"] == "group":
            result["status"] = _group_outcome(data, result["chat_id"], now)
        elif state.follow(userid, result["external_userid"]) is None:
            result["status"] = 2
        else:
            days = data["groupmsg_received"].setdefault(result["external_userid"], [])
            this_month = sum(1 for day in days if china_month_of_day(day) == month)
            if days.count(today) >= quota or (monthly_quota and this_month >= monthly_quota):
                result["status"] = 3
            else:
                result["status"] = 1
                days.append(today)
                del days[:-50]
                deliver(
                    state,
                    kind="groupmsg",
                    external_userid=result["external_userid"],
                    userid=userid,
                    msgid=msgid,
                    text=msg["text"],
                    attachments=msg["attachments"],
                )
        result["send_time"] = now if result["status"] == 1 else 0
        counts[str(result["status"])] += 1
    msg["tasks"][userid] = {"status": 2, "send_time": now}
    return {"msgid": msgid, "userid": userid, "sent": counts["1"], "not_friend": counts["2"], "quota": counts["3"]}


# --- transfers (在职转接 and 离职继承) -------------------------------------------------------


def _transfer(call: Call, *, resigned: bool, external_userids: list[str]) -> list[dict[str, Any]]:
    req, data, now = call.req, call.data, call.state.now()
    handover = _required(req, "handover_userid", e.MISSING_USERID)
    takeover = _required(req, "takeover_userid", e.MISSING_USERID)
    handover_user = data["users"].get(handover)
    if handover_user is None:
        raise WeComError(e.INVALID_USERID, handover)
    _user(call, takeover)
    if resigned and handover_user["status"] != 5:
        raise WeComError(e.USER_NOT_DEPARTED, handover)
    if not resigned and handover_user["status"] == 5:
        raise WeComError(e.INVALID_USERID, f"{handover} has left: use the resigned transfer")
    if not external_userids:
        raise WeComError(e.MISSING_EXTERNAL_USERID)
    if len(external_userids) > TRANSFER_BATCH_LIMIT:
        raise WeComError(e.INVALID_PARAMETER, f"at most {TRANSFER_BATCH_LIMIT} customers per call")
    message = str(req.get("transfer_success_msg") or "")
    if len(message) > TRANSFER_MESSAGE_LIMIT:
        raise WeComError(e.INVALID_PARAMETER, f"transfer_success_msg is at most {TRANSFER_MESSAGE_LIMIT} characters")
    results = []
    for external_userid in external_userids:
        code = 0
        done = [t for t in data["transfers"] if t["external_userid"] == external_userid and t["status"] == 1]
        if external_userid not in data["contacts"]:
            code = e.INVALID_EXTERNAL_USERID
        elif handover == takeover:
            code = e.TRANSFER_SAME_USER
        elif call.state.follow(handover, external_userid) is None:
            code = e.HANDOVER_NOT_FOLLOWER
        elif any(t["external_userid"] == external_userid and t["status"] == 2 for t in data["transfers"]):
            code = e.TRANSFER_IN_PROGRESS
        elif not resigned and (
            len(done) >= TRANSFERS_PER_CUSTOMER
            or any(now - t["takeover_time"] < TRANSFER_PROTECTION_SECONDS for t in done)
        ):
            code = e.TRANSFER_TOO_FREQUENT
        if code == 0:
            data["transfers"].append(
                {
                    "kind": "resigned" if resigned else "onjob",
                    "handover_userid": handover,
                    "takeover_userid": takeover,
                    "external_userid": external_userid,
                    "status": 2,
                    "takeover_time": 0,
                    "created_at": call.state.now_int(),
                    "transfer_success_msg": message,
                }
            )
            if message and not resigned:
                deliver(
                    call.state, kind="transfer_notice", external_userid=external_userid, userid=handover, text=message
                )
        results.append({"external_userid": external_userid, "errcode": code})
    return results


@api("externalcontact/transfer_customer")
def transfer_customer(call: Call) -> dict[str, Any]:
    return {"customer": _transfer(call, resigned=False, external_userids=_str_list(call.req, "external_userid"))}


@api("externalcontact/resigned/transfer_customer")
def resigned_transfer_customer(call: Call) -> dict[str, Any]:
    return {"customer": _transfer(call, resigned=True, external_userids=_str_list(call.req, "external_userid"))}


@api("externalcontact/transfer")
def legacy_transfer(call: Call) -> dict[str, Any]:
    # wechatpy 1.8.18's transfer(): one customer of a departed member, answered with errcode only.
    external_userid = _required(call.req, "external_userid", e.MISSING_EXTERNAL_USERID)
    [result] = _transfer(call, resigned=True, external_userids=[external_userid])
    if result["errcode"]:
        raise WeComError(result["errcode"], external_userid)
    return {}


def _transfer_result(call: Call, *, resigned: bool) -> dict[str, Any]:
    handover = _required(call.req, "handover_userid", e.MISSING_USERID)
    takeover = _required(call.req, "takeover_userid", e.MISSING_USERID)
    kind = "resigned" if resigned else "onjob"
    rows = [
        t
        for t in call.data["transfers"]
        if t["kind"] == kind and t["handover_userid"] == handover and t["takeover_userid"] == takeover
    ]
    latest: dict[str, dict[str, Any]] = {}
    for t in rows:
        latest[t["external_userid"]] = t
    page, next_cursor = _page(list(latest.values()), call.req.get("cursor"), 1000)
    customers = [
        {"external_userid": t["external_userid"], "status": t["status"], "takeover_time": t["takeover_time"]}
        for t in page
    ]
    return {"customer": customers, "next_cursor": next_cursor}


@api("externalcontact/transfer_result", reads_only=True)
def transfer_result(call: Call) -> dict[str, Any]:
    return _transfer_result(call, resigned=False)


@api("externalcontact/resigned/transfer_result", reads_only=True)
def resigned_transfer_result(call: Call) -> dict[str, Any]:
    return _transfer_result(call, resigned=True)


@api("externalcontact/get_unassigned_list", reads_only=True)
def get_unassigned_list(call: Call) -> dict[str, Any]:
    data = call.data
    page_size = _int(call.req, "page_size", 1000)
    if page_size < 1 or page_size > 1000:
        raise WeComError(e.INVALID_PARAMETER, "page_size must be 1..1000")
    busy = {(t["handover_userid"], t["external_userid"]) for t in data["transfers"] if t["status"] in (1, 2)}
    rows = []
    for user in sorted(data["users"].values(), key=lambda u: u["userid"]):
        if user["status"] != 5:
            continue
        for follow in call.state.follows_of_user(user["userid"]):
            if (user["userid"], follow["external_userid"]) not in busy:
                rows.append(
                    {
                        "handover_userid": user["userid"],
                        "external_userid": follow["external_userid"],
                        "dimission_time": user["dimission_time"],
                    }
                )
    if call.req.get("cursor"):
        page, next_cursor = _page(rows, call.req.get("cursor"), page_size)
    else:
        offset = _int(call.req, "page_id", 0) * page_size
        page = rows[offset : offset + page_size]
        end = offset + len(page)
        next_cursor = _page(rows, None, end)[1] if end else ""
    return {"info": page, "is_last": not next_cursor, "next_cursor": next_cursor}


# --- customer groups ---------------------------------------------------------------------


@api("externalcontact/groupchat/list", reads_only=True)
def groupchat_list(call: Call) -> dict[str, Any]:
    req = call.req
    status_filter = _int(req, "status_filter", 0)
    owner_filter = req.get("owner_filter") or {}
    owners = set(owner_filter.get("userid_list") or []) if isinstance(owner_filter, dict) else set()
    chats = [
        c
        for c in sorted(call.data["groupchats"].values(), key=lambda c: c["create_time"])
        if c["status"] != "dismissed"
        and (not owners or c["owner"] in owners)
        and (status_filter == 0 or c["follow_status"] == status_filter)
    ]
    page, next_cursor = _page(chats, req.get("cursor"), _limit(req, 100, 1000))
    return {
        "group_chat_list": [{"chat_id": c["chat_id"], "status": c["follow_status"]} for c in page],
        "next_cursor": next_cursor,
    }


@api("externalcontact/groupchat/get", reads_only=True)
def groupchat_get(call: Call) -> dict[str, Any]:
    chat_id = _required(call.req, "chat_id", e.INVALID_CHAT_ID)
    chat = call.data["groupchats"].get(chat_id)
    if chat is None:
        raise WeComError(e.INVALID_CHAT_ID, chat_id)
    if chat["status"] == "dismissed":
        raise WeComError(e.GROUP_DISMISSED, chat_id)
    need_name = _int(call.req, "need_name", 0)
    members = []
    for m in chat["member_list"]:
        row = {k: v for k, v in m.items() if k != "name"}
        if need_name:
            row["name"] = m["name"]
        members.append(row)
    return {
        "group_chat": {
            "chat_id": chat["chat_id"],
            "name": chat["name"],
            "owner": chat["owner"],
            "create_time": chat["create_time"],
            "notice": chat["notice"],
            "member_list": members,
            "admin_list": [{"userid": u} for u in chat["admin_list"]],
            "member_version": str(chat["member_version"]),
        }
    }


# --- temporary media (素材) ----------------------------------------------------------------


# A handler's answer under this key is sent as a file instead of JSON.
BINARY_ANSWER = "__binary__"


@api("media/upload")
def media_upload(call: Call) -> dict[str, Any]:
    return media.upload(call.state, call.req)


@api("media/upload_attachment")
def media_upload_attachment(call: Call) -> dict[str, Any]:
    return media.upload_attachment(call.state, call.req)


@api("media/get", reads_only=True)
def media_get(call: Call) -> dict[str, Any]:
    """The file itself, as WeCom answers it: the bytes with their type, not JSON (see the server)."""
    entry, data = media.get(call.state, call.req)
    return {BINARY_ANSWER: (data, entry["content_type"], entry["filename"])}
