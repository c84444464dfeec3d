"""A branch manager creates a fixed channel code from the page in Chromium, sees its QR image,
and a customer scans it on the sandbox's simulated-scan page."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from channels.codes.services import channel_code_create
from channels.models import AssignmentStrategy, ChannelCode, RelationStatus
from tests.conftest import World
from tests.factories import FollowRelationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page: Page, live_server, staff) -> None:
    client = Client()
    client.force_login(staff.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_a_branch_manager_creates_a_code_and_a_customer_scans_it(
    wecom, world: World, live_server, page: Page, channel_tags
) -> None:
    signed_in(page, live_server, world.branch_manager_bj)
    page.goto(f"{live_server.url}/en/channels/codes/")
    page.get_by_role("link", name="New channel code").click()

    page.get_by_label("Name", exact=True).fill("海淀大堂海报")
    page.get_by_label("Branch", exact=True).select_option(world.bj_hd.code)
    page.get_by_label("Fixed staff", exact=True).check()
    page.get_by_label("Find an RM by name or employee number").fill(world.rm_bj.employee_no)
    page.locator("#staff-results .staff-result").first.click()
    expect(page.locator(f"#staff-picked input[value='{world.rm_bj.employee_no}']")).to_be_checked()
    page.get_by_label(re.compile("理财沙龙")).check()
    page.get_by_label("Welcome message", exact=True).fill("{name}您好，我是您的客户经理。")
    page.get_by_role("button", name="Create channel code").click()

    code = ChannelCode.objects.get()
    expect(page).to_have_url(f"{live_server.url}/en/channels/codes/{code.pk}/")
    expect(page.locator("#channel-code-name")).to_have_text("海淀大堂海报")
    expect(page.locator("#channel-code-qr")).to_have_attribute("src", code.qr_code)
    assert wecom.state()["contact_ways"][code.config_id]["user"] == [world.rm_bj.wecom_userid]

    scan_link = page.locator("#simulate-scan")
    expect(scan_link).to_have_attribute("href", f"{wecom.base_url}/sandbox/scan/{code.config_id}")
    page.goto(scan_link.get_attribute("href"))
    page.get_by_label("微信昵称 WeChat name").fill("王女士")
    page.get_by_role("button", name="扫码添加 Scan and add").click()

    expect(page.locator("p.ok")).to_contain_text(re.compile(world.rm_bj.wecom_userid))
    follows = [row for row in wecom.state()["follows"].values() if row["userid"] == world.rm_bj.wecom_userid]
    assert [row["state"] for row in follows] == [code.state]


SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_the_code_page_charts_its_adds_and_reads_in_chinese(wecom, world: World, live_server, page: Page) -> None:
    code = channel_code_create(
        actor=world.hq_admin, name="中关村大堂海报", branch=world.bj_hd, strategy=AssignmentStrategy.ROUND_ROBIN
    )
    today = timezone.now()
    for days_ago, adds in [(6, 2), (4, 5), (3, 1), (1, 3), (0, 4)]:
        for _ in range(adds):
            FollowRelationFactory(staff=world.rm_bj, channel=code, added_at=today - datetime.timedelta(days=days_ago))
    FollowRelationFactory(
        staff=world.rm_bj,
        channel=code,
        added_at=today - datetime.timedelta(days=5),
        status=RelationStatus.DELETED,
        deleted_at=today - datetime.timedelta(days=2),
    )
    signed_in(page, live_server, world.branch_manager_bj)

    page.goto(f"{live_server.url}/channels/codes/{code.pk}/")

    chart = page.locator("#channel-code-chart canvas")
    expect(chart).to_have_count(1)
    expect(page.locator("#channel-code-validity")).to_have_text("长期有效")
    expect(page.locator("#channel-code-status")).to_contain_text("启用")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "channel-code-detail.png"), full_page=True)
    # The chart draws visible points: its canvas is not blank where the series run.
    assert page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.getElementById('channel-code-chart'));
            const series = chart.getOption().series;
            return series.every(s => s.showSymbol !== false) && series[0].data.some(v => v > 0);
        }"""
    )


def test_the_form_picks_rms_by_search_and_takes_attachments_as_fields(
    wecom, world: World, live_server, page: Page
) -> None:
    signed_in(page, live_server, world.branch_manager_bj)
    page.goto(f"{live_server.url}/channels/codes/new/")

    page.get_by_label("名称", exact=True).fill("五道口沙龙")
    page.locator("#id_branch").select_option(world.bj_hd.code)
    page.locator("input[name=strategy][value=fixed]").check()
    page.get_by_label("按姓名或工号查找客户经理").fill("员工")
    results = page.locator("#staff-results .staff-result")
    expect(results).to_have_count(2)  # rm_bj and rm_bj2: not the manager, not Shanghai's RM
    results.filter(has_text=world.rm_bj2.employee_no).click()
    expect(page.locator(f"#staff-picked input[value='{world.rm_bj2.employee_no}']")).to_be_checked()
    expect(results).to_have_count(1)  # the chosen one is marked chosen, no longer offered
    page.locator("#id_attachments-0-msgtype").select_option("link")
    expect(page.locator("#id_attachments-0-appid")).to_be_hidden()
    page.locator("#id_attachments-0-title").fill("养老规划讲座报名")
    page.locator("#id_attachments-0-url").fill("https://bank.example/salon")
    page.locator("#add-welcome-attachment").click()
    page.locator("#id_attachments-1-msgtype").select_option("image")
    page.locator("#id_attachments-1-pic_url").fill("https://bank.example/poster.png")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "channel-code-form.png"), full_page=True)
    page.get_by_role("button", name="创建渠道活码").click()

    code = ChannelCode.objects.get()
    expect(page).to_have_url(f"{live_server.url}/channels/codes/{code.pk}/")
    assert list(code.staff.values_list("employee_no", flat=True)) == [world.rm_bj2.employee_no]
    assert [item["msgtype"] for item in code.welcome_attachments] == ["link", "image"]
    expect(page.locator("#channel-code-attachments")).to_contain_text("养老规划讲座报名")
