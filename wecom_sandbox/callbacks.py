"""Callbacks as WeCom sends them to a self-built app: event XML, encrypted, signed, retried.

The event XML follows WeCom's documented examples for self-built apps (ToUserName is the
corp id, FromUserName ``sys``, CDATA text). Delivery is what WeCom does: POST to the
callback URL with ``?msg_signature=&timestamp=&nonce=``; a non-2xx answer or none within
the timeout (5 s) is retried, 3 attempts in all. Every delivery is logged so tests can
redeliver it (freshly signed, as WeCom's own retry) or replay it byte for byte.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable
from typing import Any

import requests

from wecom_sandbox.crypto import CallbackSigner
from wecom_sandbox.errors import ControlError
from wecom_sandbox.state import CALLBACKS_KEPT, SandboxState

logger = logging.getLogger(__name__)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class RawXml(str):
    """Markup placed in an event as it is (e.g. ``<MemChangeList><Item>…</Item></MemChangeList>``)."""

    __slots__ = ()


def event_xml(
    *, corp_id: str, create_time: int, event: str, fields: Iterable[tuple[str, str | int | None]] = ()
) -> str:
    """``<xml>`` for one event; text in CDATA, numbers bare, absent (None) fields left out."""
    parts = [
        f"<ToUserName>{_cdata(corp_id)}</ToUserName>",
        f"<FromUserName>{_cdata('sys')}</FromUserName>",
        f"<CreateTime>{create_time}</CreateTime>",
        f"<MsgType>{_cdata('event')}</MsgType>",
        f"<Event>{_cdata(event)}</Event>",
    ]
    for name, value in fields:
        if value is None:
            continue
        if isinstance(value, int | RawXml):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            parts.append(f"<{name}>{_cdata(value)}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


class PendingEvent:
    """An event decided inside a state change, sent once the lock is released."""

    def __init__(self, xml: str, *, event: str, change_type: str) -> None:
        self.xml = xml
        self.event = event
        self.change_type = change_type


class CallbackSender:
    """Encrypts, signs, POSTs and logs callbacks; never holds the state lock over the network."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.signer = CallbackSigner(
            token=state.corp.callback_token,
            encoding_aes_key=state.corp.callback_aes_key,
            corp_id=state.corp.corp_id,
        )

    def send_all(self, events: list[PendingEvent], *, deliver: bool = True) -> list[dict[str, Any]]:
        return [self.send(e, deliver=deliver) for e in events]

    def send(self, event: PendingEvent, *, deliver: bool = True) -> dict[str, Any]:
        """Sign and send one event; ``deliver=False`` logs it as a callback WeCom dropped."""
        timestamp = str(self.state.now_int())
        nonce = secrets.token_hex(8)
        signed = self.signer.sign(event.xml, timestamp=timestamp, nonce=nonce, agent_id=self.state.corp.agent_id)
        entry = self._log(
            {
                "kind": "original",
                "of": None,
                "event": event.event,
                "change_type": event.change_type,
                "plaintext": event.xml,
                "body": signed.body,
                "msg_signature": signed.msg_signature,
                "timestamp": signed.timestamp,
                "nonce": signed.nonce,
                "deliver": deliver,
            }
        )
        return self._deliver(entry) if deliver else self._summary(entry)

    def redeliver(self, number: int) -> dict[str, Any]:
        """The same event again, freshly encrypted and signed with a new nonce: a WeCom retry."""
        original = self._find(number)
        pending = PendingEvent(original["plaintext"], event=original["event"], change_type=original["change_type"])
        timestamp = str(self.state.now_int())
        signed = self.signer.sign(
            pending.xml, timestamp=timestamp, nonce=secrets.token_hex(8), agent_id=self.state.corp.agent_id
        )
        entry = self._log(
            {
                **{k: original[k] for k in ("event", "change_type", "plaintext")},
                "kind": "redeliver",
                "of": number,
                "body": signed.body,
                "msg_signature": signed.msg_signature,
                "timestamp": signed.timestamp,
                "nonce": signed.nonce,
                "deliver": True,
            }
        )
        return self._deliver(entry)

    def replay(self, number: int) -> dict[str, Any]:
        """The exact same signed request again (same nonce and timestamp): a replay attack."""
        original = self._find(number)
        entry = self._log(
            {
                **{k: original[k] for k in ("event", "change_type", "plaintext", "body", "msg_signature")},
                **{k: original[k] for k in ("timestamp", "nonce")},
                "kind": "replay",
                "of": number,
                "deliver": True,
            }
        )
        return self._deliver(entry)

    # --- internals ---------------------------------------------------------------------

    def _find(self, number: int) -> dict[str, Any]:
        with self.state.lock:
            for entry in self.state.data["callbacks"]:
                if entry["id"] == number:
                    return dict(entry)
        raise ControlError(f"no callback number {number}", status=404)

    def _log(self, fields: dict[str, Any]) -> dict[str, Any]:
        with self.state.mutate() as data:
            entry = {
                "id": self.state.next_seq("callback"),
                "url": data["config"]["callback_url"],
                "created_at": self.state.now_int(),
                "attempts": 0,
                "attempt_log": [],
                "status": None,
                "delivered": False,
                **fields,
            }
            data["callbacks"].append(entry)
            del data["callbacks"][:-CALLBACKS_KEPT]
            return entry

    def _deliver(self, entry: dict[str, Any]) -> dict[str, Any]:
        config = self.state.config
        url = entry["url"]
        attempts = max(1, int(config["callback_attempts"]))
        timeout = float(config["callback_timeout"])
        params = {"msg_signature": entry["msg_signature"], "timestamp": entry["timestamp"], "nonce": entry["nonce"]}
        if not url:
            return self._summary(entry)
        for attempt in range(1, attempts + 1):
            record: dict[str, Any] = {"attempt": attempt, "at": self.state.now_int(), "status": None, "error": None}
            try:
                response = requests.post(
                    url,
                    params=params,
                    data=entry["body"].encode("utf-8"),
                    headers={"Content-Type": "text/xml; charset=utf-8", "User-Agent": "WeCom-Sandbox"},
                    timeout=timeout,
                )
                record["status"] = response.status_code
            except requests.RequestException as exc:
                record["error"] = type(exc).__name__
            with self.state.mutate():
                entry["attempts"] = attempt
                entry["attempt_log"].append(record)
                entry["status"] = record["status"]
                entry["delivered"] = record["status"] is not None and 200 <= record["status"] < 300
            if entry["delivered"]:
                break
            logger.info(
                "callback=%s attempt=%s status=%s error=%s", entry["id"], attempt, record["status"], record["error"]
            )
            if attempt < attempts and config["callback_retry_delay"]:
                time.sleep(float(config["callback_retry_delay"]))
        return self._summary(entry)

    @staticmethod
    def _summary(entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": entry["id"],
            "status": entry["status"],
            "attempts": entry["attempts"],
            "delivered": entry["delivered"],
            "deliver": entry["deliver"],
        }
