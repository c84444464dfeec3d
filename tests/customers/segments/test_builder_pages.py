"""The segment builder: HQ admins create and edit segments, preview them live, and are told what is wrong."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from customers.audit import CustomerAuditAction
from customers.models import Segment
from customers.segments.services import segment_create
from scrm.audit.models import AuditEvent
from tests.conftest import World
from tests.customers.segments.conftest import Tags

pytestmark = pytest.mark.django_db

RULE = {"field": "aum", "op": "gte", "value": 50000}


@pytest.fixture
def segment(world: World, tags: Tags) -> Segment:
    return segment_create(
        name="高净值贵宾",
        description="贵宾且资产五万以上",
        definition={"tags_any": ["vip"], "tags_none": ["dnd"], "rule": RULE},
        actor=world.hq_admin,
    )


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "贵宾养老",
        "description": "贵宾或养老金客户，勿扰除外",
        "tags_any": ["vip", "pension"],
        "tags_all": [],
        "tags_none": ["dnd"],
        "rule": "",
    }
    return data | overrides


def definition_of(segment: Segment) -> dict[str, object]:
    return Segment.objects.get(pk=segment.pk).definition


# --- Who may build ----------------------------------------------------------------------


def test_hq_admins_see_the_new_and_edit_buttons(segment: Segment, client_for) -> None:
    client = client_for("hq_admin")

    listing = client.get(reverse("segments-page"))
    detail = client.get(reverse("segment-page", args=[segment.pk]))

    assertContains(listing, f'href="{reverse("segment-create")}"')
    assertContains(detail, f'href="{reverse("segment-edit", args=[segment.pk])}"')


@pytest.mark.parametrize("role", ["rm", "compliance"])
def test_other_roles_neither_see_the_buttons_nor_open_the_builder(segment: Segment, client_for, role: str) -> None:
    client = client_for(role)
    before = definition_of(segment)

    listing = client.get(reverse("segments-page"))
    detail = client.get(reverse("segment-page", args=[segment.pk]))
    create_page = client.get(reverse("segment-create"))
    created = client.post(reverse("segment-create"), form_data())
    edit_page = client.get(reverse("segment-edit", args=[segment.pk]))
    edited = client.post(reverse("segment-edit", args=[segment.pk]), form_data())
    preview = client.post(reverse("segment-builder-preview"), form_data())

    assertNotContains(listing, reverse("segment-create"))
    assertNotContains(detail, reverse("segment-edit", args=[segment.pk]))
    assert [r.status_code for r in (create_page, created, edit_page, edited, preview)] == [403] * 5
    assert list(Segment.objects.values_list("name", flat=True)) == ["高净值贵宾"]
    assert definition_of(segment) == before


def test_strangers_are_sent_to_sign_in(segment: Segment) -> None:
    response = Client().get(reverse("segment-edit", args=[segment.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- Building ---------------------------------------------------------------------------


def test_the_form_offers_the_catalogue_grouped_by_tag_group(world: World, tags: Tags, client_for) -> None:
    response = client_for("hq_admin").get(reverse("segment-create"))

    assert response.status_code == 200
    assertContains(response, '<optgroup label="营销">', count=3)
    assertContains(response, '<option value="vip">贵宾</option>', count=3, html=True)
    assertContains(response, 'id="rule-builder-schema"')
    assertContains(response, "资产规模")  # the fields by their Chinese names, never their codes
    assertNotContains(response, "<code>aum</code>", html=True)


def test_an_hq_admin_creates_a_segment(world: World, tags: Tags, client_for) -> None:
    response = client_for("hq_admin").post(
        reverse("segment-create"), form_data(tags_all=["pension"], tags_any=["vip"], rule=json.dumps(RULE))
    )

    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("segment-page", args=[segment.pk])
    assert (segment.name, segment.description, segment.created_by_id) == (
        "贵宾养老",
        "贵宾或养老金客户，勿扰除外",
        world.hq_admin.pk,
    )
    assert segment.definition == {"tags_any": ["vip"], "tags_all": ["pension"], "tags_none": ["dnd"], "rule": RULE}


def test_the_edit_form_shows_the_saved_definition(segment: Segment, client_for) -> None:
    response = client_for("hq_admin").get(reverse("segment-edit", args=[segment.pk]))

    assert response.status_code == 200
    assertContains(response, 'value="高净值贵宾"')
    assertContains(response, '<option value="vip" selected>贵宾</option>', count=1, html=True)
    assertContains(response, '<option value="dnd" selected>勿扰</option>', count=1, html=True)
    assertContains(response, "&quot;op&quot;: &quot;gte&quot;")


def test_an_hq_admin_edits_a_segment_and_sees_it_saved(segment: Segment, client_for) -> None:
    client = client_for("hq_admin")

    response = client.post(
        reverse("segment-edit", args=[segment.pk]), form_data(name="养老金客户", tags_any=["pension"]), follow=True
    )

    assert response.redirect_chain == [(reverse("segment-page", args=[segment.pk]), 302)]
    assertContains(response, "客群已保存。")
    assert Segment.objects.get(pk=segment.pk).name == "养老金客户"
    assert definition_of(segment) == {"tags_any": ["pension"], "tags_all": [], "tags_none": ["dnd"], "rule": None}


# --- Refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "请填写客群名称。"),
        ({"rule": "{not json"}, "规则不是有效的 JSON"),
        ({"rule": '{"field": "salary", "op": "gt", "value": 1}'}, "没有名为“salary”的字段"),
        ({"tags_any": [], "tags_none": []}, "客群至少需要一个标签条件或一条规则。"),
        ({"tags_all": ["dnd"]}, "dnd"),
        ({"tags_any": ["gold"]}, "gold"),
    ],
)
def test_invalid_input_is_explained_and_what_was_typed_is_kept(
    world: World, tags: Tags, client_for, overrides: dict[str, object], message: str
) -> None:
    data = form_data(**overrides)

    response = client_for("hq_admin").post(reverse("segment-create"), data)

    assert response.status_code == 400
    assertContains(response, message, status_code=400)
    assertContains(response, "贵宾或养老金客户，勿扰除外", status_code=400)
    lists = [data[key] for key in ("tags_any", "tags_all", "tags_none")]
    for code in {"vip", "pension", "dnd"}:
        chosen = sum(code in codes for codes in lists)  # type: ignore[operator]
        assertContains(response, f'<option value="{code}" selected>', count=chosen, status_code=400)
    if data["rule"]:
        assertContains(response, str(data["rule"]).replace('"', "&quot;"), status_code=400)
    assert not Segment.objects.exists()


def test_a_refused_edit_changes_nothing(segment: Segment, client_for) -> None:
    before = definition_of(segment)

    response = client_for("hq_admin").post(
        reverse("segment-edit", args=[segment.pk]), form_data(name="新名字", rule='{"field": "aum", "op": "in"}')
    )

    assert response.status_code == 400
    assertContains(response, 'data-problem-path="op"', status_code=400)
    assertContains(response, "“资产规模”不能使用比较方式“in”", status_code=400)
    assertContains(response, "高净值贵宾", status_code=400)  # the heading still names the saved segment
    assert Segment.objects.get(pk=segment.pk).name == "高净值贵宾"
    assert definition_of(segment) == before


def test_an_unknown_segment_is_not_found(world: World, client_for) -> None:
    assert client_for("hq_admin").get(reverse("segment-edit", args=[999])).status_code == 404


# --- Preview ----------------------------------------------------------------------------


def test_the_preview_counts_and_samples_the_unsaved_definition_masked(world: World, tags: Tags, client_for) -> None:
    response = client_for("hq_admin").post(reverse("segment-builder-preview"), form_data(tags_any=["vip"]))

    assert response.status_code == 200
    # vip, not dnd: rm_bj's c0 and c1, rm_sh's c0 and the pool customer.
    assertContains(response, 'data-preview-count="4"')
    for customer in [*world.customers_rm_bj[:2], world.customers_rm_sh[0], world.pool_customer_bj_hd_1]:
        assertContains(response, customer.customer_no)
    assertNotContains(response, world.customers_rm_bj2[0].customer_no)
    assertNotContains(response, "张三")
    assert not Segment.objects.exists()


def test_the_preview_explains_an_invalid_definition(world: World, tags: Tags, client_for) -> None:
    client = client_for("hq_admin")

    bad_json = client.post(reverse("segment-builder-preview"), form_data(rule="{oops"))
    bad_rule = client.post(reverse("segment-builder-preview"), form_data(rule='{"field": "salary", "op": "gt"}'))

    assertContains(bad_json, "规则不是有效的 JSON")
    assertContains(bad_rule, "没有名为“salary”的字段")
    assertNotContains(bad_rule, "data-preview-count")


# --- Branch managers build segments for their subtree -------------------------------------


def test_a_branch_manager_sees_the_new_segment_button_and_builds_one(world: World, tags: Tags, client_for) -> None:
    client = client_for("branch_manager")

    listing = client.get(reverse("segments-page"))
    response = client.post(
        reverse("segment-create"),
        form_data(
            tags_any=["vip"], tags_none=[], rule=json.dumps({"field": "branch", "op": "in_subtree", "value": "BJ-HD"})
        ),
    )

    assertContains(listing, f'href="{reverse("segment-create")}"')
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert (segment.created_by, segment.definition["rule"]) == (
        world.branch_manager_bj,
        {"field": "branch", "op": "in_subtree", "value": "BJ-HD"},
    )
    event = AuditEvent.objects.get(action=CustomerAuditAction.SEGMENT_SAVE)
    assert (event.actor_id, event.target_id, event.data["before"]) == (
        world.branch_manager_bj.user_id,
        str(segment.pk),
        None,
    )


def test_the_branch_picker_offers_only_the_branch_managers_subtree(world: World, tags: Tags, client_for) -> None:
    response = client_for("branch_manager").get(reverse("segment-create"))

    schema = response.context["schema"]
    assert [branch["label"] for branch in schema["branches"]] == ["北京分行", "海淀支行", "中关村网点", "五道口网点"]
    assert [branch["depth"] for branch in schema["branches"]] == [0, 1, 2, 2]
    (group,) = schema["tags"]  # tags by group, offered by name; the code is only the option's value
    assert group["group"] == "营销"
    assert sorted((option["value"], option["label"]) for option in group["options"]) == [
        ("dnd", "勿扰"),
        ("pension", "养老金客户"),
        ("vip", "贵宾"),
    ]


def test_a_branch_managers_preview_counts_only_their_subtree(world: World, tags: Tags, client_for) -> None:
    data = form_data(tags_any=["vip"], tags_none=[])

    mine = client_for("branch_manager").post(reverse("segment-builder-preview"), data)
    everyone = client_for("hq_admin").post(reverse("segment-builder-preview"), data)

    assertContains(mine, 'data-preview-count="4"')
    assertNotContains(mine, world.customers_rm_sh[0].customer_no)
    assertContains(everyone, 'data-preview-count="5"')


def test_a_branch_manager_edits_only_segments_built_in_their_subtree(
    world: World, segment: Segment, tags: Tags, client_for
) -> None:
    client = client_for("branch_manager")
    own = segment_create(name="北京贵宾", definition={"tags_any": ["vip"]}, actor=world.branch_manager_bj)
    before = definition_of(segment)

    detail = client.get(reverse("segment-page", args=[segment.pk]))
    foreign_page = client.get(reverse("segment-edit", args=[segment.pk]))
    foreign_edit = client.post(reverse("segment-edit", args=[segment.pk]), form_data(name="改掉"))
    own_edit = client.post(reverse("segment-edit", args=[own.pk]), form_data(name="北京养老", tags_any=["pension"]))

    assertNotContains(detail, reverse("segment-edit", args=[segment.pk]))
    assert [foreign_page.status_code, foreign_edit.status_code, own_edit.status_code] == [404, 404, 302]
    assert (Segment.objects.get(pk=segment.pk).name, definition_of(segment)) == ("高净值贵宾", before)
    assert Segment.objects.get(pk=own.pk).name == "北京养老"


# --- The rule builder ---------------------------------------------------------------------


def test_every_rule_problem_is_listed_at_its_path_and_nothing_is_saved(world: World, tags: Tags, client_for) -> None:
    rule = {
        "all": [{"field": "aum", "op": "gte", "value": "多"}, {"any": [{"field": "age", "op": "gte", "value": 200}]}]
    }

    saved = client_for("hq_admin").post(reverse("segment-create"), form_data(rule=json.dumps(rule)))
    preview = client_for("hq_admin").post(reverse("segment-builder-preview"), form_data(rule=json.dumps(rule)))

    for response in (saved, preview):
        content = response.content.decode()
        assert 'data-problem-path="all[0].value"' in content
        assert 'data-problem-path="all[1].any[0].value"' in content
        assert "“多”不是数字。" in content
        assert "不能大于 150。" in content
        assert "规则有 2 处问题" in content
    assert saved.status_code == 400
    assert preview.status_code == 200
    assert not Segment.objects.exists()


@pytest.mark.parametrize("rule", ["[]", "null", '"aum"', "1e999", '{"all": [' * 20 + "]" * 20, '{"not": {}}'])
def test_odd_rules_are_explained_never_a_server_error(world: World, tags: Tags, client_for, rule: str) -> None:
    saved = client_for("hq_admin").post(reverse("segment-create"), form_data(rule=rule))
    preview = client_for("hq_admin").post(reverse("segment-builder-preview"), form_data(rule=rule))

    assert saved.status_code in (302, 400)
    assert preview.status_code == 200
    if saved.status_code == 400:
        assertContains(preview, "data-rule-problems")
