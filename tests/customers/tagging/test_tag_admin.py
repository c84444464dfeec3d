"""Tag administration: HQ admins keep the catalogue through audited services and Chinese forms."""

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from customers.audit import CustomerAuditAction
from customers.models import CustomerTag, Tag, TagGroup, TagKind
from customers.tagging.services import (
    customer_tags_assign,
    tag_active_set,
    tag_create,
    tag_group_create,
    tag_group_update,
    tag_update,
)
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from tests.conftest import World

pytestmark = pytest.mark.django_db


def audit_rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


@pytest.fixture
def interests(world: World) -> TagGroup:
    return tag_group_create(name="兴趣爱好", color="#aa3300", actor=world.hq_admin)


# --- Services ---------------------------------------------------------------------------


def test_a_new_group_and_tag_get_generated_codes_and_are_audited(world: World, interests: TagGroup) -> None:
    tag = tag_create(group=interests, name="高尔夫", description="喜欢高尔夫", actor=world.hq_admin)

    assert interests.code.startswith("g_")
    assert tag.code.startswith("t_")
    assert (tag.kind, tag.color) == (TagKind.MANUAL, "#aa3300")  # the group's kind and colour
    [group_row] = audit_rows(CustomerAuditAction.TAG_GROUP_CREATED)
    [tag_row] = audit_rows(CustomerAuditAction.TAG_CREATED)
    assert group_row.actor_id == world.hq_admin.user_id
    assert group_row.data["name"] == "兴趣爱好"
    assert tag_row.target_id == str(tag.pk)
    assert tag_row.data["group"] == interests.code


@pytest.mark.parametrize(
    ("name", "color", "message"),
    [
        ("", "#112233", "请填写名称。"),
        ("兴趣爱好", "#112233", "已存在名为“兴趣爱好”的标签分组。"),
        ("新分组", "red", "请选择颜色"),
    ],
)
def test_a_bad_group_is_refused_in_chinese_and_nothing_is_written(
    world: World, interests: TagGroup, name: str, color: str, message: str
) -> None:
    before = AuditEvent.objects.count()

    with pytest.raises(ApplicationError, match=message):
        tag_group_create(name=name, color=color, actor=world.hq_admin)

    assert TagGroup.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_a_group_records_old_and_new_values_when_edited(world: World, interests: TagGroup) -> None:
    tag_group_update(
        group=interests, name="爱好", description="", exclusive=True, kind=TagKind.MANUAL, color="#aa3300",
        actor=world.hq_admin,
    )  # fmt: skip

    interests.refresh_from_db()
    assert (interests.name, interests.exclusive) == ("爱好", True)
    [row] = audit_rows(CustomerAuditAction.TAG_GROUP_CHANGED)
    assert row.data["changes"] == {"name": {"old": "兴趣爱好", "new": "爱好"}, "exclusive": {"old": False, "new": True}}


def test_a_group_where_customers_hold_two_tags_cannot_become_exclusive(world: World, interests: TagGroup) -> None:
    golf, tea = (tag_create(group=interests, name=name, actor=world.hq_admin) for name in ("高尔夫", "茶艺"))
    everyone = type(world.customers_rm_bj[0]).objects.filter(pk=world.customers_rm_bj[0].pk)
    customer_tags_assign(customers=everyone, tag=golf, actor=world.hq_admin)
    customer_tags_assign(customers=everyone, tag=tea, actor=world.hq_admin)

    with pytest.raises(ApplicationError, match="有 1 位客户同时带有该分组的多个标签"):
        tag_group_update(
            group=interests, name="兴趣爱好", description="", exclusive=True, kind=TagKind.MANUAL,
            color="#aa3300", actor=world.hq_admin,
        )  # fmt: skip

    interests.refresh_from_db()
    assert not interests.exclusive


def test_a_group_with_tags_keeps_its_kind(world: World, interests: TagGroup) -> None:
    tag_create(group=interests, name="高尔夫", actor=world.hq_admin)

    with pytest.raises(ApplicationError, match="不能更改类型"):
        tag_group_update(
            group=interests, name="兴趣爱好", description="", exclusive=False, kind=TagKind.RULE,
            color="#aa3300", actor=world.hq_admin,
        )  # fmt: skip


