"""A small typed client for the sandbox's control API (not for WeCom's API: use the gateway).

Tests and the product's demo pages drive the sandbox through this, e.g.::

    sandbox = SandboxControl("http://127.0.0.1:8001")
    sandbox.upsert_directory(users=[{"userid": "rm_li", "name": "李经理", "department": [1]}])
    outcome = sandbox.scan(config_id=config_id, customer={"name": "王女士"})
    sandbox.advance_clock(21)  # the welcome code has now expired

Answers are the control API's JSON, returned as it is; a non-2xx answer raises
``SandboxControlError`` with the sandbox's message.
"""

from __future__ import annotations

from typing import Any, TypedDict

import requests


class SandboxControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class CallbackDelivery(TypedDict):
    id: int
    status: int | None  # the last attempt's HTTP status; None if nothing answered
    attempts: int
    delivered: bool
    deliver: bool


class ScanResult(TypedDict):
    external_userid: str
    userid: str
    welcome_code: str | None
    config_id: str
    callback: CallbackDelivery


class SandboxControl:
    """The control API of one running sandbox, at ``base_url`` (e.g. ``http://127.0.0.1:8001``)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = session or requests.Session()

    # --- WeCom side ------------------------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        """Where the sandbox serves WeCom's API: the product's WECOM_API_BASE_URL."""
        return f"{self.base_url}/cgi-bin/"

    def access_token(self) -> str:
        """A live access token for the sandbox corp, fetched the way the product fetches one."""
        config = self.config()
        answer = self._http.get(
            f"{self.api_base_url}gettoken",
            params={"corpid": config["corp_id"], "corpsecret": config["corp_secret"]},
            timeout=self.timeout,
        ).json()
        if answer.get("errcode"):
            raise SandboxControlError(200, str(answer))
        return str(answer["access_token"])

    # --- setup ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Wipe everything except the --directory staff file, which is read again."""
        self._post("reset")

    def state(self) -> dict[str, Any]:
        return self._get("state")

    def config(self) -> dict[str, Any]:
        """The corp (id, secret, agent, token, AES key, public URL) and the run-time settings."""
        return self._get("config")

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change run-time settings: callback_url, token_ttl, rate_limit_per_minute, rate_limits
        ({api: per minute}), callback_timeout, callback_attempts, callback_retry_delay,
        welcome_code_ttl, oauth_code_ttl, groupmsg_daily_quota, corp_tag_limit, contact_way_user_limit."""
        return self._post("config", settings)

    def now(self) -> float:
        return float(self._get("clock")["now"])

    def advance_clock(self, seconds: float) -> float:
        return float(self._post("clock", {"advance_seconds": seconds})["now"])

    def expire_tokens(self) -> int:
        return int(self._post("tokens/expire")["expired"])

    def upsert_directory(
        self, *, users: list[dict[str, Any]] | None = None, departments: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Add or update staff ({userid, name, department: [ids], status: 1 | 5 departed}) and departments."""
        return self._post("users", {"users": users or [], "departments": departments or []})

    def seed_contacts(self, contacts: list[dict[str, Any]]) -> list[str]:
        """Create customers and relations without callbacks:
        [{name, unionid?, external_userid?, follow: [{userid, remark?, state?, tags?, createtime?}]}]."""
        return list(self._post("contacts", {"contacts": contacts})["external_userids"])

    def app_messages(self, userid: str) -> list[dict[str, Any]]:
        """App messages (message/send) to a member: content, at, delivered, dropped ("", duplicate, member_limit)."""
        return list(self._get("app_messages", {"userid": userid})["messages"])

    # --- faults and logs -----------------------------------------------------------------------

    def add_fault(
        self,
        api: str,
        *,
        errcode: int | None = None,
        times: int = 1,
        mode: str = "error",
        seconds: float | None = None,
        after: int = 0,
    ) -> dict[str, Any]:
        """The next ``times`` calls to ``api`` ("*" for any) answer ``errcode`` without effect, or,
        with ``mode="apply_then_hang"``, take effect and then hold the answer ``seconds``;
        ``after`` lets that many calls through untouched first."""
        body: dict[str, Any] = {"api": api, "times": times, "mode": mode, "after": after}
        if errcode is not None:
            body["errcode"] = errcode
        if seconds is not None:
            body["seconds"] = seconds
        return self._post("faults", body)

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    def calls(self, api: str | None = None) -> list[dict[str, Any]]:
        """WeCom API calls received: api, method, query (token removed), body, errcode, at."""
        return self._get("calls", params={"api": api} if api else None)

    def callbacks(self, *, change_type: str | None = None, event: str | None = None) -> list[dict[str, Any]]:
        """Callbacks sent: plaintext event XML, signed body, attempts, last HTTP status, delivered."""
        params = {k: v for k, v in {"change_type": change_type, "event": event}.items() if v}
        return self._get("callbacks", params=params or None)

    def redeliver(self, number: int) -> CallbackDelivery:
        """Send callback ``number`` again, freshly signed with a new nonce (what WeCom's retry does)."""
        return self._post(f"callbacks/{number}/redeliver")

    def replay(self, number: int) -> CallbackDelivery:
        """Send callback ``number`` again byte for byte, same nonce and timestamp (a replay)."""
        return self._post(f"callbacks/{number}/replay")

    # --- people ----------------------------------------------------------------------------------

    def scan(
        self,
        *,
        customer: dict[str, Any],
        config_id: str | None = None,
        state: str | None = None,
        half: bool = False,
        deliver: bool = True,
    ) -> ScanResult:
        """A customer ({name, unionid?, external_userid?, gender?, avatar?}) scans a contact way."""
        body: dict[str, Any] = {"customer": customer, "half": half, "deliver": deliver}
        if config_id:
            body["config_id"] = config_id
        if state:
            body["state"] = state
        return self._post("simulate/scan", body)

    def customer_deletes_staff(self, *, userid: str, external_userid: str, deliver: bool = True) -> dict[str, Any]:
        return self._simulate("customer_deletes_staff", userid=userid, external_userid=external_userid, deliver=deliver)

    def staff_deletes_customer(self, *, userid: str, external_userid: str, deliver: bool = True) -> dict[str, Any]:
        return self._simulate("staff_deletes_customer", userid=userid, external_userid=external_userid, deliver=deliver)

    def edit_contact(self, *, userid: str, external_userid: str, deliver: bool = True, **fields: Any) -> dict[str, Any]:
        """The RM edits remark / description / remark_mobiles in the client."""
        return self._simulate("edit_contact", userid=userid, external_userid=external_userid, deliver=deliver, **fields)

    def confirm_groupmsg(self, *, msgid: str, userid: str) -> dict[str, Any]:
        """The RM confirms a mass-send task; recipients get status 1 sent, 2 not a friend, 3 quota used."""
        return self._simulate("confirm_groupmsg", msgid=msgid, userid=userid)

    def ignore_groupmsg(self, *, msgid: str, userid: str) -> dict[str, Any]:
        """The RM leaves the task unsent (the sandbox page stops offering it)."""
        return self._simulate("ignore_groupmsg", msgid=msgid, userid=userid)

    def publish_moment(self, *, moment_id: str, userid: str) -> dict[str, Any]:
        """The RM publishes a moments task in the client; it reaches the customers it is visible to."""
        return self._simulate("publish_moment", moment_id=moment_id, userid=userid)

    def member_tasks(self, userid: str) -> dict[str, Any]:
        """The group messages and moments the member still has to send."""
        return dict(self._get("tasks", {"userid": userid}))

    def transfer_outcome(
        self, *, external_userid: str, accept: bool = True, limit_exceeded: bool = False, deliver: bool = True
    ) -> dict[str, Any]:
        return self._simulate(
            "transfer_outcome",
            external_userid=external_userid,
            accept=accept,
            limit_exceeded=limit_exceeded,
            deliver=deliver,
        )

    def group_create(
        self, *, owner: str, name: str, members: list[str] | None = None, deliver: bool = True
    ) -> dict[str, Any]:
        return self._simulate("group_create", owner=owner, name=name, members=members or [], deliver=deliver)

    def group_join(
        self,
        *,
        chat_id: str,
        external_userid: str | None = None,
        userid: str | None = None,
        join_scene: int = 1,
        deliver: bool = True,
    ) -> dict[str, Any]:
        return self._simulate(
            "group_join",
            chat_id=chat_id,
            external_userid=external_userid,
            userid=userid,
            join_scene=join_scene,
            deliver=deliver,
        )

    def group_leave(
        self,
        *,
        chat_id: str,
        external_userid: str | None = None,
        userid: str | None = None,
        quit_scene: int = 0,
        deliver: bool = True,
    ) -> dict[str, Any]:
        return self._simulate(
            "group_leave",
            chat_id=chat_id,
            external_userid=external_userid,
            userid=userid,
            quit_scene=quit_scene,
            deliver=deliver,
        )

    def group_update(self, *, chat_id: str, deliver: bool = True, **changes: str) -> dict[str, Any]:
        """Rename, change the notice or the owner: one callback per change."""
        return self._simulate("group_update", chat_id=chat_id, deliver=deliver, **changes)

    def group_dismiss(self, *, chat_id: str, deliver: bool = True) -> dict[str, Any]:
        return self._simulate("group_dismiss", chat_id=chat_id, deliver=deliver)

    def tag_console(self, *, action: str, deliver: bool = True, **fields: Any) -> dict[str, Any]:
        """An admin edits corp tags in the console: create {group_name|group_id, name}, update {id, name?,
        order?}, delete {id}."""
        return self._simulate("tag_console", action=action, deliver=deliver, **fields)

    def oauth_code(self, userid: str) -> str:
        """A one-time OAuth code, as WeCom appends to the redirect after the RM opens the app."""
        return str(self._simulate("oauth_code", userid=userid)["code"])

    def open_chat(self, *, userid: str, external_userid: str) -> dict[str, Any]:
        return self._simulate("open_chat", userid=userid, external_userid=external_userid)

    def current_external_contact(self, userid: str) -> str:
        return str(self._get("jssdk/current_external_contact", params={"userid": userid})["external_userid"])

    def send_chat_message(self, *, userid: str, msgtype: str = "text", **payload: Any) -> dict[str, Any]:
        """What the sidebar's sendChatMessage does: ``text={"content": ...}``, ``link={...}``..."""
        return self._post("jssdk/send_chat_message", {"userid": userid, "msgtype": msgtype, **payload})

    def chat_messages(self, external_userid: str | None = None) -> list[dict[str, Any]]:
        return self._get("chat_messages", params={"external_userid": external_userid} if external_userid else None)

    def welcome_messages(self, external_userid: str | None = None) -> list[dict[str, Any]]:
        return self._get("welcome_messages", params={"external_userid": external_userid} if external_userid else None)

    def deliveries(self, external_userid: str | None = None, *, kind: str | None = None) -> list[dict[str, Any]]:
        """Everything customers received: welcome, groupmsg, chat, transfer_notice."""
        params = {k: v for k, v in {"external_userid": external_userid, "kind": kind}.items() if v}
        return self._get("deliveries", params=params or None)

    # --- 会话存档 (the Finance SDK's side is served under /finance/) ----------------------------

    @property
    def finance_base_url(self) -> str:
        """Where the sandbox serves the Finance SDK's calls: the product's WECOM_ARCHIVE_SANDBOX_URL."""
        return f"{self.base_url}/finance/"

    def archive_set_public_key(self, *, version: int, pem: str) -> dict[str, Any]:
        """The corp's archive RSA public key (PEM) of ``version``; new records use the highest version."""
        return self._post("archive/public_key", {"version": version, "pem": pem})

    def archive_post(self, *messages: dict[str, Any]) -> list[dict[str, Any]]:
        """Archive messages: ``{from, to | tolist, roomid?, msgtype: text | image | file | revoke,
        text: {content} | image: {size?} | file: {filename, size?} | revoke: {pre_msgid}, msgtime? (ms)}``.
        Returns each one's ``{seq, msgid, message}``."""
        return list(self._post("archive/messages", {"messages": list(messages)})["posted"])

    def archive_conversation(
        self, *, userid: str, external_userid: str, lines: list[dict[str, str]], minutes_ago: float = 30
    ) -> list[dict[str, Any]]:
        """A 1:1 text conversation, ``lines`` of ``{"by": "staff" | "customer", "text": ...}``, a minute apart."""
        body = {"userid": userid, "external_userid": external_userid, "lines": lines, "minutes_ago": minutes_ago}
        return list(self._post("archive/conversation", body)["posted"])

    def archive_agree(
        self, *, userid: str, external_userid: str, agree: bool = True, deliver: bool = True
    ) -> dict[str, Any]:
        """The contact agrees to archiving with the member (sends msg_audit_approved) or refuses."""
        body = {"userid": userid, "external_userid": external_userid, "agree": agree, "deliver": deliver}
        return self._post("archive/agree", body)

    def archive_corrupt(self, *, seq: int, part: str) -> dict[str, Any]:
        """Flip a byte of record ``seq``'s ``random_key`` or ``message``."""
        return self._post("archive/corrupt", {"seq": seq, "part": part})

    def archive_records(self) -> list[dict[str, Any]]:
        """The encrypted records the archive still holds (five days), with their msgtime."""
        return list(self._get("archive/records"))

    # --- transport -----------------------------------------------------------------------------

    def _simulate(self, name: str, /, **body: Any) -> dict[str, Any]:
        return self._post(f"simulate/{name}", {k: v for k, v in body.items() if v is not None})

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._request("POST", path, json=body or {})

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, f"{self.base_url}/sandbox/{path}", timeout=self.timeout, **kwargs)
        if response.status_code >= 300:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text
            raise SandboxControlError(response.status_code, str(message))
        return response.json()
