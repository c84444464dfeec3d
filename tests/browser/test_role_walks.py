"""Each demo role walks its own menu in Chromium, in Chinese, and head office runs a rule end to end.

Every page a role's menu offers opens without an error page, a script error or a policy
violation, with its own heading; a screenshot of each is saved under ``var/screenshots/``
for review. The role journeys the product is judged by each have their own test:

- HQ admin: a tag group, a rule tag, its rule in the visual builder, preview and run (below);
  bulk-tagging a search result (``test_tag_admin_browser``); adding an RM and marking another
  departed with 离职继承 (``test_org_admin_browser``);
- compliance finds a reveal in the audit log (``test_console_browser``);
- an RM sees their own home figures (``test_console_browser``);
- a branch manager builds a segment (``test_rule_builder_browser``).
"""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer, CustomerTag, Tag, TagKind, TagRuleRun
from customers.tagging.tasks import tag_rule_range_evaluate_task
from tests.browser.test_rule_builder_browser import condition, signed_in
from tests.conftest import World
from tests.support.celery_worker import celery_worker, task_routed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# What each role's menu offers, in order: the pages a person in that role works in.
MENUS = {
    "rm": [
        "工作台",
        "客户",
        "客群",
        "标签",
        "渠道活码",
        "客户认证",
        "客户联系人",
        "客户群",
        "我的营销任务",
        "流失风险",
    ],
    "branch_manager": [
        *("工作台", "客户", "客群", "标签", "客户转移", "渠道活码", "客户认证", "客户联系人", "客户群"),
        *("营销活动", "违规复核", "流失风险", "机构管理", "员工管理"),
    ],
    "hq_admin": [
        *("工作台", "客户", "客群", "标签", "客户转移", "渠道活码", "客户认证", "客户联系人", "客户群"),
        *("营销活动", "话术库", "敏感词库", "违规复核", "流失风险", "素材库", "数据导入", "接口文档"),
        *("机构管理", "员工管理", "审计日志", "查看明文记录"),
    ],
    "compliance": [
        *("工作台", "客户", "客群", "渠道活码", "客户认证", "客户联系人", "客户群", "营销活动"),
        *("敏感词库", "违规复核", "会话存档", "审计日志", "查看明文记录"),
    ],
}
USERNAMES = {"rm": "rm", "branch_manager": "branch_manager", "hq_admin": "hq_admin", "compliance": "compliance"}


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"walk-{name}.png"), full_page=True)


