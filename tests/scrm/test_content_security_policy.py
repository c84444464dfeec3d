"""The Content-Security-Policy header: scripts from the product only, WeCom's hosts as configured."""

import pytest

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


def test_pages_allow_scripts_from_the_product_only_and_no_framing(client_for, settings) -> None:
    settings.WECOM_JSSDK_URL = ""

    policy = _policy(client_for("rm").get("/"))

    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_the_configured_wecom_hosts_are_allowed_where_the_pages_use_them(client_for, settings) -> None:
    settings.WECOM_JSSDK_URL = "https://res.wx.qq.com/open/js/jweixin-1.2.0.js"
    settings.WECOM_SANDBOX_URL = "http://127.0.0.1:8123"
    settings.CSP_IMAGE_HOSTS = ["https://wework.qpic.cn"]

    policy = _policy(client_for("rm").get("/"))

    assert policy["script-src"] == ["'self'", "https://res.wx.qq.com"]
    assert policy["img-src"] == ["'self'", "data:", "https://wework.qpic.cn", "http://127.0.0.1:8123"]
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8123"]


def test_without_a_sandbox_nothing_but_the_product_is_reachable(client_for, settings) -> None:
    settings.WECOM_SANDBOX_URL = ""

    policy = _policy(client_for("rm").get("/"))

    assert policy["connect-src"] == ["'self'"]