def test_a_tag_is_edited_moved_retired_and_reactivated_with_an_audit_row_each(
    world: World, interests: TagGroup
) -> None:
    tag = tag_create(group=interests, name="高尔夫", actor=world.hq_admin)
    hobbies = tag_group_create(name="生活方式", actor=world.hq_admin)

    tag_update(tag=tag, name="高尔夫球", color="#00aa00", description="", group=hobbies, actor=world.hq_admin)
    tag_active_set(tag=tag, active=False, actor=world.hq_admin)
    retired = Tag.objects.get(pk=tag.pk)
    tag_active_set(tag=tag, active=True, actor=world.hq_admin)

    tag.refresh_from_db()
    assert (tag.name, tag.color, tag.group_id, tag.is_active) == ("高尔夫球", "#00aa00", hobbies.pk, True)
    assert not retired.is_active
    [changed] = audit_rows(CustomerAuditAction.TAG_CHANGED)
    assert changed.data["changes"]["group"] == {"old": interests.code, "new": hobbies.code}
    assert len(audit_rows(CustomerAuditAction.TAG_RETIRED)) == 1
    assert len(audit_rows(CustomerAuditAction.TAG_REACTIVATED)) == 1


def test_a_retired_tag_is_given_to_nobody(world: World, interests: TagGroup) -> None:
    tag = tag_create(group=interests, name="高尔夫", actor=world.hq_admin)
    tag_active_set(tag=tag, active=False, actor=world.hq_admin)
    everyone = type(world.customers_rm_bj[0]).objects.all()

    with pytest.raises(ApplicationError, match="“高尔夫”已停用。"):
        customer_tags_assign(customers=everyone, tag=Tag.objects.get(pk=tag.pk), actor=world.hq_admin)

    assert not CustomerTag.objects.exists()


def test_a_tag_moves_only_into_a_group_of_its_kind(world: World, interests: TagGroup) -> None:
    tag = tag_create(group=interests, name="高尔夫", actor=world.hq_admin)
    rules = tag_group_create(name="规则标签", kind=TagKind.RULE, actor=world.hq_admin)

    with pytest.raises(ApplicationError, match="标签只能移到同类型"):
        tag_update(tag=tag, name="高尔夫", color="#aa3300", description="", group=rules, actor=world.hq_admin)

    tag.refresh_from_db()
    assert tag.group_id == interests.pk


# --- Pages ------------------------------------------------------------------------------


def test_an_hq_admin_creates_a_group_and_a_tag_through_the_forms(world: World, client_for) -> None:
    client = client_for("hq_admin")

    created = client.post(
        "/tags/groups/new/", {"name": "理财偏好", "kind": "manual", "exclusive": "on", "color": "#336699"}
    )
    group = TagGroup.objects.get(name="理财偏好")
    form = client.get(f"/tags/new/?group={group.pk}")
    tagged = client.post("/tags/new/", {"name": "稳健型", "group": group.pk, "color": "#336699", "description": ""})

    assert created.status_code == 302
    assert tagged.status_code == 302
    assert group.exclusive
    assert group.kind == TagKind.MANUAL
    assertContains(form, 'value="#336699"')
    tag = Tag.objects.get(name="稳健型")
    assert tag.group_id == group.pk
    catalogue = client.get("/tags/")
    assertContains(catalogue, "稳健型")
    assertContains(catalogue, "已创建标签“稳健型”。")
    assertNotContains(catalogue, "<code")  # no internal code is shown
    assert f">{tag.code}<" not in catalogue.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "manual", "color": "#336699"}, "该字段是必填项。"),
        ({"name": "理财偏好", "kind": "stock", "color": "#336699"}, "选择一个有效的选项"),
        ({"name": "理财偏好", "kind": "manual", "color": "blue"}, "请选择颜色，例如 #1f6feb。"),
        ({"name": "兴趣爱好", "kind": "manual", "color": "#336699"}, "已存在名为“兴趣爱好”的标签分组。"),
    ],
)
def test_a_bad_group_form_says_why_in_chinese_and_changes_nothing(
    world: World, client_for, interests: TagGroup, data: dict[str, str], message: str
) -> None:
    response = client_for("hq_admin").post("/tags/groups/new/", data)

    assert response.status_code == 400
    assertContains(response, message, status_code=400)
    assert TagGroup.objects.count() == 1


