"""The WeCom gateway: every call the product makes to WeCom goes through here.

Built on wechatpy 1.8.18's enterprise client (the stable release; its ``external_contact``,
``oauth`` and ``jsapi`` wrappers are used as they are). What it lacks is filled in here,
once, instead of raw HTTP calls around the code base:

* the API base URL is configuration (the local sandbox or ``qyapi.weixin.qq.com``);
* the access token lives in Redis, shared by all processes; one process refreshes it at
  a time under a Redis lock, and a call answered "invalid/expired token" refreshes and
  retries once;
* a token bucket per API in Redis keeps the corp under WeCom's published limits;
* rate-limit (45009) and busy (-1) answers are retried with exponential backoff;
* every other errcode becomes a typed exception (``channels.wecom.errors``), and a
  timeout after the request went out becomes ``WeComOutcomeUnknownError``;
* the external-contact APIs wechatpy 1.8.18 does not wrap (transfer_customer, the
  resigned transfers, group messages v2, remark, batch get_by_user, list_contact_way);
* multipart uploads of temporary media (media/upload, media/upload_attachment).
"""

from __future__ import annotations

import hashlib
import logging
import random
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import requests
from django.conf import settings
from redis.exceptions import RedisError
from wechatpy.enterprise import WeChatClient
from wechatpy.session.redisstorage import RedisStorage

from channels.wecom import ratelimit
from channels.wecom.errors import (
    TOKEN_CODES,
    WeComAuthError,
    WeComBusyError,
    WeComError,
    WeComOutcomeUnknownError,
    WeComRateLimitedError,
    WeComTransientError,
    error_for,
)
from scrm.core.redis import redis_client

logger = logging.getLogger(__name__)

# Refresh a little before WeCom's expiry so no call carries a token about to die.
_TOKEN_MARGIN_SECONDS = 300
_TOKEN_LOCK_SECONDS = 15


