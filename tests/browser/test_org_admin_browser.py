"""Staff administration in Chromium, in Chinese: an HQ admin adds an RM, then marks another RM
departed and hands their customers to a colleague of the same outlet (离职继承)."""

from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from channels.directory.services import snapshot_key
from customers.models import Customer, CustomerTransfer
from scrm.org.models import Role, Staff, StaffStatus
from tests.conftest import World
from tests.factories import DEMO_PASSWORD, StaffFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"org-admin-{name}.png"), full_page=True)


def _sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("link", name="员工管理")).to_be_visible()


def test_an_hq_admin_adds_an_rm_and_hands_a_departed_rms_customers_to_a_colleague(
    world: World, live_server, page: Page
) -> None:
    cache.delete(snapshot_key())  # not yet checked against WeCom
    colleague = StaffFactory(user=UserFactory(username="rm_zhao"), name="赵六", role=Role.RM, branch=world.bj_hd_1)
    page.set_viewport_size({"width": 1400, "height": 1000})
    _sign_in(page, live_server, "hq_admin")

    # The tree, as HQ sees it.
    page.get_by_role("link", name="机构管理").click()
    expect(page.get_by_role("heading", name="机构管理")).to_be_visible()
    expect(page.locator('#branch-table tr[data-branch="BJ-HD-1"]')).to_contain_text("中关村网点")
    _shot(page, "branches")
    page.get_by_role("link", name="五道口网点").click()
    expect(page.locator("#branch-name")).to_have_text("五道口网点")
    expect(page.locator("#branch-staff")).to_contain_text(world.rm_bj2.name)
    _shot(page, "branch")

    # Add an RM.
    page.get_by_role("link", name="员工管理").click()
    page.get_by_role("link", name="新增员工").click()
    page.get_by_label("姓名").fill("孙七")
    page.get_by_label("工号").fill("E880001")
    page.get_by_label("登录账号").fill("sunqi")
    page.get_by_label("初始密码").fill("Xq7!pLm2#vR")
    page.get_by_label("角色").select_option("rm")
    page.get_by_label("机构").select_option(label="· · · 中关村网点 (网点)")
    _shot(page, "staff-new")
    page.get_by_role("button", name="新增员工").click()
    expect(page.locator("#org-result")).to_have_text("已新增孙七，可以登录。")
    expect(page.locator("#staff-name")).to_have_text("孙七")
    assert Staff.objects.get(employee_no="E880001").role == Role.RM

    # The list, searched by role and outlet.
    page.get_by_role("link", name="员工管理").first.click()
    page.locator("#id_role").select_option("rm")
    page.locator("#id_branch").select_option(label="· · · 中关村网点 (网点)")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#staff-table tbody tr")).to_have_count(3)  # rm_bj, 赵六, 孙七
    expect(page.locator('#staff-table tr[data-employee-no="E880001"]')).to_contain_text("未同步：无企业微信账号")
    expect(page.locator(f'#staff-table tr[data-employee-no="{colleague.employee_no}"]')).to_contain_text("未核对")
    _shot(page, "staff-list")

    # Mark rm_bj departed; the page offers 离职继承 with them preselected.
    page.get_by_role("link", name=world.rm_bj.name).click()
    page.locator("#id_depart-reason").fill("个人原因离职")
    page.get_by_role("button", name="办理离职").click()
    expect(page.locator("#org-result")).to_have_text(f"{world.rm_bj.name}已办理离职。")
    expect(page.locator("#inheritance")).to_contain_text("名下 3 位客户及其企业微信好友关系待同事继承")
    _shot(page, "departed")
    page.get_by_role("link", name="发起离职继承").click()

    expect(page.locator("#id_from_staff")).to_have_value(world.rm_bj.employee_no)
    expect(page.locator("#id_kind_1")).to_be_checked()
    # Only RMs of the departed RM's outlet are offered.
    expect(page.locator(f'#id_to_staff option[value="{world.rm_bj2.employee_no}"]')).to_be_disabled()
    page.locator("#id_to_staff").select_option(colleague.employee_no)
    page.locator("#id_reason").fill("离职继承")
    page.get_by_role("button", name="核对转移").click()

    expect(page.locator("#transfer-confirm")).to_contain_text("将把 3 位客户转给赵六（中关村网点）。")
    assert Customer.objects.filter(owner=world.rm_bj).count() == 3
    _shot(page, "confirm")
    page.get_by_role("button", name="确认并转移").click()

    expect(page.locator("#transfer-result")).to_have_text("已将 3 位客户转给赵六，跳过 0 位。")
    expect(page.locator("#transfer-batch")).to_contain_text("3 位客户已转给赵六（中关村网点）· 离职继承")
    expect(page.locator("#transfer-table tbody tr")).to_have_count(3)
    _shot(page, "result")
    assert Customer.objects.filter(owner=colleague).count() == 3
    assert set(CustomerTransfer.objects.values_list("kind", "from_staff_id")) == {("inherit", world.rm_bj.pk)}
    assert Staff.objects.get(pk=world.rm_bj.pk).status == StaffStatus.DEPARTED
