"""The customer-group pages (客户群): groups scoped by their owner, their figures, members masked."""

import datetime

import pytest
from django.utils import timezone

from channels.groups.selectors import GroupFilters, group_member_rows, group_page, group_recent_events
from channels.models import CustomerGroup, GroupStatus, MemberType
from tests.conftest import World
from tests.factories import CustomerGroupFactory, ExternalContactFactory, GroupMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(world: World) -> dict[str, CustomerGroup]:
    """rm_bj's group: a verified customer, a lead, one who left, rm_bj as staff member; rm_bj2's; rm_sh's."""
    now = timezone.now()
    bj = CustomerGroupFactory(name="中关村理财群", owner=world.rm_bj)
    GroupMemberFactory(
        group=bj,
        contact=ExternalContactFactory(name="王小明", customer=world.customers_rm_bj[0]),
        join_time=now - datetime.timedelta(days=2),
        join_scene=3,
    )
    GroupMemberFactory(
        group=bj, contact=ExternalContactFactory(name="李四"), join_time=now - datetime.timedelta(days=60)
    )
    GroupMemberFactory(
        group=bj,
        contact=ExternalContactFactory(name="赵六"),
        join_time=now - datetime.timedelta(days=90),
        left_at=now - datetime.timedelta(days=1),
    )
    GroupMemberFactory(
        group=bj, member_type=MemberType.STAFF, contact=None, member_id=world.rm_bj.wecom_userid, join_time=None
    )
    bj2 = CustomerGroupFactory(name="五道口群", owner=world.rm_bj2)
    GroupMemberFactory(group=bj2, contact=ExternalContactFactory(name="孙七"))
    sh = CustomerGroupFactory(name="陆家嘴群", owner=world.rm_sh, status=GroupStatus.DISMISSED)
    GroupMemberFactory(group=sh, contact=ExternalContactFactory(name="周八", customer=world.customers_rm_sh[0]))
    return {"bj": bj, "bj2": bj2, "sh": sh}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("hq_admin", ["sh", "bj2", "bj"]),
        ("compliance", ["sh", "bj2", "bj"]),
        ("branch_manager", ["bj2", "bj"]),
        ("rm", ["bj"]),
    ],
)
def test_each_viewer_sees_the_groups_owned_in_their_scope(world: World, groups, role: str, expected: list[str]) -> None:
    page = group_page(user=world.staff_for(role).user, filters=GroupFilters())

    assert [group.pk for group in page.groups] == [groups[key].pk for key in expected]


def test_a_group_counts_its_members_customers_and_recent_joins_and_leaves(world: World, groups) -> None:
    [group] = group_page(user=world.rm_bj.user, filters=GroupFilters()).groups

    assert group.live_members == 3  # two contacts and the RM; the leaver no longer counts
    assert group.customers == 1
    assert group.recent_joins == 1
    assert group.recent_leaves == 1


def test_the_filters(world: World, groups) -> None:
    user = world.hq_admin.user

    assert [g.pk for g in group_page(user=user, filters=GroupFilters(name="五道口")).groups] == [groups["bj2"].pk]
    assert [g.pk for g in group_page(user=user, filters=GroupFilters(owner=world.rm_sh.employee_no)).groups] == [
        groups["sh"].pk
    ]
    assert [g.pk for g in group_page(user=user, filters=GroupFilters(status=GroupStatus.DISMISSED)).groups] == [
        groups["sh"].pk
    ]


def test_recent_events_are_the_viewers_groups_only_newest_first(world: World, groups) -> None:
    events = group_recent_events(user=world.rm_bj.user)

    assert [(event.member_name_masked, event.joined) for event in events] == [
        ("赵*", False),
        ("王**", True),
        ("李*", True),
        ("赵*", True),
    ]
    assert {event.group_id for event in events} == {groups["bj"].pk}


def test_members_are_listed_masked_with_their_customer_when_in_scope(world: World, groups) -> None:
    rows = group_member_rows(user=world.rm_bj.user, group=groups["bj"])

    # present members first (staff, then contacts in the order they joined), then those who left
    assert [row.name for row in rows] == [world.rm_bj.name, "李*", "王**", "赵*"]
    assert rows[2].customer_no == world.customers_rm_bj[0].customer_no
    assert rows[2].customer_name_masked == "张*"
    assert rows[2].join_scene == "扫描群二维码入群"
    assert rows[3].left_at is not None


def test_a_member_linked_to_a_customer_outside_the_scope_shows_no_customer(world: World, groups) -> None:
    GroupMemberFactory(group=groups["bj"], contact=ExternalContactFactory(customer=world.customers_rm_sh[1]))

    rows = group_member_rows(user=world.rm_bj.user, group=groups["bj"])

    [outsider] = [row for row in rows if row.is_customer and not row.customer_no]
    assert outsider.customer_name_masked == ""


def test_the_detail_page_answers_404_outside_the_owners_scope(world: World, groups, client_for) -> None:
    assert client_for("rm").get(f"/channels/groups/{groups['bj2'].pk}/").status_code == 404
    assert client_for("branch_manager").get(f"/channels/groups/{groups['sh'].pk}/").status_code == 404
    answer = client_for("branch_manager").get(f"/channels/groups/{groups['bj'].pk}/")

    assert answer.status_code == 200
    body = answer.content.decode()
    assert "中关村理财群" in body
    assert f'href="/customers/{world.customers_rm_bj[0].customer_no}/"' in body
    assert "王小明" not in body
    assert "王**" in body
    assert "扫描群二维码入群" in body


def test_the_list_page_in_chinese(world: World, groups, client_for) -> None:
    body = client_for("branch_manager").get("/channels/groups/").content.decode()

    assert "客户群" in body
    assert "群主" in body
    assert "近期入群与退群" in body
    assert "五道口群" in body
    assert "陆家嘴群" not in body
    assert "李四" not in body


@pytest.mark.parametrize("query", ["?status=nope", "?cursor=abc", "?cursor=eyJpIjoiYSJ9", "?name=" + "x" * 300])
def test_bad_filter_input_gets_a_message_and_never_a_server_error(world: World, groups, client_for, query) -> None:
    answer = client_for("hq_admin").get(f"/channels/groups/{query}")

    assert answer.status_code == 400
    assert 'id="group-error"' in answer.content.decode()
    assert 'data-group="' not in answer.content.decode()


def test_group_pages_walk_all_groups_once(world: World) -> None:
    made = CustomerGroupFactory.create_batch(5, owner=world.rm_bj)
    seen: list[int] = []
    cursor = None
    while True:
        page = group_page(user=world.rm_bj.user, filters=GroupFilters(), cursor=cursor, size=2)
        seen += [group.pk for group in page.groups]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == sorted((group.pk for group in made), reverse=True)


def test_a_page_of_groups_is_one_query(world: World, groups, django_assert_num_queries) -> None:
    CustomerGroupFactory.create_batch(4, owner=world.rm_bj2)
    user = world.branch_manager_bj.user
    group_page(user=user, filters=GroupFilters())  # the scope is cached on the user

    with django_assert_num_queries(1):
        page = group_page(user=user, filters=GroupFilters())

    assert len(page.groups) == 6
    assert all(group.owner.branch.name for group in page.groups)