class _WeChatClient(WeChatClient):
    """wechatpy's client with our transport: base URL, shared token, rate limits, typed errors."""

    def __init__(self, *, corp_id: str, secret: str, base_url: str, timeout: float) -> None:
        # Keyed by the API host too, so a sandbox's tokens never reach the real corp.
        host = hashlib.sha256(base_url.encode()).hexdigest()[:8]
        storage = RedisStorage(redis_client(), prefix=f"wecom:{host}")
        super().__init__(corp_id, secret, session=storage, timeout=timeout)
        self.API_BASE_URL = base_url

    # --- tokens --------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        return self.session.get(self.access_token_key) or self.fetch_access_token()

    def fetch_access_token(self, stale: str | None = None) -> str:  # type: ignore[override]
        """A fresh token, fetched by one process at a time; the others wait and reuse it.

        ``stale`` is the token WeCom just refused: if the cache already holds another
        one, a peer has refreshed meanwhile and that one is used.
        """
        with redis_client().lock(f"wecom:token-lock:{self.corp_id}", timeout=_TOKEN_LOCK_SECONDS, blocking_timeout=30):
            cached = self.session.get(self.access_token_key)
            if cached and cached != stale:
                return str(cached)
            result = self._send("gettoken", "get", params={"corpid": self.corp_id, "corpsecret": self.secret})
            token = str(result["access_token"])
            ttl = max(int(result.get("expires_in", 7200)) - _TOKEN_MARGIN_SECONDS, 60)
            self.session.set(self.access_token_key, token, ttl)
            logger.info("wecom: fetched a new access token for %s", self.corp_id)
            return token

    # --- transport -----------------------------------------------------------------

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        """Every wechatpy API wrapper ends here: token, budget, retries, typed errors."""
        api = url_or_endpoint.removeprefix(self.API_BASE_URL).split("?")[0]
        result_processor = kwargs.pop("result_processor", None)
        params = dict(kwargs.pop("params", None) or {})
        refreshed = False
        for attempt in range(settings.WECOM_RETRY_ATTEMPTS + 1):
            try:
                token = self.access_token
            except RedisError as error:
                # The token is shared through Redis; without it nothing was sent: try later.
                raise WeComBusyError(api, None, f"token store unavailable: {error.__class__.__name__}") from error
            try:
                result = self._send(api, method, params={**params, "access_token": token}, **kwargs)
            except WeComAuthError as error:
                if error.errcode not in TOKEN_CODES or refreshed:
                    raise
                refreshed = True
                self.fetch_access_token(stale=token)
                continue
            except WeComTransientError:
                if attempt == settings.WECOM_RETRY_ATTEMPTS:
                    raise
                time.sleep(_backoff(attempt))
                continue
            return result_processor(result) if result_processor else result
        raise WeComBusyError(api, None, "retries exhausted")  # pragma: no cover - the loop returns or raises

    def _send(self, api: str, method: str, *, params: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """One HTTP exchange with WeCom, its answer checked."""
        try:
            allowed = ratelimit.take(self.corp_id, api, max_wait=settings.WECOM_RETRY_BACKOFF_SECONDS * 4)
        except RedisError as error:
            # Before the request left: a Redis outage is "nothing happened", not an unknown outcome.
            raise WeComBusyError(api, None, f"rate budget unavailable: {error.__class__.__name__}") from error
        if not allowed:
            raise WeComRateLimitedError(api, None, "local rate budget spent")
        data = kwargs.pop("data", None)
        timeout = kwargs.pop("timeout", self.timeout)
        try:
            response = self._http.request(
                method=method,
                url=f"{self.API_BASE_URL}{api}",
                params=params,
                json=data if isinstance(data, dict) else None,
                data=data if not isinstance(data, dict) else None,
                timeout=timeout,
                **kwargs,
            )
        except (requests.ConnectionError, requests.ConnectTimeout) as error:
            if isinstance(error, requests.ConnectTimeout) or _never_sent(error):
                raise WeComBusyError(api, None, f"cannot reach WeCom: {error.__class__.__name__}") from error
            raise WeComOutcomeUnknownError(api, None, "connection lost after the request was sent") from error
        except requests.Timeout as error:
            raise WeComOutcomeUnknownError(api, None, f"no answer within {timeout}s") from error
        if response.status_code >= 500:
            raise WeComBusyError(api, None, f"HTTP {response.status_code}")
        try:
            result = response.json()
        except ValueError as error:
            raise WeComBusyError(api, None, f"unreadable answer (HTTP {response.status_code})") from error
        errcode = int(result.get("errcode", 0))
        if errcode != 0:
            raise error_for(api, errcode, str(result.get("errmsg", "")))
        return dict(result)


def _never_sent(error: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request left."""
    text = repr(error)
    return "NewConnectionError" in text or "Failed to establish" in text or "Connection refused" in text


def _backoff(attempt: int) -> float:
    base: float = settings.WECOM_RETRY_BACKOFF_SECONDS * (2**attempt)
    return base * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security


@dataclass(frozen=True)
class JsSdkSignature:
    """What ``wx.config`` / ``wx.agentConfig`` need on the sidebar page."""

    corp_id: str
    agent_id: str
    timestamp: int
    nonce_str: str
    signature: str


class WeComGateway:
    """The product's vocabulary of WeCom calls. Obtain it with ``wecom()``."""

    def __init__(self, *, corp_id: str, secret: str, agent_id: str, base_url: str, timeout: float) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.client = _WeChatClient(corp_id=corp_id, secret=secret, base_url=base_url, timeout=timeout)

    def _get(self, api: str, **params: Any) -> dict[str, Any]:
        return dict(self.client.get(api, params=params))

    def _post(self, api: str, data: dict[str, Any]) -> dict[str, Any]:
        return dict(self.client.post(api, data=data))

    def _paged(
        self, api: str, data: dict[str, Any], *, items_key: str, ends_on_is_last: bool = False
    ) -> Iterator[dict[str, Any]]:
        """The rows of a cursor-paged list API, page by page, following ``next_cursor`` until it is empty.

        ``ends_on_is_last`` is for the APIs that also answer ``is_last`` (get_unassigned_list):
        a page that says it is the last, or does not say, ends the walk too.
        """
        cursor = ""
        while True:
            page = self._post(api, {**data, "cursor": cursor})
            yield from page.get(items_key, [])
            cursor = page.get("next_cursor", "")
            if not cursor or (ends_on_is_last and page.get("is_last", True)):
                return

    def access_token(self) -> str:
        return self.client.access_token

    # --- directory -----------------------------------------------------------------

    def user(self, userid: str) -> dict[str, Any]:
        return dict(self.client.user.get(userid))

    def department_users(self, department_id: int = 1) -> list[dict[str, Any]]:
        return list(self._get("user/simplelist", department_id=department_id, fetch_child=1)["userlist"])

    def oauth_userid(self, code: str) -> str:
        """The member behind an OAuth code (sidebar sign-in). Raises if the code is not a member's."""
        result = self.client.oauth.get_user_info(code)
        userid = result.get("UserId") or result.get("userid")
        if not userid:
            raise WeComError("user/getuserinfo", None, "the code does not belong to a member of the corp")
        return str(userid)

    # --- external contacts -----------------------------------------------------------

    def external_contact(self, external_userid: str) -> dict[str, Any]:
        """``{"external_contact": {...}, "follow_user": [...]}``"""
        return dict(self.client.external_contact.get(external_userid))

    def external_userids_of(self, userid: str) -> list[str]:
        return list(self.client.external_contact.list(userid).get("external_userid", []))

    def contacts_by_users(self, userids: list[str], *, limit: int = 100) -> Iterator[dict[str, Any]]:
        """Every contact of the given members with the member's follow info, page by page."""
        return self._paged(
            "externalcontact/batch/get_by_user",
            {"userid_list": userids, "limit": limit},
            items_key="external_contact_list",
        )

    def remark(
        self, *, userid: str, external_userid: str, remark: str | None = None, description: str | None = None
    ) -> None:
        data: dict[str, Any] = {"userid": userid, "external_userid": external_userid}
        if remark is not None:
            data["remark"] = remark
        if description is not None:
            data["description"] = description
        self._post("externalcontact/remark", data)

    def mark_tag(self, *, userid: str, external_userid: str, add: list[str] = (), remove: list[str] = ()) -> None:  # type: ignore[assignment]
        self.client.external_contact.mark_tag(userid, external_userid, add_tag=list(add), remove_tag=list(remove))

    def send_welcome_msg(self, *, welcome_code: str, text: str, attachments: list[dict[str, Any]]) -> None:
        template: dict[str, Any] = {"welcome_code": welcome_code, "attachments": attachments}
        if text:
            template["text"] = {"content": text}
        self._post("externalcontact/send_welcome_msg", template)

    # --- corp tags -------------------------------------------------------------------

    def corp_tag_groups(self) -> list[dict[str, Any]]:
        return list(self.client.external_contact.get_corp_tag_list().get("tag_group", []))

    def add_corp_tags(self, *, group_name: str, tag_names: list[str]) -> dict[str, Any]:
        """Creates the tags (and the group, if new); returns the tag_group with the new ids."""
        data = {"group_name": group_name, "tag": [{"name": name} for name in tag_names]}
        return dict(self._post("externalcontact/add_corp_tag", data)["tag_group"])

    def edit_corp_tag(self, *, tag_id: str, name: str) -> None:
        self._post("externalcontact/edit_corp_tag", {"id": tag_id, "name": name})

    def delete_corp_tags(self, *, tag_ids: list[str]) -> None:
        self._post("externalcontact/del_corp_tag", {"tag_id": tag_ids})

    # --- contact ways (渠道活码) ---------------------------------------------------------

    def add_contact_way(
        self, *, users: list[str], state: str, remark: str = "", skip_verify: bool = True
    ) -> dict[str, Any]:
        """A QR-code contact way; returns ``{"config_id", "qr_code"}``."""
        data = {
            "type": 1 if len(users) == 1 else 2,
            "scene": 2,
            "user": users,
            "state": state,
            "remark": remark[:30],
            "skip_verify": skip_verify,
        }
        result = self._post("externalcontact/add_contact_way", data)
        return {"config_id": result["config_id"], "qr_code": result.get("qr_code", "")}

    def update_contact_way(self, *, config_id: str, users: list[str], state: str, skip_verify: bool) -> None:
        self._post(
            "externalcontact/update_contact_way",
            {"config_id": config_id, "user": users, "state": state, "skip_verify": skip_verify},
        )

    def contact_way(self, config_id: str) -> dict[str, Any]:
        return dict(self.client.external_contact.get_contact_way(config_id)["contact_way"])

    def contact_way_ids(self, *, start_time: int, end_time: int) -> list[str]:
        """Config ids created through the API in a time window (list_contact_way, paged)."""
        rows = self._paged(
            "externalcontact/list_contact_way",
            {"start_time": start_time, "end_time": end_time, "limit": 1000},
            items_key="contact_way",
        )
        return [row["config_id"] for row in rows]

    def delete_contact_way(self, config_id: str) -> None:
        self.client.external_contact.del_contact_way(config_id)

    # --- transfers (在职转接 / 离职继承) -------------------------------------------------------

    def transfer_customers(
        self, *, handover_userid: str, takeover_userid: str, external_userids: list[str], resigned: bool
    ) -> dict[str, int]:
        """Ask WeCom to move the relations; returns errcode per external userid (0 = accepted)."""
        api = "externalcontact/resigned/transfer_customer" if resigned else "externalcontact/transfer_customer"
        result = self._post(
            api,
            {
                "handover_userid": handover_userid,
                "takeover_userid": takeover_userid,
                "external_userid": external_userids,
            },
        )
        return {row["external_userid"]: int(row.get("errcode", 0)) for row in result.get("customer", [])}

    def transfer_results(self, *, handover_userid: str, takeover_userid: str, resigned: bool) -> dict[str, int]:
        """WeCom's status per external userid: 1 done, 2 waiting, 3 refused, 4 limit reached, 5 none."""
        api = "externalcontact/resigned/transfer_result" if resigned else "externalcontact/transfer_result"
        rows = self._paged(
            api, {"handover_userid": handover_userid, "takeover_userid": takeover_userid}, items_key="customer"
        )
        return {row["external_userid"]: int(row["status"]) for row in rows}

    def unassigned(self, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Customers of members who left (待分配离职成员的客户)."""
        return self._paged(
            "externalcontact/get_unassigned_list", {"page_size": page_size}, items_key="info", ends_on_is_last=True
        )

    # --- customer groups (客户群) -------------------------------------------------------

    def group_chat_ids(self, *, limit: int = 1000) -> list[str]:
        rows = self._paged(
            "externalcontact/groupchat/list", {"status_filter": 0, "limit": limit}, items_key="group_chat_list"
        )
        return [row["chat_id"] for row in rows]

    def group_chat(self, chat_id: str) -> dict[str, Any]:
        return dict(self._post("externalcontact/groupchat/get", {"chat_id": chat_id, "need_name": 1})["group_chat"])

    # --- 会话存档 (msgaudit) --------------------------------------------------------------

    def check_single_agree(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        """Whether each (member userid, external userid) pair agreed to chat archiving.

        WeCom spells the field ``exteranalopenid``; ``agree_status`` is Agree or Disagree.
        """
        info = [{"userid": userid, "exteranalopenid": external} for userid, external in pairs]
        answer = self._post("msgaudit/check_single_agree", {"info": info})
        agreed = dict.fromkeys(pairs, False)
        for row in answer.get("agreeinfo", []):
            agreed[(str(row["userid"]), str(row["exteranalopenid"]))] = row.get("agree_status") == "Agree"
        return agreed

    # --- mass messages (群发) ---------------------------------------------------------

    def add_msg_template(
        self,
        *,
        chat_type: str,
        sender: str,
        external_userids: list[str],
        text: str,
        attachments: list[dict[str, Any]],
        chat_ids: list[str] = (),  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """A mass-send task for ``sender`` to confirm in the client: ``{"msgid", "fail_list"}``.

        ``chat_type`` "single" goes to the given customers (≤ 10,000 a call); "group" to the
        sender's own customer groups: those of ``chat_ids`` (≤ 2,000), or all when it is empty.
        """
        template: dict[str, Any] = {"chat_type": chat_type, "sender": sender, "attachments": attachments}
        if text:
            template["text"] = {"content": text}
        if external_userids:
            template["external_userid"] = external_userids
        if chat_ids:
            template["chat_id_list"] = list(chat_ids)
        answer = self._post("externalcontact/add_msg_template", template)
        return {"msgid": answer["msgid"], "fail_list": list(answer.get("fail_list", []))}

    def group_msgs(
        self, *, creator: str, start_time: int, end_time: int, chat_type: str = "single"
    ) -> Iterator[dict[str, Any]]:
        """The company's mass sends by ``creator`` created in the window (≤ one month)."""
        return self._paged(
            "externalcontact/get_groupmsg_list_v2",
            {
                "chat_type": chat_type,
                "start_time": start_time,
                "end_time": end_time,
                "creator": creator,
                "filter_type": 0,
                "limit": 100,
            },
            items_key="group_msg_list",
        )

    def group_msg_tasks(self, msgid: str) -> list[dict[str, Any]]:
        """Each member's task of the message: status 0 not sent, 2 sent."""
        return list(
            self._paged("externalcontact/get_groupmsg_task", {"msgid": msgid, "limit": 1000}, items_key="task_list")
        )

    def group_msg_send_result(self, *, msgid: str, userid: str) -> list[dict[str, Any]]:
        """Per recipient: status 0 not sent, 1 sent, 2 not a friend, 3 over the receive quota."""
        return list(
            self._paged(
                "externalcontact/get_groupmsg_send_result",
                {"msgid": msgid, "userid": userid, "limit": 1000},
                items_key="send_list",
            )
        )

    def remind_group_msg(self, msgid: str) -> None:
        self._post("externalcontact/remind_groupmsg_send", {"msgid": msgid})

    def cancel_group_msg(self, msgid: str) -> None:
        self._post("externalcontact/cancel_groupmsg_send", {"msgid": msgid})

    # --- moments (客户朋友圈) ------------------------------------------------------------

    def add_moment_task(
        self, *, text: str, attachments: list[dict[str, Any]], userids: list[str], tag_ids: list[str]
    ) -> str:
        """Create a moments task for ``userids`` to publish; WeCom creates it behind the returned jobid."""
        task: dict[str, Any] = {"attachments": attachments, "visible_range": {"sender_list": {"user_list": userids}}}
        if text:
            task["text"] = {"content": text}
        if tag_ids:
            task["visible_range"]["external_contact_list"] = {"tag_list": tag_ids}
        return str(self._post("externalcontact/add_moment_task", task)["jobid"])

    def moment_task_result(self, jobid: str) -> dict[str, Any]:
        """``{"status": 1 | 2 | 3, "result": {"moment_id", ...}}``; the result is there once status is 3."""
        return self._get("externalcontact/get_moment_task_result", jobid=jobid)

    def moments(self, *, start_time: int, end_time: int) -> Iterator[dict[str, Any]]:
        """The company-created moments of the window (≤ 30 days)."""
        return self._paged(
            "externalcontact/get_moment_list",
            {"start_time": start_time, "end_time": end_time, "filter_type": 0, "limit": 100},
            items_key="moment_list",
        )

    def moment_tasks(self, moment_id: str) -> list[dict[str, Any]]:
        """Each member's publish status: 0 not published, 1 published."""
        return list(
            self._paged(
                "externalcontact/get_moment_task", {"moment_id": moment_id, "limit": 1000}, items_key="task_list"
            )
        )

    def moment_send_result(self, *, moment_id: str, userid: str) -> list[str]:
        """The customers the member's published moment reached."""
        rows = self._paged(
            "externalcontact/get_moment_send_result",
            {"moment_id": moment_id, "userid": userid, "limit": 5000},
            items_key="customer_list",
        )
        return [row["external_userid"] for row in rows]

    def cancel_moment_task(self, moment_id: str) -> None:
        self._post("externalcontact/cancel_moment_task", {"moment_id": moment_id})

    # --- temporary media ------------------------------------------------------------------

    def upload_media(self, *, media_type: str, file_name: str, content: bytes, content_type: str) -> dict[str, Any]:
        """``media/upload`` (multipart field ``media``): ``{"type", "media_id", "created_at"}``, valid 3 days.

        ``content`` is bytes, not a file, so a retried attempt sends the whole file again.
        """
        return self._upload("media/upload", {"type": media_type}, file_name, content, content_type)

    def upload_attachment(
        self, *, media_type: str, file_name: str, content: bytes, content_type: str, attachment_type: int = 1
    ) -> dict[str, Any]:
        """``media/upload_attachment``: media for moments (``attachment_type`` 1), images and videos only."""
        params = {"media_type": media_type, "attachment_type": attachment_type}
        return self._upload("media/upload_attachment", params, file_name, content, content_type)

    def _upload(
        self, api: str, params: dict[str, Any], file_name: str, content: bytes, content_type: str
    ) -> dict[str, Any]:
        result = self.client.post(
            api,
            params=params,
            files={"media": (file_name, content, content_type)},
            timeout=settings.WECOM_MEDIA_UPLOAD_TIMEOUT_SECONDS,
        )
        return {"type": result.get("type", ""), "media_id": result["media_id"], "created_at": int(result["created_at"])}

    # --- app messages (应用消息) -------------------------------------------------------------

    def send_app_message(self, *, touser: list[str], text: str, duplicate_check_seconds: int = 1800) -> dict[str, Any]:
        """A text message from the product's app to members (message/send): ``{"msgid", "invaliduser"}``.

        WeCom drops more than 30 a minute to one member (WECOM.md §6), so callers send digests.
        With the duplicate check on, WeCom does not deliver the same text to the same member
        again within ``duplicate_check_seconds``: a resend after an unknown outcome reaches nobody twice.
        """
        data = {
            "touser": "|".join(touser),
            "msgtype": "text",
            "agentid": int(self.agent_id) if self.agent_id.isdigit() else self.agent_id,
            "text": {"content": text},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": duplicate_check_seconds,
        }
        answer = self._post("message/send", data)
        invalid = [userid for userid in str(answer.get("invaliduser", "")).split("|") if userid]
        return {"msgid": str(answer.get("msgid", "")), "invaliduser": invalid}

    # --- JS-SDK ------------------------------------------------------------------------

    def _ticket(self, kind: str) -> str:
        """The corp (``jsapi``) or app (``agent_config``) ticket, cached in Redis like the token."""
        key = f"{self.client.session.prefix}:ticket:{self.corp_id}:{kind}"
        cached = redis_client().get(key)
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        result = self.client.jsapi.get_agent_ticket() if kind == "agent_config" else self.client.jsapi.get_ticket()
        ticket = str(result["ticket"])
        redis_client().set(key, ticket, ex=max(int(result.get("expires_in", 7200)) - _TOKEN_MARGIN_SECONDS, 60))
        return ticket

    def jssdk_signature(self, *, url: str, agent: bool) -> JsSdkSignature:
        """Signature for ``wx.config`` (corp ticket) or ``wx.agentConfig`` (app ticket) on ``url``."""
        ticket = self._ticket("agent_config" if agent else "jsapi")
        nonce = "".join(random.choices(string.ascii_letters + string.digits, k=16))  # noqa: S311 - a nonce, not a key
        timestamp = int(time.time())
        plain = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url.split('#')[0]}"
        signature = hashlib.sha1(plain.encode()).hexdigest()  # noqa: S324 - WeCom's algorithm
        return JsSdkSignature(
            corp_id=self.corp_id, agent_id=self.agent_id, timestamp=timestamp, nonce_str=nonce, signature=signature
        )


def wecom() -> WeComGateway:
    """The process's gateway for the configured corp (one per configuration, reused)."""
    return _gateway(
        settings.WECOM_CORP_ID,
        settings.WECOM_CORP_SECRET,
        settings.WECOM_AGENT_ID,
        settings.WECOM_API_BASE_URL,
        settings.WECOM_HTTP_TIMEOUT_SECONDS,
    )


@cache
def _gateway(corp_id: str, secret: str, agent_id: str, base_url: str, timeout: float) -> WeComGateway:
    return WeComGateway(corp_id=corp_id, secret=secret, agent_id=agent_id, base_url=base_url, timeout=timeout)


__all__ = [
    "JsSdkSignature",
    "WeComError",
    "WeComGateway",
    "WeComOutcomeUnknownError",
    "WeComRateLimitedError",
    "WeComTransientError",
    "wecom",
]
