"""The contacts page (客户联系人): each viewer sees the relations of their scope, filtered, in keyset pages."""

import datetime

import pytest
from django.utils import timezone

from channels.contacts.selectors import ContactFilters, contact_relation_page
from channels.models import AssignmentStrategy, ChannelCode, DeletedBy, FollowRelation, RelationStatus
from scrm.core.exceptions import ApplicationError
from tests.conftest import World
from tests.factories import CustomerFactory, ExternalContactFactory, FollowRelationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def relations(world: World) -> dict[str, FollowRelation]:
    """rm_bj: a verified contact through a code, a lead, a deleted relation; rm_bj2: a lead; rm_sh: verified."""
    code = ChannelCode.objects.create(
        name="大堂码",
        branch=world.bj_hd_1,
        strategy=AssignmentStrategy.FIXED,
        state="chpage",
        created_by=world.hq_admin,
    )
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    return {
        "bj_verified": FollowRelationFactory(
            contact=ExternalContactFactory(name="王小明", customer=world.customers_rm_bj[0]),
            staff=world.rm_bj,
            channel=code,
            add_way=1,
            added_at=now - 5 * hour,
        ),
        "bj_lead": FollowRelationFactory(
            contact=ExternalContactFactory(name="李四"), staff=world.rm_bj, add_way=2, added_at=now - 4 * hour
        ),
        "bj_deleted": FollowRelationFactory(
            contact=ExternalContactFactory(name="赵六"),
            staff=world.rm_bj,
            added_at=now - 3 * hour,
            status=RelationStatus.DELETED,
            deleted_at=now - hour,
            deleted_by=DeletedBy.CUSTOMER,
        ),
        "bj2_lead": FollowRelationFactory(
            contact=ExternalContactFactory(name="孙七"), staff=world.rm_bj2, added_at=now - 2 * hour
        ),
        "sh_verified": FollowRelationFactory(
            contact=ExternalContactFactory(name="周八", customer=world.customers_rm_sh[0]),
            staff=world.rm_sh,
            added_at=now - hour,
        ),
    }


def ids(page) -> list[int]:
    return [row.relation_id for row in page.rows]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("hq_admin", ["sh_verified", "bj2_lead", "bj_deleted", "bj_lead", "bj_verified"]),
        ("compliance", ["sh_verified", "bj2_lead", "bj_deleted", "bj_lead", "bj_verified"]),
        ("branch_manager", ["bj2_lead", "bj_deleted", "bj_lead", "bj_verified"]),
        ("rm", ["bj_deleted", "bj_lead", "bj_verified"]),
    ],
)
def test_each_viewer_sees_the_relations_of_their_scope_newest_first(
    world: World, relations, role: str, expected: list[str]
) -> None:
    page = contact_relation_page(user=world.staff_for(role).user, filters=ContactFilters())

    assert ids(page) == [relations[key].pk for key in expected]


def test_a_row_says_who_since_when_how_and_whether_verified_with_the_customer_masked(world: World, relations) -> None:
    rows = {row.relation_id: row for row in contact_relation_page(user=world.rm_bj.user, filters=ContactFilters()).rows}

    verified = rows[relations["bj_verified"].pk]
    assert verified.rm_name == world.rm_bj.name
    assert verified.channel_name == "大堂码"
    assert verified.channel_linkable is True
    assert verified.verified is True
    assert verified.customer is not None
    assert verified.customer.customer_no == world.customers_rm_bj[0].customer_no
    assert verified.customer.name_masked == "张*"
    assert verified.contact_name_masked == "王**"
    lead = rows[relations["bj_lead"].pk]
    assert (lead.verified, lead.customer, lead.channel_name) == (False, None, "")
    assert lead.add_way == "搜索手机号"
    deleted = rows[relations["bj_deleted"].pk]
    assert deleted.is_active is False
    assert deleted.deleted_by == "客户删除了员工"


def test_a_verified_contact_whose_customer_is_outside_the_scope_is_named_as_verified_only(world: World) -> None:
    # rm_bj follows a contact linked to rm_sh's customer: the relation is theirs, the customer is not.
    relation = FollowRelationFactory(
        contact=ExternalContactFactory(customer=world.customers_rm_sh[1]), staff=world.rm_bj
    )

    [row] = contact_relation_page(user=world.rm_bj.user, filters=ContactFilters()).rows

    assert row.relation_id == relation.pk
    assert row.verified is True
    assert row.customer is None


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"verified": True}, ["bj_verified"]),
        ({"verified": False}, ["bj2_lead", "bj_deleted", "bj_lead"]),
        ({"status": RelationStatus.DELETED}, ["bj_deleted"]),
        ({"status": RelationStatus.ACTIVE, "verified": False}, ["bj2_lead", "bj_lead"]),
        ({"add_way": 2}, ["bj_lead"]),
    ],
)
def test_the_filters_narrow_the_branch_managers_relations(
    world: World, relations, filters: dict, expected: list[str]
) -> None:
    page = contact_relation_page(user=world.branch_manager_bj.user, filters=ContactFilters(**filters))

    assert ids(page) == [relations[key].pk for key in expected]


