"""Build callbacks the way WeCom sends them, signed and encrypted with the configured token and key."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.test import Client

from channels.wecom.crypto import CallbackCrypto, EncryptedCallback

URL = "/wecom/callback/"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wecom"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def crypto(*, receive_id: str | None = None, token: str | None = None) -> CallbackCrypto:
    return CallbackCrypto(
        token=token or settings.WECOM_CALLBACK_TOKEN,
        encoding_aes_key=settings.WECOM_CALLBACK_AES_KEY,
        receive_id=receive_id or settings.WECOM_CORP_ID,
    )


def fresh_nonce() -> str:
    # Redis outlives test databases: a nonce must be new on every run.
    return uuid.uuid4().hex[:10]


def encrypt(
    xml: str,
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
    receive_id: str | None = None,
    token: str | None = None,
) -> EncryptedCallback:
    return crypto(receive_id=receive_id, token=token).encrypt_callback(
        xml, timestamp=str(int(time.time()) if timestamp is None else timestamp), nonce=nonce or fresh_nonce()
    )


def post(client: Client, callback: EncryptedCallback, **overrides: str) -> HttpResponse:
    query = {"msg_signature": callback.msg_signature, "timestamp": callback.timestamp, "nonce": callback.nonce}
    query.update(overrides)
    return client.post(f"{URL}?{urlencode(query)}", data=callback.body, content_type="text/xml")


def contact_event(
    *, change_type: str = "add_external_contact", user_id: str = "zhangsan", external_user_id: str, create_time: int
) -> str:
    """A self-built app's change_external_contact event, shaped like WeCom's published example."""
    return (
        f"<xml><ToUserName><![CDATA[{settings.WECOM_CORP_ID}]]></ToUserName>"
        "<FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        f"<ChangeType><![CDATA[{change_type}]]></ChangeType>"
        f"<UserID><![CDATA[{user_id}]]></UserID>"
        f"<ExternalUserID><![CDATA[{external_user_id}]]></ExternalUserID>"
        "<State><![CDATA[teststate]]></State>"
        "<WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>"
    )
