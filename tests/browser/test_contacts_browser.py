"""An RM and a branch manager sign in and walk the contacts list to a verified contact's 360,
then the customer groups and one group's members, in Chinese, within their own scope."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from channels.models import AssignmentStrategy, ChannelCode, DeletedBy, RelationStatus
from tests.conftest import World
from tests.factories import CustomerGroupFactory, ExternalContactFactory, FollowRelationFactory, GroupMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# Latin words that would mean an untranslated string on the Chinese pages (the brand and IDs aside).
ENGLISH = re.compile(r"\b(?!scrm\b|English\b|AppID\b)[A-Za-z]{3,}\b")


def sign_in(page: Page, live_server, *, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def no_english(page: Page) -> None:
    text = page.locator("main").inner_text()
    assert ENGLISH.findall(text) == [], text


@pytest.fixture
def wecom_world(world: World) -> dict:
    now = timezone.now()
    code = ChannelCode.objects.create(
        name="中关村大堂海报",
        branch=world.bj_hd_1,
        strategy=AssignmentStrategy.FIXED,
        state="chbrowser",
        created_by=world.hq_admin,
    )
    verified = FollowRelationFactory(
        contact=ExternalContactFactory(name="王小明", customer=world.customers_rm_bj[0]),
        staff=world.rm_bj,
        channel=code,
        add_way=1,
        added_at=now - datetime.timedelta(days=3),
    )
    FollowRelationFactory(
        contact=ExternalContactFactory(name="李四"),
        staff=world.rm_bj,
        add_way=2,
        added_at=now - datetime.timedelta(days=2),
    )
    FollowRelationFactory(
        contact=ExternalContactFactory(name="赵六"),
        staff=world.rm_bj,
        added_at=now - datetime.timedelta(days=9),
        status=RelationStatus.DELETED,
        deleted_at=now - datetime.timedelta(days=1),
        deleted_by=DeletedBy.CUSTOMER,
    )
    FollowRelationFactory(
        contact=ExternalContactFactory(name="孙七", customer=world.customers_rm_bj2[0]),
        staff=world.rm_bj2,
        added_at=now - datetime.timedelta(hours=5),
    )
    FollowRelationFactory(contact=ExternalContactFactory(name="周八"), staff=world.rm_sh)
    bj_group = CustomerGroupFactory(
        name="中关村理财沙龙群", owner=world.rm_bj, created_on_wecom=now - datetime.timedelta(days=40)
    )
    GroupMemberFactory(
        group=bj_group, contact=verified.contact, join_time=now - datetime.timedelta(days=2), join_scene=3
    )
    GroupMemberFactory(
        group=bj_group,
        contact=ExternalContactFactory(name="钱九"),
        join_time=now - datetime.timedelta(days=20),
        join_scene=2,
    )
    GroupMemberFactory(
        group=bj_group,
        contact=ExternalContactFactory(name="吴十"),
        join_time=now - datetime.timedelta(days=30),
        left_at=now - datetime.timedelta(days=1),
        join_scene=1,
    )
    bj2_group = CustomerGroupFactory(name="五道口养老规划群", owner=world.rm_bj2)
    GroupMemberFactory(group=bj2_group, contact=ExternalContactFactory(name="郑一"))
    CustomerGroupFactory(name="陆家嘴群", owner=world.rm_sh)
    return {"verified": verified, "bj_group": bj_group}


def test_an_rm_walks_from_their_contacts_to_a_verified_customers_360_and_to_their_groups(
    world: World, wecom_world: dict, live_server, page: Page, password: str
) -> None:
    sign_in(page, live_server, username="rm", password=password)
    page.get_by_role("link", name="客户联系人").click()

    expect(page.get_by_role("heading", name="客户联系人")).to_be_visible()
    rows = page.locator("#contact-table tbody tr[data-relation]")
    expect(rows).to_have_count(3)  # rm_bj's own relations only, the deleted one too
    expect(page.locator("#contact-table")).not_to_contain_text("孙*")
    expect(page.locator("#contact-table")).to_contain_text("客户删除了员工")
    no_english(page)
    shot(page, "contacts-rm.png")

    page.get_by_label("认证").select_option("verified")
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(1)
    customer = world.customers_rm_bj[0]
    page.locator(".contact-customer-link").click()
    expect(page).to_have_url(f"{live_server.url}/customers/{customer.customer_no}/")
    expect(page.locator("main")).to_contain_text(customer.customer_no)

    page.get_by_role("link", name="客户群", exact=True).click()
    expect(page.locator("#group-table tbody tr[data-group]")).to_have_count(1)
    expect(page.locator("#group-table")).to_contain_text("中关村理财沙龙群")
    expect(page.locator("#group-events")).to_contain_text("退群")
    no_english(page)
    shot(page, "groups-rm.png")

    page.get_by_role("link", name="中关村理财沙龙群").first.click()
    expect(page.locator("#group-name")).to_have_text("中关村理财沙龙群")
    expect(page.locator("#member-table")).to_contain_text("王**")
    expect(page.locator("#member-table")).not_to_contain_text("王小明")
    expect(page.locator("#member-table")).to_contain_text(customer.customer_no)
    no_english(page)
    shot(page, "groups-detail-rm.png")


def test_a_branch_manager_sees_the_contacts_and_groups_of_their_subtree(
    world: World, wecom_world: dict, live_server, page: Page, password: str
) -> None:
    sign_in(page, live_server, username="branch_manager", password=password)
    page.get_by_role("link", name="客户联系人").click()

    rows = page.locator("#contact-table tbody tr[data-relation]")
    expect(rows).to_have_count(4)  # Beijing's RMs, not Shanghai's
    expect(page.locator("#contact-table")).not_to_contain_text("周*")
    no_english(page)
    shot(page, "contacts-branch-manager.png")

    page.get_by_label("客户经理").fill(world.rm_bj2.employee_no)
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(1)
    page.locator(".contact-customer-link").click()
    expect(page).to_have_url(f"{live_server.url}/customers/{world.customers_rm_bj2[0].customer_no}/")

    page.get_by_role("link", name="客户群", exact=True).click()
    expect(page.locator("#group-table tbody tr[data-group]")).to_have_count(2)
    expect(page.locator("#group-table")).not_to_contain_text("陆家嘴群")
    no_english(page)
    shot(page, "groups-branch-manager.png")