@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_walks_its_menu_in_chinese(world: World, live_server, page: Page, password: str, role: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    errors = signed_in(page, live_server, USERNAMES[role], password)
    menu = page.locator("nav.scrm-sidebar a.nav-link")
    items = [(link.inner_text().strip(), link.get_attribute("href")) for link in menu.all()]
    assert [label for label, _ in items] == MENUS[role]

    assert [label for label, _ in items] == MENUS[role]
    for index, (label, href) in enumerate(items):
        if href.startswith("/api/"):
            continue  # the interactive API reference is for programmers, not one of the role's pages
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None
        assert response.status == 200, (label, href, response.status)
        expect(page.locator("h1").first).to_be_visible()
        expect(page.locator("nav.scrm-sidebar a.nav-link.active")).to_have_text(label)
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        shot(page, f"{role}-{index:02d}")
    assert errors == []


@pytest.fixture
def rule_worker() -> Iterator[None]:
    """A real worker for the rule run's ranges, enqueued on commit as in production."""
    with celery_worker() as queue, task_routed(tag_rule_range_evaluate_task, queue):
        yield


def test_head_office_builds_a_rule_tag_previews_and_runs_it(
    world: World, live_server, page: Page, password: str, rule_worker: None
) -> None:
    Customer.objects.update(aum=Decimal(50_000))
    rich = world.customers_rm_bj[:2] + world.customers_rm_sh[:1]
    Customer.objects.filter(pk__in=[customer.pk for customer in rich]).update(aum=Decimal(800_000))
    page.set_viewport_size({"width": 1400, "height": 900})
    errors = signed_in(page, live_server, "hq_admin", password)

    # A group of rule tags, and a tag in it, through the Chinese forms.
    page.goto(f"{live_server.url}/tags/")
    page.get_by_role("link", name="新建标签分组").click()
    page.get_by_label("名称").fill("资产分层")
    page.get_by_label("类型").select_option(label="规则")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已创建标签分组“资产分层”。")).to_be_visible()
    page.locator('[data-group="资产分层"]').get_by_role("link", name="新建标签").click()
    page.get_by_label("名称").fill("高资产客户")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已创建标签“高资产客户”。")).to_be_visible()
    tag = Tag.objects.get(name="高资产客户")
    assert tag.kind == TagKind.RULE

    # Its rule, built in the visual builder, counted live before it is saved.
    page.locator('[data-tag="高资产客户"]').get_by_role("link", name="编辑规则").click()
    expect(page.locator("h1")).to_contain_text("高资产客户")
    page.locator("[data-rule-add-condition]").first.click()
    condition(page, 0).locator("[data-rule-field]").select_option(label="资产规模")
    condition(page, 0).locator("[data-rule-op]").select_option(label="大于或等于")
    condition(page, 0).locator("input[data-rule-value]").fill("500000")
    expect(page.locator("#preview [data-preview-count]")).to_have_attribute("data-preview-count", "3")
    shot(page, "hq-rule-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="保存规则").click()
    expect(page.locator('[data-tag="高资产客户"]')).to_contain_text("尚未评估")

    # Run every rule now and watch the run finish on the page.
    page.get_by_role("button", name="立即重新评估全部规则").click()
    run = page.locator("#rule-run [data-run-status]")
    expect(run).to_have_attribute("data-run-status", "succeeded", timeout=60_000)
    expect(run).to_contain_text("打标 3 个，移除标签 0 个")
    # The page reloads itself when the run it watched finishes: the tag's count is current.
    expect(page.locator('[data-tag="高资产客户"]')).to_contain_text("评估于")
    expect(page.locator('[data-tag="高资产客户"]')).to_contain_text("3")
    shot(page, "hq-rule-run")
    assert set(CustomerTag.objects.filter(tag=tag).values_list("customer_id", flat=True)) == {c.pk for c in rich}
    assert TagRuleRun.objects.get().tags_added == 3
    assert errors == []


def test_a_branch_manager_defines_a_campaigns_audience_in_the_visual_builder(
    world: World, live_server, page: Page, password: str
) -> None:
    Customer.objects.update(aum=Decimal(50_000))
    Customer.objects.filter(pk=world.customers_rm_bj[0].pk).update(aum=Decimal(900_000))
    page.set_viewport_size({"width": 1400, "height": 900})
    errors = signed_in(page, live_server, "branch_manager", password)
    page.goto(f"{live_server.url}/campaigns/new/")

    page.get_by_label("名称", exact=True).fill("年末回馈")
    audience = page.locator("#audience-rule")
    audience.locator("[data-rule-add-condition]").first.click()
    condition(page, 0).locator("[data-rule-field]").select_option(label="资产规模")
    condition(page, 0).locator("[data-rule-op]").select_option(label="大于或等于")
    condition(page, 0).locator("input[data-rule-value]").fill("500000")
    expect(page.locator("#audience-rule-preview [data-preview-count]")).to_have_attribute("data-preview-count", "1")
    page.get_by_label("版本 A 文案").fill("年末回馈，欢迎到网点咨询。")
    shot(page, "branch-manager-campaign-audience")
    with page.expect_navigation():
        page.locator("#campaign-form button[type=submit]").click()

    expect(page.locator("h1")).to_contain_text("年末回馈")
    expect(page.locator("main")).to_contain_text("年末回馈的受众")
    assert errors == []
