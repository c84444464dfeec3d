"""客户朋友圈 (moments) tasks: WeCom's asynchronous creation, each member's publishing, what customers saw.

``add_moment_task`` answers a ``jobid`` at once; the task is created behind it, so the
first ``get_moment_task_result`` finds it still being created (status 2) and a later one
finished (status 3, with the ``moment_id``). A member must publish the moment in the
client (``simulate/publish_moment`` or the sandbox's task page); it then reaches the
customers the task made it visible to: all the member's customers, or those carrying one
of the task's tags. Attachments follow WeCom's rule: up to 9 images, or 1 video, or 1 link,
each media_id the corp's own ``media/upload_attachment`` upload.
"""

from __future__ import annotations

from typing import Any

from wecom_sandbox import errors as e
from wecom_sandbox import media
from wecom_sandbox.api import Call, _int, _limit, _page, _required, api, deliver
from wecom_sandbox.errors import ControlError, WeComError
from wecom_sandbox.state import SandboxState, random_id

MOMENT_TEXT_LIMIT = 2000
MOMENT_IMAGE_LIMIT = 9
MOMENT_ATTACHMENT_TYPES = ("image", "video", "link")
JOB_LIFETIME_SECONDS = 86400
LIST_SPAN_SECONDS = 30 * 86400
# get_moment_task_result's status: 1 started, 2 being created, 3 done.
JOB_CREATING, JOB_DONE = 2, 3


