"""Tag API: the catalogue, manual tagging in scope, rules with preview and validation, runs."""

import pytest

from customers.models import CustomerTag, Tag, TagKind, TagRule, TimelineEvent
from customers.tagging.services import customer_tags_assign, tag_create, tag_group_create
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(world: World) -> dict[str, Tag]:
    interests = tag_group_create(code="interest", name="兴趣")
    tiers = tag_group_create(code="tier", name="客户分层", exclusive=True)
    return {
        "golf": tag_create(group=interests, code="golf", name="高尔夫"),
        "gold": tag_create(group=tiers, code="gold", name="金卡"),
        "platinum": tag_create(group=tiers, code="platinum", name="白金卡"),
        "rich": tag_create(group=tiers, code="rich", name="高净值", kind=TagKind.RULE),
    }


def post(client, url: str, payload: dict):
    return client.post(url, payload, content_type="application/json")


def test_an_rm_tags_their_own_customers_and_the_timeline_says_so(
    world: World, client_for, catalogue: dict[str, Tag]
) -> None:
    mine = [c.customer_no for c in world.customers_rm_bj]

    response = post(client_for("rm"), "/api/customers/tags/golf/assign/", {"customer_nos": mine, "reason": "沙龙"})

    assert response.status_code == 200
    assert response.json() == {"tagged": 3, "untagged": 0}
    assert CustomerTag.objects.filter(tag=catalogue["golf"]).count() == 3
    event = TimelineEvent.objects.filter(kind="tagged").first()
    assert (event.actor_id, event.summary, event.data) == (
        world.rm_bj.pk,
        "高尔夫",
        {"tag": "golf", "source": "manual", "reason": "沙龙"},
    )


def test_tagging_ignores_customers_outside_the_callers_scope(
    world: World, client_for, catalogue: dict[str, Tag]
) -> None:
    theirs = [c.customer_no for c in world.customers_rm_sh]

    response = post(client_for("rm"), "/api/customers/tags/golf/assign/", {"customer_nos": theirs})

    assert response.json() == {"tagged": 0, "untagged": 0}
    assert not CustomerTag.objects.exists()


def test_an_exclusive_group_keeps_one_tag_per_customer(world: World, client_for, catalogue: dict[str, Tag]) -> None:
    customer_no = world.customers_rm_bj[0].customer_no
    client = client_for("rm")
    post(client, "/api/customers/tags/gold/assign/", {"customer_nos": [customer_no]})

    response = post(client, "/api/customers/tags/platinum/assign/", {"customer_nos": [customer_no]})

    assert response.json() == {"tagged": 1, "untagged": 1}
    assert list(CustomerTag.objects.values_list("tag__code", flat=True)) == ["platinum"]


def test_rule_tags_are_not_assigned_by_hand(world: World, client_for, catalogue: dict[str, Tag]) -> None:
    response = post(
        client_for("hq_admin"),
        "/api/customers/tags/rich/assign/",
        {"customer_nos": [world.customers_rm_bj[0].customer_no]},
    )

    assert response.status_code == 400
    assert "只有手工标签可以手动打上" in response.json()["message"]
    assert not CustomerTag.objects.exists()


def test_compliance_does_not_tag(world: World, client_for, catalogue: dict[str, Tag]) -> None:
    response = post(client_for("compliance"), "/api/customers/tags/golf/assign/", {"customer_nos": ["C0000000001"]})

    assert response.status_code == 403


def test_removing_a_tag_writes_an_untagged_event(world: World, client_for, catalogue: dict[str, Tag]) -> None:
    customers = world.customers_rm_bj
    customer_tags_assign(
        customers=type(customers[0]).objects.visible_to(world.rm_bj.user), tag=catalogue["golf"], actor=world.rm_bj
    )

    response = post(client_for("rm"), "/api/customers/tags/golf/remove/", {"customer_nos": [customers[0].customer_no]})

    assert response.json() == {"tagged": 0, "untagged": 1}
    assert TimelineEvent.objects.filter(kind="untagged", customer=customers[0]).count() == 1


