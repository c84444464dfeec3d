"""A saved rule reads as words on its page: fields, operators, choices, tags and branches by name."""

import pytest
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains

from customers.rules.builder import rule_describe
from customers.segments.services import segment_create
from customers.tagging.services import tag_create, tag_group_create
from tests.conftest import World

pytestmark = pytest.mark.django_db

RULE = {
    "all": [
        {"field": "aum", "op": "gte", "value": "100000.00"},
        {
            "any": [
                {"field": "lifecycle_stage", "op": "in", "value": ["mature", "growing"]},
                {"field": "has_tag", "op": "eq", "value": "vip"},
            ]
        },
        {"not": {"field": "branch", "op": "in_subtree", "value": "SH"}},
        {"field": "age", "op": "between", "value": [30, 60]},
    ]
}


@pytest.fixture
def vip(world: World) -> None:
    tag_create(group=tag_group_create(code="value", name="客户价值"), code="vip", name="贵宾")


def test_a_rule_reads_as_chinese_words(world: World, vip: None) -> None:
    with translation.override("zh-hans"):
        text = rule_describe(definition=RULE)

    assert text == (
        "资产规模 大于或等于 100000 元 且 （生命周期阶段 属于其中之一 成长、成熟 或 标签 带有 贵宾）"
        " 且 非（所属机构 属于（含下属机构） 上海分行） 且 年龄 介于 30 岁 至 60 岁"
    )


def test_a_rule_that_no_longer_validates_is_shown_as_it_is(world: World) -> None:
    assert rule_describe(definition={"field": "salary"}) == '{"field": "salary"}'


def test_the_segment_page_shows_the_rule_in_words_not_codes(world: World, vip: None, client_for) -> None:
    segment = segment_create(name="大客户", definition={"rule": RULE}, actor=world.hq_admin)

    response = client_for("rm").get(reverse("segment-page", args=[segment.pk]))

    assertContains(response, "标签 带有 贵宾")
    assertNotContains(response, "vip")
    assertNotContains(response, "lifecycle_stage")