def test_the_rm_and_channel_filters(world: World, relations) -> None:
    manager = world.branch_manager_bj.user
    by_number = contact_relation_page(user=manager, filters=ContactFilters(rm=world.rm_bj2.employee_no))
    by_name = contact_relation_page(user=manager, filters=ContactFilters(rm=world.rm_bj2.name))
    by_code = contact_relation_page(
        user=manager, filters=ContactFilters(channel_id=relations["bj_verified"].channel_id)
    )
    outside = contact_relation_page(user=manager, filters=ContactFilters(rm=world.rm_sh.employee_no))

    assert ids(by_number) == ids(by_name) == [relations["bj2_lead"].pk]
    assert ids(by_code) == [relations["bj_verified"].pk]
    assert ids(outside) == []


def test_keyset_pages_walk_every_row_once_even_when_times_tie(world: World) -> None:
    at = timezone.now()
    made = [
        FollowRelationFactory(staff=world.rm_bj, added_at=at if n % 2 else at - datetime.timedelta(minutes=n))
        for n in range(7)
    ]

    seen: list[int] = []
    cursor = None
    while True:
        page = contact_relation_page(user=world.rm_bj.user, filters=ContactFilters(), cursor=cursor, size=3)
        seen += ids(page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert sorted(seen) == sorted(relation.pk for relation in made)
    assert len(seen) == len(set(seen))


def test_a_forged_cursor_is_refused_with_a_message(world: World) -> None:
    with pytest.raises(ApplicationError):
        contact_relation_page(user=world.rm_bj.user, filters=ContactFilters(), cursor="bm90LWEtY3Vyc29y")


def test_a_page_reads_in_a_fixed_number_of_queries(world: World, relations, django_assert_num_queries) -> None:
    for _ in range(5):
        FollowRelationFactory(
            contact=ExternalContactFactory(customer=CustomerFactory(owner=world.rm_bj)), staff=world.rm_bj
        )
    user = world.rm_bj.user
    contact_relation_page(user=user, filters=ContactFilters())  # the scope is cached on the user

    # the relations with contact, staff and code; the linked customers; the codes the viewer may open
    with django_assert_num_queries(3):
        page = contact_relation_page(user=user, filters=ContactFilters())

    assert len(page.rows) == 8


def test_the_page_shows_the_rows_in_chinese_with_the_360_link(world: World, relations, client_for) -> None:
    answer = client_for("rm").get("/channels/contacts/")

    assert answer.status_code == 200
    body = answer.content.decode()
    customer_no = world.customers_rm_bj[0].customer_no
    assert f'href="/customers/{customer_no}/"' in body
    assert "客户联系人" in body
    assert "已认证" in body
    assert "线索" in body
    assert "已删除" in body
    assert "客户删除了员工" in body
    assert "孙*" not in body  # rm_bj2's lead is not rm_bj's
    assert relations["bj_verified"].contact.external_userid not in body


@pytest.mark.parametrize(
    "query",
    [
        "?verified=maybe",
        "?channel=abc",
        "?channel=999999",
        "?add_way=-1",
        "?status=gone",
        "?cursor=%%%",
        "?cursor=eyJ0IjpudWxsLCJpIjoxfQ",
        "?rm=" + "x" * 500,
    ],
)
def test_bad_filter_input_gets_a_chinese_message_and_never_a_server_error(
    world: World, relations, client_for, query: str
) -> None:
    answer = client_for("branch_manager").get(f"/channels/contacts/{query}")

    assert answer.status_code == 400
    body = answer.content.decode()
    assert 'id="contact-error"' in body
    assert 'data-relation="' not in body


def test_load_more_answers_only_the_next_rows_to_htmx(world: World, client_for) -> None:
    for _ in range(55):
        FollowRelationFactory(staff=world.rm_bj)
    client = client_for("rm")

    first = client.get("/channels/contacts/").content.decode()
    assert first.count('data-relation="') == 50
    next_url = first.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    more = client.get(next_url, headers={"HX-Request": "true"}).content.decode()

    assert more.count('data-relation="') == 5
    assert "<html" not in more