def test_hq_admin_previews_then_saves_a_rule(world: World, client_for, catalogue: dict[str, Tag]) -> None:
    rich = world.customers_rm_sh[0]
    type(rich).objects.filter(pk=rich.pk).update(aum=800000)
    definition = {"field": "aum", "op": "gte", "value": 500000}
    client = client_for("hq_admin")

    preview = post(client, "/api/customers/tag-rules/preview/", {"definition": definition})
    saved = client.put("/api/customers/tags/rich/rule/", {"definition": definition}, content_type="application/json")

    assert preview.status_code == 200
    assert preview.json()["count"] == 1
    assert preview.json()["sample"][0]["customer_no"] == rich.customer_no
    assert preview.json()["sample"][0]["name_masked"] == "张*"
    assert saved.status_code == 200
    assert saved.json()["rule"]["definition"] == definition


@pytest.mark.parametrize(
    ("definition", "path", "reason"),
    [
        ({"field": "salary", "op": "gt", "value": 1}, "field", "没有名为“salary”的字段。"),
        ({"field": "aum", "op": "in", "value": [1]}, "op", "“资产规模”不能使用比较方式“in”"),
        ({"all": [{"field": "age", "op": "gte", "value": "old"}]}, "all[0].value", "请输入整数。"),
        ({"field": "branch", "op": "in_subtree", "value": "NOPE"}, "value", "机构“NOPE”不存在。"),
    ],
)
def test_an_invalid_rule_is_refused_with_its_reason(
    world: World, client_for, catalogue: dict[str, Tag], definition: dict, path: str, reason: str
) -> None:
    response = client_for("hq_admin").put(
        "/api/customers/tags/rich/rule/", {"definition": definition}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["extra"]["path"] == path
    assert reason in response.json()["extra"]["reason"]
    assert not TagRule.objects.exists()


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_only_hq_admins_write_rules_and_start_runs(
    world: World, client_for, catalogue: dict[str, Tag], role: str
) -> None:
    client = client_for(role)
    rule = {"definition": {"field": "aum", "op": "gte", "value": 1}}

    assert client.put("/api/customers/tags/rich/rule/", rule, content_type="application/json").status_code == 403
    assert post(client, "/api/customers/tag-rules/runs/", {}).status_code == 403
    assert not TagRule.objects.exists()


def test_starting_a_run_answers_202_with_its_progress(
    world: World, client_for, catalogue: dict[str, Tag], django_capture_on_commit_callbacks
) -> None:
    client = client_for("hq_admin")
    client.put(
        "/api/customers/tags/rich/rule/",
        {"definition": {"field": "aum", "op": "gte", "value": 1}},
        content_type="application/json",
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, "/api/customers/tag-rules/runs/", {})

    assert response.status_code == 202
    assert response.json()["status"] == "running"
    assert response.json()["rule_count"] == 1
    assert len(callbacks) == 1
    detail = client.get(f"/api/customers/tag-rules/runs/{response.json()['id']}/")
    assert detail.json()["ranges_total"] == 1


# --- Tagging the customers a search finds ----------------------------------------------------


def customer_nos_tagged(tag: Tag) -> set[str]:
    return set(CustomerTag.objects.filter(tag=tag).values_list("customer__customer_no", flat=True))


def test_the_filters_object_takes_the_customer_search_parameters() -> None:
    from customers.search.filters import CustomerSearchFilterSet
    from customers.tagging.apis import CustomerSearchFiltersInputSerializer

    assert list(CustomerSearchFiltersInputSerializer().fields) == list(CustomerSearchFilterSet.base_filters)


def test_an_rm_tags_every_customer_a_search_finds_within_their_scope(
    world: World, client_for, catalogue: dict[str, Tag]
) -> None:
    type(world.customers_rm_sh[0]).objects.update(aum=800_000)  # everyone, in every branch, matches
    mine = {c.customer_no for c in [*world.customers_rm_bj, world.pool_customer_bj_hd_1]}

    response = post(
        client_for("rm"), "/api/customers/tags/golf/assign/", {"filters": {"aum_min": 500_000}, "reason": "沙龙"}
    )

    assert response.status_code == 200
    assert response.json() == {"tagged": 4, "untagged": 0}
    assert customer_nos_tagged(catalogue["golf"]) == mine


def test_filters_never_reach_customers_outside_the_callers_scope(
    world: World, client_for, catalogue: dict[str, Tag]
) -> None:
    client = client_for("branch_manager")

    other_branch = post(client, "/api/customers/tags/golf/assign/", {"filters": {"branch": "SH"}})
    other_owner = post(client, "/api/customers/tags/golf/assign/", {"filters": {"owner": world.rm_sh.employee_no}})
    unknown_branch = post(client, "/api/customers/tags/golf/assign/", {"filters": {"branch": "NOPE"}})
    nobodys_name = post(client, "/api/customers/tags/golf/assign/", {"filters": {"branch": "BJ", "name": "李四"}})

    for response in (other_branch, other_owner, unknown_branch, nobodys_name):
        assert response.status_code == 200
        assert response.json() == {"tagged": 0, "untagged": 0}
    assert not CustomerTag.objects.exists()


def test_a_branch_manager_tags_one_rms_customers_by_filter(world: World, client_for, catalogue: dict[str, Tag]) -> None:
    response = post(
        client_for("branch_manager"),
        "/api/customers/tags/golf/assign/",
        {"filters": {"owner": world.rm_bj2.employee_no, "branch": "BJ-HD"}},
    )

    assert response.json() == {"tagged": 2, "untagged": 0}
    assert customer_nos_tagged(catalogue["golf"]) == {c.customer_no for c in world.customers_rm_bj2}


def test_tags_found_by_a_comma_separated_tag_filter_are_removed(
    world: World, client_for, catalogue: dict[str, Tag]
) -> None:
    client = client_for("hq_admin")
    golfers = [c.customer_no for c in world.customers_rm_sh[:2]]
    post(client, "/api/customers/tags/golf/assign/", {"customer_nos": golfers})

    response = post(client, "/api/customers/tags/golf/remove/", {"filters": {"tags_any": "golf,gold"}})

    assert response.json() == {"tagged": 0, "untagged": 2}
    assert not CustomerTag.objects.exists()
    assert TimelineEvent.objects.filter(kind="untagged").count() == 2


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"filters": {"tag_any": ["golf"]}}, {"filters": {"tag_any": ["不是客户查询的筛选条件。"]}}),
        ({"filters": {}}, {"filters": {"non_field_errors": ["请至少给出一个筛选条件。"]}}),
        ({"filters": {"aum_min": "lots"}}, {"filters": {"aum_min": ["请填写合法的数字。"]}}),
        ({"filters": {"aum_min": 10, "aum_max": 1}}, {"filters": {"aum_max": ["不能低于资产下限。"]}}),
        ({"filters": {"phone": "abc"}}, {"filters": {"phone": ["请输入手机号。"]}}),
        (
            {"filters": "aum_min=1"},
            {"filters": {"non_field_errors": ["无效数据。期待为字典类型，得到的是 str 。"]}},
        ),
        (
            {"filters": {"aum_min": 1}, "customer_nos": ["C1"]},
            {"non_field_errors": ["customer_nos 与 filters 须给出且只给出其一。"]},
        ),
        ({"reason": "x"}, {"non_field_errors": ["customer_nos 与 filters 须给出且只给出其一。"]}),
    ],
)
def test_a_bad_selection_answers_400_and_tags_nobody(
    world: World, client_for, catalogue: dict[str, Tag], payload: dict, errors: dict
) -> None:
    response = client_for("hq_admin").post("/api/customers/tags/golf/assign/", payload, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"message": "Validation error", "extra": {"fields": errors}}
    assert not CustomerTag.objects.exists()
    assert not TimelineEvent.objects.exists()


def test_an_unknown_tag_in_the_filters_answers_400_and_tags_nobody(
    world: World, client_for, catalogue: dict[str, Tag]
) -> None:
    response = post(client_for("hq_admin"), "/api/customers/tags/golf/assign/", {"filters": {"tags_all": ["nope"]}})

    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "tags", "codes": ["nope"]}
    assert not CustomerTag.objects.exists()


def test_a_selection_django_knows_is_empty_tags_nobody(world: World, catalogue: dict[str, Tag]) -> None:
    from customers.tagging.services import customer_tags_assign as assign

    result = assign(customers=type(world.customers_rm_bj[0]).objects.none(), tag=catalogue["gold"], actor=world.rm_bj)

    assert (result.tagged, result.untagged) == (0, 0)
    assert not CustomerTag.objects.exists()
