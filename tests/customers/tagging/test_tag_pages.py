"""Tag pages: the catalogue shows scoped counts; HQ admins edit, preview and run rules."""

import json

import pytest

from customers.models import Tag, TagKind, TagRule
from customers.tagging.services import customer_tags_assign, tag_create, tag_group_create
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
    [("{not json", "规则不是有效的 JSON（第 1 行，第 2 列）"), ('{"field": "salary", "op": "gt", "value": 1}', "没有名为“salary”的字段")],
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