def test_a_tag_form_refuses_a_duplicate_name_and_an_unknown_group(
    world: World, client_for, interests: TagGroup
) -> None:
    tag_create(group=interests, name="高尔夫", actor=world.hq_admin)
    client = client_for("hq_admin")

    duplicate = client.post("/tags/new/", {"name": "高尔夫", "group": interests.pk, "color": "#336699"})
    unknown = client.post("/tags/new/", {"name": "茶艺", "group": 999_999, "color": "#336699"})

    assertContains(duplicate, "已存在名为“高尔夫”的标签。", status_code=400)
    assertContains(unknown, "请从标签分组中选择一个。", status_code=400)
    assert Tag.objects.count() == 1


def test_an_hq_admin_retires_and_reactivates_from_the_catalogue(world: World, client_for, interests) -> None:
    tag = tag_create(group=interests, name="高尔夫", actor=world.hq_admin)
    client = client_for("hq_admin")

    client.post(f"/tags/{tag.pk}/retire/")
    retired = client.get("/tags/")
    client.post(f"/tags/{tag.pk}/reactivate/")

    assertContains(retired, "已停用")
    assertContains(retired, f"/tags/{tag.pk}/reactivate/")
    assert Tag.objects.get(pk=tag.pk).is_active


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_only_hq_admins_administer_the_catalogue(world: World, client_for, interests: TagGroup, role: str) -> None:
    tag = tag_create(group=interests, name="高尔夫", actor=world.hq_admin)
    client = client_for(role)

    responses = [
        client.get("/tags/groups/new/"),
        client.post("/tags/groups/new/", {"name": "新分组", "kind": "manual", "color": "#336699"}),
        client.post(f"/tags/groups/{interests.pk}/edit/", {"name": "改名", "kind": "manual", "color": "#336699"}),
        client.post("/tags/new/", {"name": "茶艺", "group": interests.pk, "color": "#336699"}),
        client.post(f"/tags/{tag.pk}/edit/", {"name": "改名", "group": interests.pk, "color": "#336699"}),
        client.post(f"/tags/{tag.pk}/retire/"),
    ]

    assert [response.status_code for response in responses] == [403] * 6
    assert list(TagGroup.objects.values_list("name", flat=True)) == ["兴趣爱好"]
    assert list(Tag.objects.values_list("name", "is_active")) == [("高尔夫", True)]


def test_editing_an_unknown_tag_or_group_is_a_404(world: World, client_for) -> None:
    client = client_for("hq_admin")

    assert client.get("/tags/999999/edit/").status_code == 404
    assert client.get("/tags/groups/999999/edit/").status_code == 404
    assert client.post("/tags/999999/retire/").status_code == 404


def test_the_api_creates_a_group_and_a_tag_without_codes_and_audits_the_caller(world: World, client_for) -> None:
    client = client_for("hq_admin")

    group = client.post(
        "/api/customers/tag-groups/new/", {"name": "渠道偏好", "color": "#123456"}, content_type="application/json"
    )
    tag = client.post(
        "/api/customers/tags/new/",
        {"group_code": group.json()["code"], "name": "手机银行"},
        content_type="application/json",
    )

    assert group.status_code == 201
    assert tag.status_code == 201
    assert tag.json()["code"].startswith("t_")
    assert (tag.json()["color"], tag.json()["kind"]) == ("#123456", "manual")
    rows = AuditEvent.objects.filter(
        action__in=[CustomerAuditAction.TAG_GROUP_CREATED, CustomerAuditAction.TAG_CREATED]
    )
    assert {row.actor_id for row in rows} == {world.hq_admin.user_id}
    assert rows.count() == 2