def _check_moment_content(state: SandboxState, req: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    text = req.get("text") or {}
    content = str(text.get("content", "")) if isinstance(text, dict) else ""
    if len(content) > MOMENT_TEXT_LIMIT:
        raise WeComError(e.INVALID_PARAMETER, f"text.content is at most {MOMENT_TEXT_LIMIT} characters")
    attachments = req.get("attachments") or []
    if not isinstance(attachments, list):
        raise WeComError(e.INVALID_PARAMETER, "attachments must be a list")
    kinds = []
    for attachment in attachments:
        kind = attachment.get("msgtype") if isinstance(attachment, dict) else None
        if kind not in MOMENT_ATTACHMENT_TYPES or not isinstance(attachment.get(kind), dict):
            raise WeComError(e.INVALID_ATTACHMENT_TYPE, str(kind))
        if not attachment[kind].get("media_id"):
            raise WeComError(e.INVALID_PARAMETER, f"a moment's {kind} needs a media_id from media/upload_attachment")
        kinds.append(kind)
    if len(set(kinds)) > 1:
        raise WeComError(e.INVALID_ATTACHMENT_TYPE, "images, a video and a link cannot be mixed")
    if kinds and kinds[0] == "image" and len(kinds) > MOMENT_IMAGE_LIMIT:
        raise WeComError(e.INVALID_PARAMETER, f"at most {MOMENT_IMAGE_LIMIT} images")
    if kinds and kinds[0] in ("video", "link") and len(kinds) > 1:
        raise WeComError(e.INVALID_PARAMETER, f"at most one {kinds[0]}")
    for attachment in attachments:
        # Images, videos and a link's cover: this corp's own media/upload_attachment upload, not expired.
        media.live_media(state, attachment[attachment["msgtype"]]["media_id"], purpose=media.PURPOSE_MOMENT)
    if not content and not attachments:
        raise WeComError(e.EMPTY_TEXT_CONTENT, "text.content and attachments are both empty")
    return content, attachments


def _visible_range(call: Call) -> tuple[list[str], list[str], list[str], list[str]]:
    """(senders, tag ids, invalid senders, invalid tag ids); no sender list means every member."""
    visible = call.req.get("visible_range") or {}
    if not isinstance(visible, dict):
        raise WeComError(e.INVALID_PARAMETER, "visible_range must be an object")
    sender_list = visible.get("sender_list") or {}
    contacts = visible.get("external_contact_list") or {}
    requested = [str(u) for u in (sender_list.get("user_list") or [])] if isinstance(sender_list, dict) else []
    tag_ids = [str(t) for t in (contacts.get("tag_list") or [])] if isinstance(contacts, dict) else []
    if not requested:
        requested = sorted(u for u in call.data["users"] if call.state.active_user(u))
    senders = [u for u in dict.fromkeys(requested) if call.state.active_user(u)]
    invalid_senders = [u for u in dict.fromkeys(requested) if u not in senders]
    valid_tags = [t for t in tag_ids if t in call.data["tags"]]
    invalid_tags = [t for t in tag_ids if t not in call.data["tags"]]
    return senders, valid_tags, invalid_senders, invalid_tags


@api("externalcontact/add_moment_task")
def add_moment_task(call: Call) -> dict[str, Any]:
    content, attachments = _check_moment_content(call.state, call.req)
    senders, tag_ids, invalid_senders, invalid_tags = _visible_range(call)
    now = call.state.now_int()
    jobid = random_id("job", 32)
    moment_id = random_id("mom", 24)
    call.data["moment_jobs"][jobid] = {
        "jobid": jobid,
        "moment_id": moment_id,
        "created_at": now,
        "polls": 0,
        "invalid_senders": invalid_senders,
        "invalid_tags": invalid_tags,
    }
    call.data["moments"][moment_id] = {
        "moment_id": moment_id,
        "creator": "",
        "create_time": now,
        "create_type": 0,
        "visible_type": 0 if tag_ids else 1,
        "text": content,
        "attachments": attachments,
        "tag_ids": tag_ids,
        "tasks": {userid: {"publish_status": 0} for userid in senders},
        "published": {},  # userid -> [external_userid, ...] the published moment reached
    }
    return {"jobid": jobid}


@api("externalcontact/get_moment_task_result")
def get_moment_task_result(call: Call) -> dict[str, Any]:
    jobid = _required(call.req, "jobid", e.INVALID_PARAMETER)
    job = call.data["moment_jobs"].get(jobid)
    if job is None or job["created_at"] < call.state.now_int() - JOB_LIFETIME_SECONDS:
        raise WeComError(e.INVALID_PARAMETER, f"no job {jobid} in the last 24 hours")
    job["polls"] += 1
    if job["polls"] == 1:
        return {"status": JOB_CREATING, "type": "add_moment_task"}
    return {
        "status": JOB_DONE,
        "type": "add_moment_task",
        "result": {
            "errcode": 0,
            "errmsg": "ok",
            "moment_id": job["moment_id"],
            "invalid_sender_list": {"user_list": job["invalid_senders"]},
            "invalid_external_contact_list": {"tag_list": job["invalid_tags"]},
        },
    }


def _moment(call: Call) -> dict[str, Any]:
    moment_id = _required(call.req, "moment_id", e.INVALID_PARAMETER)
    moment = call.data["moments"].get(moment_id)
    if moment is None:
        raise WeComError(e.INVALID_PARAMETER, f"no moment {moment_id}")
    return moment


def _moment_out(moment: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "moment_id": moment["moment_id"],
        "creator": moment["creator"],
        "create_time": moment["create_time"],
        "create_type": moment["create_type"],
        "visible_type": moment["visible_type"],
    }
    if moment["text"]:
        row["text"] = {"content": moment["text"]}
    images = [a["image"] for a in moment["attachments"] if a["msgtype"] == "image"]
    if images:
        row["image"] = [{"media_id": i["media_id"]} for i in images]
    for attachment in moment["attachments"]:
        if attachment["msgtype"] == "video":
            row["video"] = {"media_id": attachment["video"]["media_id"], "thumb_media_id": ""}
        if attachment["msgtype"] == "link":
            row["link"] = {"title": attachment["link"].get("title", ""), "url": attachment["link"].get("url", "")}
    return row


@api("externalcontact/get_moment_list", reads_only=True)
def get_moment_list(call: Call) -> dict[str, Any]:
    start = _int(call.req, "start_time", -1)
    end = _int(call.req, "end_time", -1)
    if start < 0 or end < 0 or end < start or end - start > LIST_SPAN_SECONDS:
        raise WeComError(e.INVALID_PARAMETER, "start_time..end_time must span at most 30 days")
    creator = str(call.req.get("creator") or "")
    filter_type = _int(call.req, "filter_type", 2)
    moments = [
        m
        for m in sorted(call.data["moments"].values(), key=lambda m: m["create_time"])
        if start <= m["create_time"] <= end
        and (not creator or m["creator"] == creator)
        and (filter_type == 2 or m["create_type"] == filter_type)
    ]
    page, next_cursor = _page(moments, call.req.get("cursor"), _limit(call.req, 50, 100))
    return {"moment_list": [_moment_out(m) for m in page], "next_cursor": next_cursor}


@api("externalcontact/get_moment_task", reads_only=True)
def get_moment_task(call: Call) -> dict[str, Any]:
    moment = _moment(call)
    tasks = [{"userid": u, "publish_status": t["publish_status"]} for u, t in sorted(moment["tasks"].items())]
    page, next_cursor = _page(tasks, call.req.get("cursor"), _limit(call.req, 500, 1000))
    return {"task_list": page, "next_cursor": next_cursor}


def visible_customers(state: SandboxState, moment: dict[str, Any], userid: str) -> list[str]:
    """The member's customers the task makes the moment visible to (all, or those with one of its tags)."""
    follows = state.follows_of_user(userid)
    if moment["tag_ids"]:
        follows = [f for f in follows if set(f["tag_ids"]) & set(moment["tag_ids"])]
    return [f["external_userid"] for f in follows]


def _member_of(call: Call, moment: dict[str, Any]) -> str:
    userid = _required(call.req, "userid", e.MISSING_USERID)
    if userid not in moment["tasks"]:
        raise WeComError(e.INVALID_USERID, f"{userid} has no task in {moment['moment_id']}")
    return userid


@api("externalcontact/get_moment_customer_list", reads_only=True)
def get_moment_customer_list(call: Call) -> dict[str, Any]:
    moment = _moment(call)
    userid = _member_of(call, moment)
    rows = [{"userid": userid, "external_userid": x} for x in visible_customers(call.state, moment, userid)]
    page, next_cursor = _page(rows, call.req.get("cursor"), _limit(call.req, 500, 1000))
    return {"customer_list": page, "next_cursor": next_cursor}


@api("externalcontact/get_moment_send_result", reads_only=True)
def get_moment_send_result(call: Call) -> dict[str, Any]:
    moment = _moment(call)
    userid = _member_of(call, moment)
    rows = [{"external_userid": x} for x in moment["published"].get(userid, [])]
    page, next_cursor = _page(rows, call.req.get("cursor"), _limit(call.req, 500, 5000))
    return {"customer_list": page, "next_cursor": next_cursor}


@api("externalcontact/cancel_moment_task")
def cancel_moment_task(call: Call) -> dict[str, Any]:
    """Stop the task for members who have not published; a published moment stays."""
    moment = _moment(call)
    for task in moment["tasks"].values():
        if task["publish_status"] == 0:
            task["cancelled"] = True
    return {}


def publish_moment(state: SandboxState, moment_id: str, userid: str) -> dict[str, Any]:
    """The member publishes the moment in the client: it reaches the customers it is visible to."""
    moment = state.data["moments"].get(moment_id)
    if moment is None or userid not in moment["tasks"]:
        raise ControlError(f"no moment task of {userid} in {moment_id}", status=404)
    task = moment["tasks"][userid]
    if task.get("cancelled"):
        raise ControlError(f"the company stopped {moment_id}: {userid} can no longer publish it", status=409)
    if task["publish_status"] == 1:
        return {"moment_id": moment_id, "userid": userid, "reached": len(moment["published"][userid])}
    reached = visible_customers(state, moment, userid)
    task["publish_status"] = 1
    moment["published"][userid] = reached
    for external_userid in reached:
        deliver(
            state,
            kind="moment",
            external_userid=external_userid,
            userid=userid,
            moment_id=moment_id,
            text=moment["text"],
            attachments=moment["attachments"],
        )
    return {"moment_id": moment_id, "userid": userid, "reached": len(reached)}
