"""In the browser: rules are built visually, counted live, kept in step with their JSON, and saved.

Head office builds a nested rule for a rule tag (an amount, a lifecycle stage, a tag picked
by its name), sees every problem marked on its condition and the live count, goes through
the advanced JSON view and back, and saves; a branch manager builds a segment with a branch
picked from their own subtree and a date picked from a calendar.
"""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer, LifecycleStage, Segment, TagKind, TagRule
from customers.tagging.services import customer_tags_assign, tag_create, tag_group_create
from tests.browser.test_login_browser import sign_in
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"rule-builder-{name}.png"), full_page=True)


def signed_in(page: Page, live_server, username: str, password: str) -> list[str]:
    """Sign in through the login page; the list collects every script error and policy violation of the pages."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.goto(f"{live_server.url}/login/", timeout=60_000)
    sign_in(page, username=username, password=password)
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    return errors


@pytest.fixture
def catalogue(world: World) -> None:
    Customer.objects.update(aum=Decimal(50_000), lifecycle_stage=LifecycleStage.NEW)
    mature, vip_customer = world.customers_rm_bj[:2]
    Customer.objects.filter(pk=mature.pk).update(aum=Decimal(200_000), lifecycle_stage=LifecycleStage.MATURE)
    Customer.objects.filter(pk=vip_customer.pk).update(aum=Decimal(300_000))
    Customer.objects.filter(pk=world.customers_rm_sh[0].pk).update(aum=Decimal(500_000))
    group = tag_group_create(code="value", name="客户价值")
    vip = tag_create(group=group, code="vip", name="贵宾")
    tag_create(group=group, code="rich", name="高净值", kind=TagKind.RULE)
    customer_tags_assign(customers=Customer.objects.filter(pk=vip_customer.pk), tag=vip, actor=world.hq_admin)


def condition(page: Page, index: int):
    return page.locator(".scrm-rule-condition").nth(index)


def test_head_office_builds_a_nested_tag_rule(world: World, catalogue: None, live_server, page: Page, password: str):
    errors = signed_in(page, live_server, "hq_admin", password)
    page.goto(f"{live_server.url}/tags/rich/rule/")
    expect(page.locator("[data-rule-visual]")).to_contain_text("还没有条件")

    # AUM of at least 100 000 yuan …
    page.locator("[data-rule-add-condition]").first.click()
    condition(page, 0).locator("[data-rule-field]").select_option(label="资产规模")
    condition(page, 0).locator("[data-rule-op]").select_option(label="大于或等于")
    expect(condition(page, 0)).to_contain_text("元")
    expect(condition(page, 0)).to_contain_text("客户在本行的资产管理规模")
    condition(page, 0).locator("input[data-rule-value]").fill("10万")
    # … an unfinished value is marked on its own condition, in Chinese.
    problems = page.locator("#preview [data-rule-problems]")
    expect(problems).to_contain_text("“10万”不是数字。")
    expect(condition(page, 0)).to_have_class(re.compile("scrm-rule-problem"))
    condition(page, 0).locator("input[data-rule-value]").fill("100000")
    expect(page.locator("#preview [data-preview-count]")).to_have_attribute("data-preview-count", "3")
    expect(condition(page, 0)).not_to_have_class(re.compile("scrm-rule-problem"))

    # … and (mature, or carries the tag 贵宾 picked by its name).
    page.locator("[data-rule-add-group]").first.click()
    nested = page.locator(".scrm-rule-group .scrm-rule-group")
    nested.get_by_text("任一满足").click()
    condition(page, 1).locator("[data-rule-field]").select_option(label="生命周期阶段")
    condition(page, 1).locator("[data-rule-value]").select_option(label="成熟")
    nested.locator("[data-rule-add-condition]").click()
    condition(page, 2).locator("[data-rule-field]").select_option(label="标签")
    tag_picker = condition(page, 2).locator("[data-rule-value]")
    expect(tag_picker).to_contain_text("贵宾")
    expect(tag_picker).not_to_contain_text("vip")
    tag_picker.select_option(label="贵宾")
    expect(page.locator("#preview [data-preview-count]")).to_have_attribute("data-preview-count", "2")
    expect(page.locator("#preview")).to_contain_text("今天有 2 位客户符合条件。")
    shot(page, "tag-rule")

    # Two problems at once are both shown, each on its condition.
    condition(page, 0).locator("input[data-rule-value]").fill("")
    condition(page, 1).locator("[data-rule-field]").select_option(label="年龄")
    expect(problems.locator("li")).to_have_count(2)
    expect(page.locator(".scrm-rule-condition.scrm-rule-problem")).to_have_count(2)
    shot(page, "problems")
    condition(page, 0).locator("input[data-rule-value]").fill("100000")
    condition(page, 1).locator("[data-rule-field]").select_option(label="生命周期阶段")
    condition(page, 1).locator("[data-rule-value]").select_option(label="成熟")
    expect(page.locator("#preview [data-preview-count]")).to_have_attribute("data-preview-count", "2")
    expect(problems).to_have_count(0)

    # The advanced view shows the same rule as JSON; broken JSON leaves the visual view as it was.
    page.get_by_role("button", name="高级（JSON）").click()
    json_text = page.locator("[data-rule-json]")
    expect(json_text).to_have_value(re.compile(r'"any": \['))
    rule_json = json_text.input_value()
    json_text.fill(rule_json.replace('"any"', '"any" oops'))
    page.get_by_role("button", name="可视化").click()
    expect(page.locator("[data-rule-json-error]")).to_contain_text("JSON 格式有误（第")
    expect(page.locator("[data-rule-advanced]")).to_be_visible()
    shot(page, "invalid-json")
    json_text.fill(rule_json.replace('"mature"', '"dormant"'))
    page.get_by_role("button", name="可视化").click()
    expect(page.locator("[data-rule-visual]")).to_be_visible()
    expect(page.locator(".scrm-rule-condition")).to_have_count(3)
    expect(condition(page, 1).locator("[data-rule-value] option:checked")).to_have_text("沉睡")
    condition(page, 1).locator("[data-rule-value]").select_option(label="成熟")

    with page.expect_navigation():
        page.get_by_role("button", name="保存规则").click()
    expect(page).to_have_url(f"{live_server.url}/tags/")
    assert TagRule.objects.get(tag__code="rich").definition == {
        "all": [
            {"field": "aum", "op": "gte", "value": 100000},
            {
                "any": [
                    {"field": "lifecycle_stage", "op": "eq", "value": "mature"},
                    {"field": "has_tag", "op": "eq", "value": "vip"},
                ]
            },
        ]
    }
    assert errors == []


def test_a_branch_manager_builds_a_segment_within_their_subtree(
    world: World, catalogue: None, live_server, page: Page, password: str
):
    Customer.objects.update(opened_on=datetime.date(2020, 6, 1))
    errors = signed_in(page, live_server, "branch_manager", password)
    page.goto(f"{live_server.url}/segments/")
    with page.expect_navigation():
        page.locator("#segment-new").click()
    page.locator("#id_name").fill("海淀支行大客户")

    page.locator("[data-rule-add-condition]").first.click()
    condition(page, 0).locator("[data-rule-field]").select_option(label="所属机构")
    branches = condition(page, 0).locator("[data-rule-value]")
    expect(branches).to_contain_text("海淀支行")
    expect(branches).not_to_contain_text("上海分行")
    branches.select_option(label="\u3000海淀支行")
    expect(page.locator("#segment-preview [data-preview-count]")).to_have_attribute("data-preview-count", "6")
    page.locator("[data-rule-add-condition]").first.click()
    condition(page, 1).locator("[data-rule-field]").select_option(label="资产规模")
    condition(page, 1).locator("[data-rule-op]").select_option(label="大于或等于")
    condition(page, 1).locator("input[data-rule-value]").fill("100000")
    expect(page.locator("#segment-preview [data-preview-count]")).to_have_attribute("data-preview-count", "2")
    page.locator("[data-rule-add-condition]").first.click()
    condition(page, 2).locator("[data-rule-field]").select_option(label="开户日期")
    condition(page, 2).locator("[data-rule-op]").select_option(label="大于或等于")
    day = condition(page, 2).locator("input[type=date]")
    day.fill("2021-01-01")
    expect(page.locator("#segment-preview [data-preview-count]")).to_have_attribute("data-preview-count", "0")
    day.fill("2020-01-01")
    expect(page.locator("#segment-preview [data-preview-count]")).to_have_attribute("data-preview-count", "2")
    shot(page, "segment")

    with page.expect_navigation():
        page.get_by_role("button", name="保存客群").click()
    segment = Segment.objects.get()
    expect(page.locator("h1")).to_contain_text("海淀支行大客户")
    assert (segment.created_by, segment.definition["rule"]) == (
        world.branch_manager_bj,
        {
            "all": [
                {"field": "branch", "op": "in_subtree", "value": "BJ-HD"},
                {"field": "aum", "op": "gte", "value": 100000},
                {"field": "customer_since", "op": "gte", "value": "2020-01-01"},
            ]
        },
    )
    assert errors == []
