"""wx.config and wx.agentConfig signatures, checked against the tickets the sandbox issued."""

import hashlib

import pytest
import requests
from django.test import Client

from tests.conftest import World
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db

PAGE = "http://testserver/sidebar/"


def _ticket(sandbox: SandboxControl, api: str, **params: str) -> str:
    answer = requests.get(
        f"{sandbox.api_base_url}{api}", params={"access_token": sandbox.access_token(), **params}, timeout=10
    ).json()
    return str(answer["ticket"])


def _sha1(*, ticket: str, nonce: str, timestamp: int, url: str) -> str:
    plain = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode()).hexdigest()  # noqa: S324 - WeCom's algorithm


def test_the_config_is_signed_with_the_corp_ticket_and_the_agent_config_with_the_app_ticket(
    sandbox_staff: World, wecom_at_sandbox: SandboxControl, client_for, settings
) -> None:
    response = client_for("rm").get("/sidebar/jssdk/config/", {"url": PAGE + "#ignored"})

    assert response.status_code == 200
    body = response.json()
    config, agent = body["config"], body["agentConfig"]
    assert config["appId"] == agent["corpid"] == settings.WECOM_CORP_ID
    assert agent["agentid"] == settings.WECOM_AGENT_ID
    assert config["jsApiList"] == agent["jsApiList"] == ["getContext", "getCurExternalContact", "sendChatMessage"]
    corp_ticket = _ticket(wecom_at_sandbox, "get_jsapi_ticket")
    app_ticket = _ticket(wecom_at_sandbox, "ticket/get", type="agent_config")
    assert corp_ticket != app_ticket
    assert config["signature"] == _sha1(
        ticket=corp_ticket, nonce=config["nonceStr"], timestamp=config["timestamp"], url=PAGE
    )
    assert agent["signature"] == _sha1(
        ticket=app_ticket, nonce=agent["nonceStr"], timestamp=agent["timestamp"], url=PAGE
    )


@pytest.mark.parametrize("url", ["https://evil.example/sidebar/", "javascript:alert(1)", ""])
def test_only_pages_of_this_site_are_signed(sandbox_staff: World, client_for, url: str) -> None:
    response = client_for("rm").get("/sidebar/jssdk/config/", {"url": url})

    assert response.status_code == 400


def test_a_caller_without_a_session_is_asked_to_sign_in_again(world: World) -> None:
    response = Client().get("/sidebar/jssdk/config/", {"url": PAGE})

    assert response.status_code == 401
    assert response["HX-Redirect"] == "/sidebar/"
