"""An HQ admin builds a tag, gives it in bulk to a search result and finds it by name on the 360 page.

The bulk change is confirmed on the page, enqueued on commit as in production, and run by
a real Celery worker on a queue of its own while the page polls its progress.
"""

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.models import CustomerTag, Tag, TagGroup
from customers.tagging.tasks import tag_bulk_job_run_task
from tests.browser.test_login_browser import sign_in
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.support.celery_worker import celery_worker, task_routed

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def bulk_worker() -> Iterator[None]:
    with celery_worker() as queue, task_routed(tag_bulk_job_run_task, queue):
        yield


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"tag-admin-{name}.png"), full_page=True)


def test_an_hq_admin_creates_a_tag_tags_a_search_in_bulk_and_sees_it_on_the_360(
    world: World, live_server, page: Page, password: str, bulk_worker: None
) -> None:
    wang = CustomerFactory(owner=world.rm_bj, name="王小明", aum=Decimal("880000.00"), phone="13912345678")
    wang_sh = CustomerFactory(owner=world.rm_sh, name="王大力", aum=Decimal("120000.00"))
    CustomerFactory(owner=world.rm_bj, name="李小龙")
    page.goto(f"{live_server.url}/login/?next=/tags/", timeout=60_000)
    sign_in(page, username="hq_admin", password=password)

    # A tag group, then a tag in it, through the Chinese forms.
    page.get_by_role("link", name="新建标签分组").click()
    expect(page.get_by_role("heading", name="新建标签分组")).to_be_visible()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#tag-group-form")).to_contain_text("该字段是必填项。")
    page.get_by_label("名称").fill("理财偏好")
    page.get_by_label("每位客户在该分组中只能有一个标签").check()
    shot(page, "group-form")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已创建标签分组“理财偏好”。")).to_be_visible()
    group = TagGroup.objects.get(name="理财偏好")
    page.locator('[data-group="理财偏好"]').get_by_role("link", name="新建标签").click()
    page.get_by_label("名称").fill("稳健理财")
    page.get_by_label("描述").fill("偏好低风险、期限短的理财")
    shot(page, "tag-form")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已创建标签“稳健理财”。")).to_be_visible()
    tag = Tag.objects.get(name="稳健理财")
    assert tag.group_id == group.pk
    expect(page.locator('[data-tag="稳健理财"]')).to_contain_text("稳健理财")
    expect(page.locator("main")).not_to_contain_text(tag.code)
    shot(page, "catalogue")

    # Name search by surname: every 王 in the bank, masked.
    page.goto(f"{live_server.url}/customers/")
    page.fill("#id_name", "王")
    page.click("#customer-search button[type=submit]")
    expect(page.locator("#customer-table tbody tr")).to_have_count(2)
    expect(page.locator("#customer-table")).to_contain_text(wang.customer_no)
    expect(page.locator("#customer-table")).to_contain_text("王**")
    expect(page.locator("#customer-table")).not_to_contain_text("王小明")
    shot(page, "surname-search")

    # Bulk: narrow to one branch, pick the tag by name, count, confirm, watch it finish.
    page.fill("#id_branch", "BJ")
    page.click("#customer-search button[type=submit]")
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    page.select_option("#id_bulk_tag", label="稳健理财")
    page.get_by_role("button", name="统计客户数").click()
    expect(page.locator("#bulk-tag-count")).to_contain_text("搜索结果共 1 位客户，其中 1 位将被打上标签“稳健理财”。")
    shot(page, "bulk-count")
    page.get_by_role("button", name="确认并开始").click()
    expect(page.locator("#bulk-tag-job")).to_have_attribute("data-job-status", "succeeded", timeout=60_000)
    expect(page.locator("#bulk-tag-outcome")).to_have_text("完成：新增 1 个标签，去掉 0 个。")
    shot(page, "bulk-done")
    assert list(CustomerTag.objects.filter(tag=tag).values_list("customer_id", flat=True)) == [wang.pk]
    assert not CustomerTag.objects.filter(customer=wang_sh).exists()

    # The tag filter takes the tag by name; the rows show tags by name.
    page.goto(f"{live_server.url}/customers/")
    page.select_option("#id_tags_any", label="稳健理财")
    page.click("#customer-search button[type=submit]")
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    expect(page.locator("#customer-table .scrm-row-tags")).to_have_text("稳健理财")

    # The 360 page: the tag by name, a note, and the reveal controls on one line.
    page.locator("#customer-table").get_by_role("link", name=wang.customer_no).click()
    expect(page).to_have_url(re.compile(rf"/customers/{wang.customer_no}/$"))
    expect(page.locator("#customer-tags")).to_have_text("稳健理财")
    page.get_by_label("新备注").fill("客户偏好短期稳健产品")
    page.get_by_role("button", name="添加备注").click()
    expect(page.locator("#customer-note-list")).to_contain_text("客户偏好短期稳健产品")
    for kind in ("name", "phone", "id_number"):
        value = page.locator(f"#pii-{kind}").bounding_box()
        button = page.locator(f"#pii-{kind} ~ form button").bounding_box()
        assert value is not None
        assert button is not None
        assert button["height"] < 40  # the button's label does not wrap
        assert button["y"] > value["y"]  # every value has its control whole beneath it, the ID number's too
    shot(page, "360")
