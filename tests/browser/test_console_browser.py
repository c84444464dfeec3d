"""Compliance finds, in the audit log, a reveal an RM made through the product; each role's home page.

Screenshots go to var/screenshots/console-*.png and home-*.png for a person to look at.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from channels.models import AssignmentStrategy, ChannelCode
from customers.models import ProductHolding, TimelineEvent
from scrm.audit.models import ChainCheck
from scrm.audit.tasks import audit_verify_chain_task
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def sign_in(page: Page, live_server, *, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


@pytest.fixture
def book(world: World) -> World:
    today = timezone.localdate()
    code = ChannelCode.objects.create(
        name="海淀网点海报",
        branch=world.bj_hd_1,
        strategy=AssignmentStrategy.FIXED,
        state="br1",
        created_by=world.hq_admin,
    )
    now = timezone.now()
    FollowRelationFactory(
        staff=world.rm_bj, added_at=now, channel=code, contact=ExternalContactFactory(customer=world.customers_rm_bj[0])
    )
    FollowRelationFactory(staff=world.rm_bj, added_at=now, channel=code)
    FollowRelationFactory(staff=world.rm_bj2, added_at=now - datetime.timedelta(days=2), channel=code)
    for customer, days in (
        (world.customers_rm_bj[0], 6),
        (world.customers_rm_bj[1], 20),
        (world.customers_rm_bj2[0], 9),
    ):
        ProductHolding.objects.create(
            customer=customer,
            product_code=f"TD{customer.pk}",
            product_name="三年期定期存款",
            product_type="time_deposit",
            amount=Decimal("200000"),
            maturity_date=today + datetime.timedelta(days=days),
        )
    TimelineEvent.objects.create(
        customer=world.customers_rm_bj[1], kind="contacted", occurred_at=now, summary="电话回访，客户关心到期续存"
    )
    return world


def test_compliance_finds_a_reveal_made_through_the_product(
    book: World, live_server, page: Page, password: str
) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    customer = book.customers_rm_bj[0]
    sign_in(page, live_server, username="rm", password=password)
    page.goto(f"{live_server.url}/customers/{customer.customer_no}/")
    reveal = page.locator("form", has=page.locator('input[name="field"][value="phone"]'))
    reveal.locator("select").select_option(label="回电客户")
    reveal.get_by_role("button", name="查看明文").click()
    expect(page.locator("#pii-phone [data-revealed]")).to_be_visible()

    sign_in(page, live_server, username="compliance", password=password)
    expect(page.locator("#recent-reveals tbody tr")).to_have_count(1)
    expect(page.locator("#recent-reveals")).to_contain_text("回电客户")
    shot(page, "console-home.png")

    page.get_by_role("link", name="审计日志").first.click()
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
    page.get_by_label("客户号").fill(customer.customer_no)
    page.locator("#filter-action").select_option(label="查看明文信息")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("查看明文信息")
    expect(rows.first).to_contain_text("手机号")
    expect(rows.first).to_contain_text("回电客户")
    expect(rows.first).to_contain_text(customer.customer_no)

    page.get_by_role("button", name="立即校验").click()
    expect(page.locator("#chain-result")).to_contain_text("校验中")
    audit_verify_chain_task(ChainCheck.objects.get().pk)
    expect(page.locator("#chain-result")).to_contain_text("完好", timeout=10_000)
    shot(page, "console-audit-log.png")

    page.get_by_label("起始日期").fill("2026-12-09")
    page.get_by_label("截止日期").fill("2026-12-01")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#filter-error")).to_have_text("开始日期不能晚于结束日期。")

    page.get_by_role("link", name="查看明文记录").first.click()
    expect(page.locator("#reveal-table tbody tr")).to_have_count(1)
    expect(page.locator("#reveal-table tbody tr").first).to_contain_text("rm")
    shot(page, "console-reveals.png")


def test_an_rm_sees_their_own_home_figures(book: World, live_server, page: Page, password: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, live_server, username="rm", password=password)

    expect(page.locator("#stat-customers")).to_have_text("4")
    expect(page.locator("#stat-new-contacts")).to_have_text("2")
    expect(page.locator("#stat-verification")).to_have_text("50.0%")
    expect(page.locator("#stat-maturities")).to_have_text("2")
    expect(page.locator("#maturities tbody tr")).to_have_count(2)
    expect(page.locator("#timeline")).to_contain_text("电话回访")
    expect(page.locator("body")).not_to_contain_text(book.customers_rm_bj2[0].customer_no)
    shot(page, "home-rm.png")

    sign_in(page, live_server, username="branch_manager", password=password)
    expect(page.locator(f'#rm-table tr[data-staff-id="{book.rm_bj2.pk}"] td').nth(2)).to_have_text("2")
    shot(page, "home-branch-manager.png")

    sign_in(page, live_server, username="hq_admin", password=password)
    expect(page.locator("#home-acquisition-chart canvas")).to_be_visible()
    shot(page, "home-hq.png")
