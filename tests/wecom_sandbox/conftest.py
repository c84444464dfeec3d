"""Helpers for driving the sandbox the way the product drives WeCom: plain HTTP and real crypto."""

from dataclasses import dataclass
from typing import Any

import pytest
import requests
import xmltodict

from channels.wecom.crypto import CallbackCrypto
from tests.support.wecom_sandbox import ReceivedCallback
from wecom_sandbox.client import SandboxControl

DEPARTMENTS = [
    {"id": 1, "name": "总行", "parentid": 0},
    {"id": 2, "name": "北京分行", "parentid": 1},
    {"id": 3, "name": "海淀支行", "parentid": 2},
]
STAFF = [
    {"userid": "rm_li", "name": "李经理", "department": [3]},
    {"userid": "rm_wang", "name": "王经理", "department": [3]},
    {"userid": "rm_zhao", "name": "赵经理", "department": [2]},
]


@dataclass
class WeCom:
    """WeCom's API on the sandbox, called with requests as any WeCom client would."""

    base_url: str
    token: str

    def get(self, api: str, **params: Any) -> dict[str, Any]:
        return requests.get(self.base_url + api, params={"access_token": self.token, **params}, timeout=10).json()

    def post(self, api: str, body: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
        params = {"access_token": self.token, **params}
        return requests.post(self.base_url + api, params=params, json=body or {}, timeout=10).json()


@pytest.fixture
def wecom(sandbox: SandboxControl, sandbox_token: str) -> WeCom:
    return WeCom(sandbox.api_base_url, sandbox_token)


@pytest.fixture
def staff(sandbox: SandboxControl) -> list[dict[str, Any]]:
    """李 and 王 in 海淀支行, 赵 in 北京分行."""
    sandbox.upsert_directory(departments=DEPARTMENTS, users=STAFF)
    return STAFF


@pytest.fixture
def crypto(sandbox: SandboxControl) -> CallbackCrypto:
    config = sandbox.config()
    return CallbackCrypto(
        token=config["callback_token"], encoding_aes_key=config["callback_aes_key"], receive_id=config["corp_id"]
    )


def decrypt(crypto: CallbackCrypto, received: ReceivedCallback) -> dict[str, Any]:
    """The event a received callback carries, after checking its signature as the product does."""
    xml = crypto.decrypt_callback(
        body=received.body,
        msg_signature=received.query["msg_signature"],
        timestamp=received.query["timestamp"],
        nonce=received.query["nonce"],
    )
    return xmltodict.parse(xml)["xml"]


def contact_way(wecom: WeCom, **fields: Any) -> str:
    answer = wecom.post("externalcontact/add_contact_way", {"type": 1, "scene": 2, "user": ["rm_li"], **fields})
    assert answer["errcode"] == 0, answer
    return str(answer["config_id"])
