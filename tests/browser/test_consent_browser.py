"""Consent as people see it, in Chromium: the customer's preference page on a phone, the RM's
opt-out in the chat sidebar, the history on the customer 360 page — all under the CSP."""

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from customers.consent.links import consent_preference_link
from customers.consent.services import consent_set
from customers.models import ConsentRecord, Customer
from scrm.core.redis import redis_client
from tests.conftest import World
from tests.customers.consent.conftest import rate_limit_counters_clear
from tests.factories import ExternalContactFactory, FollowRelationFactory
from tests.support.wecom_sandbox import running_sandbox
from wecom_sandbox.client import SandboxControl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Page, name: str) -> None:
    """A full-page screenshot into ``SCRM_SCREENSHOTS``, when set, for people to look at."""
    if folder := os.environ.get("SCRM_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized page, as WeChat's in-app browser opens a link from a message."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _violations(page: Page) -> list[str]:
    found: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", watch)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def test_a_customer_opts_out_on_their_phone_and_back_in(world: World, live_server, phone: Page, settings) -> None:
    rate_limit_counters_clear()
    customer = world.customers_rm_bj[0]
    Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)
    settings.PUBLIC_BASE_URL = live_server.url
    violations = _violations(phone)

    response = phone.goto(consent_preference_link(customer.pk))

    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(phone.locator("#preferences-bank")).to_have_text(django_settings.BANK_NAME)
    expect(phone.locator("main")).to_contain_text("尊敬的张*：")
    expect(phone.locator("main")).not_to_contain_text("张三")
    _shot(phone, "consent-h5-status")

    phone.locator("#preferences-opt-out").click()
    expect(phone.locator("#preferences-confirm")).to_contain_text("确定不再接收营销消息吗？")
    _shot(phone, "consent-h5-confirm")
    phone.locator("#preferences-confirm-button").click()

    expect(phone.locator("#preferences-done")).to_contain_text("您将不再收到我们的营销消息")
    expect(phone.locator("#preferences-status")).to_have_attribute("data-marketing", "false")
    _shot(phone, "consent-h5-done")
    customer.refresh_from_db()
    assert customer.marketing_consent is False

    phone.locator("#preferences-opt-in").click()
    phone.locator("#preferences-confirm-button").click()
    expect(phone.locator("#preferences-status")).to_have_attribute("data-marketing", "true")
    assert ConsentRecord.objects.filter(customer=customer).count() == 2

    invalid = phone.goto(f"{live_server.url}/h5/preferences/1:tampered:token/")
    assert invalid is not None
    assert invalid.status == 404
    expect(phone.locator("#preferences-problem")).to_contain_text("链接无效或已过期")
    _shot(phone, "consent-h5-invalid")
    assert violations == []


@pytest.fixture
def sandbox() -> Iterator[SandboxControl]:
    with running_sandbox() as control:
        control.reset()
        yield control


def test_an_rm_records_the_customers_opt_out_in_the_sidebar(
    world: World, live_server, page: Page, sandbox: SandboxControl, settings
) -> None:
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.WECOM_SANDBOX_URL = sandbox.base_url
    prefix = f"wecom:{hashlib.sha256(sandbox.api_base_url.encode()).hexdigest()[:8]}:ticket:{settings.WECOM_CORP_ID}"
    redis_client().delete(f"{prefix}:jsapi", f"{prefix}:agent_config")
    rm = world.rm_bj
    customer = world.customers_rm_bj[0]
    Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)
    sandbox.upsert_directory(users=[{"userid": rm.wecom_userid, "name": rm.name}])
    [external_userid] = sandbox.seed_contacts([{"name": "阳光", "follow": [{"userid": rm.wecom_userid}]}])
    contact = ExternalContactFactory(external_userid=external_userid, name="阳光", customer=customer)
    FollowRelationFactory(contact=contact, staff=rm)
    sandbox.open_chat(userid=rm.wecom_userid, external_userid=external_userid)
    page.set_viewport_size({"width": 420, "height": 900})  # the width WeCom gives the sidebar
    violations = _violations(page)

    page.goto(f"{live_server.url}/sidebar/")
    expect(page).to_have_url(re.compile(r"/sidebar/login/\?state=\w+$"))
    page.fill("#sandbox-userid", rm.wecom_userid)
    page.locator("#sandbox-sign-in button[type=submit]").click()
    expect(page.locator("#card-consent")).to_have_attribute("data-marketing", "true")

    page.fill("#card-consent-change input[name=reason]", "客户说：以后别再给我推理财产品了")
    page.locator("#card-consent-change button[type=submit]").click()

    expect(page.locator("#card-consent")).to_have_attribute("data-marketing", "false")
    expect(page.locator("#card-consent")).to_contain_text("已退订营销消息")
    page.locator("#card-consent-heading").scroll_into_view_if_needed()
    _shot(page, "consent-sidebar")
    record = ConsentRecord.objects.get(customer=customer)
    assert (record.granted, record.source, record.reason) == (False, "rm", "客户说：以后别再给我推理财产品了")
    assert violations == []


def test_the_360_page_shows_the_consent_history(world: World, live_server, page: Page) -> None:
    customer = world.customers_rm_bj[0]
    consent_set(customer_id=customer.pk, purpose="marketing", granted=True, source="self_service")
    consent_set(
        customer_id=customer.pk, purpose="marketing", granted=False, source="rm", reason="太频繁了", actor=world.rm_bj
    )
    consent_set(customer_id=customer.pk, purpose="chat_archive", granted=True, source="wecom")
    client = Client()
    client.force_login(world.rm_bj.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    violations = _violations(page)

    page.goto(f"{live_server.url}/customers/{customer.customer_no}/")

    expect(page.locator("#customer-consent-history tbody tr")).to_have_count(3)
    expect(page.locator("#customer-consent-history")).to_contain_text("太频繁了")
    page.locator("#customer-consent-flags").scroll_into_view_if_needed()
    _shot(page, "consent-360")
    assert violations == []
