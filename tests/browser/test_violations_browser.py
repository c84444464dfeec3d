"""Compliance works the violation queue in the browser, in Chinese: filter, read the masked chat, confirm."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from risk.compliance.demo import demo_compliance_library_create
from risk.compliance.violations.models import Violation
from risk.compliance.violations.services import violations_scan
from tests.conftest import World
from tests.risk.compliance.violations.factories import chat_of, message_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page: Page, live_server, world: World) -> None:
    client = Client()
    client.force_login(world.compliance.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_compliance_confirms_a_promised_return_with_a_reason(world: World, live_server, page: Page) -> None:
    demo_compliance_library_create(actor=world.hq_admin)
    chat = chat_of(world.rm_bj, customer=world.customers_rm_bj[0])
    message_in(chat, "我的手机13912345678", sender_kind="customer")
    hit = message_in(chat, "这款产品稳赚不赔，放心")
    violations_scan([hit.pk, message_in(chat_of(world.rm_sh), "滚蛋").pk])
    _signed_in(page, live_server, world)
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="违规复核").click()
    expect(page.get_by_role("heading", name="违规复核")).to_be_visible()
    expect(page.locator("#violation-table tbody tr")).to_have_count(2)
    page.locator("#filter-severity").select_option("high")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#violation-table tbody tr")).to_have_count(1)

    page.locator("#violation-table tbody tr a").first.click()
    expect(page.locator("#conversation")).to_contain_text("我的手机139****5678")
    expect(page.locator("#conversation mark")).to_have_text("稳赚不赔")
    expect(page.locator("body")).not_to_contain_text("13912345678")

    page.get_by_role("button", name="确认违规").click()
    expect(page.locator("#review-error")).to_contain_text("请填写复核理由")
    page.get_by_label("理由（必填）").fill("承诺收益，违反销售规定")
    page.get_by_role("button", name="确认违规").click()
    expect(page.locator("#violation-status")).to_have_text("已确认")
    expect(page.locator("#violation-reason")).to_have_text("承诺收益，违反销售规定")
    assert Violation.objects.get(message_id=hit.pk).status == "confirmed"

    page.get_by_role("link", name="返回复核队列").click()
    expect(page.locator(f'#rm-figures tr[data-staff-id="{world.rm_bj.pk}"] td').nth(1)).to_have_text("1")
    page.get_by_role("button", name="重新扫描存档").click()
    expect(page.locator("#rescan-panel")).to_contain_text("重新扫描")
