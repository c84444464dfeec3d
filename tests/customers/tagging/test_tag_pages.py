"""Tag pages: the catalogue shows scoped counts; HQ admins edit, preview and run rules."""

import json

import pytest

from customers.audit import CustomerAuditAction
from customers.models import Tag, TagKind, TagRule
from customers.tagging.services import customer_tags_assign, tag_create, tag_group_create
from scrm.audit.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags(world: World) -> dict[str, Tag]:
    group = tag_group_create(code="g", name="客户特征")
    golf = tag_create(group=group, code="golf", name="高尔夫")
    rich = tag_create(group=group, code="rich", name="高净值", kind=TagKind.RULE)
    everyone = type(world.customers_rm_bj[0]).objects.visible_to(world.hq_admin.user)
    customer_tags_assign(customers=everyone, tag=golf, actor=world.hq_admin)
    return {"golf": golf, "rich": rich}


@pytest.mark.parametrize(("role", "golf_count"), [("hq_admin", 10), ("branch_manager", 6), ("rm", 4)])
def test_the_catalogue_counts_only_customers_the_viewer_can_see(
    world: World, client_for, tags: dict[str, Tag], role: str, golf_count: int
) -> None:
    response = client_for(role).get("/tags/")

    assert response.status_code == 200
    assert f'data-tag-count="golf">{golf_count}<' in response.content.decode()


def test_only_hq_admins_see_the_editing_controls(world: World, client_for, tags: dict[str, Tag]) -> None:
    assert "/tags/rich/rule/" in client_for("hq_admin").get("/tags/").content.decode()
    assert "/tags/rich/rule/" not in client_for("rm").get("/tags/").content.decode()
    assert client_for("rm").get("/tags/rich/rule/").status_code == 403


def test_the_editor_previews_and_saves_a_rule(world: World, client_for, tags: dict[str, Tag]) -> None:
    client = client_for("hq_admin")
    definition = json.dumps({"field": "aum", "op": "gte", "value": 100000})

    preview = client.post("/tags/rules/preview/", {"definition": definition})
    saved = client.post("/tags/rich/rule/", {"definition": definition})

    assert 'data-preview-count="10"' in preview.content.decode()
    assert saved.status_code == 302
    assert TagRule.objects.get(tag=tags["rich"]).definition == json.loads(definition)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "规则不是有效的 JSON（第 1 行，第 2 列）"),
        ('{"field": "salary", "op": "gt", "value": 1}', "没有名为“salary”的字段"),
    ],
)
def test_the_editor_explains_an_invalid_rule_and_keeps_the_text(
    world: World, client_for, tags: dict[str, Tag], text: str, message: str
) -> None:
    response = client_for("hq_admin").post("/tags/rich/rule/", {"definition": text})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TagRule.objects.exists()


def test_starting_a_run_shows_its_progress(world: World, client_for, tags: dict[str, Tag]) -> None:
    client = client_for("hq_admin")
    client.post("/tags/rich/rule/", {"definition": json.dumps({"field": "aum", "op": "gte", "value": 1})})

    response = client.post("/tags/runs/")

    assert response.status_code == 200
    assert 'data-run-status="running"' in response.content.decode()
    assert "every 1s" in response.content.decode()


def test_the_editor_lists_every_problem_at_its_path_and_saves_nothing(
    world: World, client_for, tags: dict[str, Tag]
) -> None:
    rule = {
        "all": [{"field": "aum", "op": "in", "value": 1}, {"not": {"field": "has_tag", "op": "eq", "value": "gone"}}]
    }

    saved = client_for("hq_admin").post("/tags/rich/rule/", {"definition": json.dumps(rule)})
    preview = client_for("hq_admin").post("/tags/rules/preview/", {"definition": json.dumps(rule)})

    assert (saved.status_code, preview.status_code) == (400, 200)
    for response in (saved, preview):
        content = response.content.decode()
        assert 'data-problem-path="all[0].op"' in content
        assert "“资产规模”不能使用比较方式“in”" in content
        assert "第 1 项 › 比较方式" in content
    assert not TagRule.objects.exists()


def test_a_second_problem_is_found_once_the_first_is_fixed(world: World, client_for, tags: dict[str, Tag]) -> None:
    rule = {"all": [{"field": "aum", "op": "gte", "value": 1}, {"field": "has_tag", "op": "eq", "value": "gone"}]}

    preview = client_for("hq_admin").post("/tags/rules/preview/", {"definition": json.dumps(rule)})

    assert 'data-problem-path="all[1].value"' in preview.content.decode()
    assert "标签“gone”不存在。" in preview.content.decode()


def test_the_editor_offers_fields_and_tags_by_their_chinese_names(
    world: World, client_for, tags: dict[str, Tag]
) -> None:
    response = client_for("hq_admin").get("/tags/rich/rule/")

    content = response.content.decode()
    schema = response.context["schema"]
    assert 'id="rule-builder-schema"' in content
    assert {field["name"]: field["label"] for field in schema["fields"]}["aum"] == "资产规模"
    assert {field["name"]: field["unit"] for field in schema["fields"]}["aum"] == "元"
    assert [branch["label"] for branch in schema["branches"]][:2] == ["总行", "北京分行"]
    assert {option["label"] for group in schema["tags"] for option in group["options"]} == {"高尔夫", "高净值"}
    assert "<code>aum</code>" not in content


def test_saving_a_rule_is_audited_with_before_and_after(world: World, client_for, tags: dict[str, Tag]) -> None:
    client = client_for("hq_admin")
    first = {"field": "aum", "op": "gte", "value": 1}
    second = {"field": "age", "op": "gte", "value": 60}

    client.post("/tags/rich/rule/", {"definition": json.dumps(first)})
    client.post("/tags/rich/rule/", {"definition": json.dumps(second)})

    events = list(AuditEvent.objects.filter(action=CustomerAuditAction.TAG_RULE_SAVE).order_by("id"))
    assert [(event.actor_id, event.data["before"], event.data["after"]["definition"]) for event in events] == [
        (world.hq_admin.user_id, None, first),
        (world.hq_admin.user_id, {"definition": first, "is_active": True}, second),
    ]


@pytest.mark.parametrize("text", ["", "[]", "null", "1e999", '{"any": ' * 30 + "{}" + "}" * 30, '{"field": {}}'])
def test_odd_input_is_explained_never_a_server_error(world: World, client_for, tags: dict[str, Tag], text: str) -> None:
    saved = client_for("hq_admin").post("/tags/rich/rule/", {"definition": text})
    preview = client_for("hq_admin").post("/tags/rules/preview/", {"definition": text})

    assert (saved.status_code, preview.status_code) == (400, 200)
    assert "data-rule-problems" in saved.content.decode()
    assert "data-rule-problems" in preview.content.decode()
    assert not TagRule.objects.exists()
