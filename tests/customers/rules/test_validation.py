"""Rule validation reports every problem, each at its path, in the reader's language.

The visual builder places each problem on the condition its path names, so a rule with
three mistakes gets three messages, never only the first; the messages, the field names
and their help are Chinese on the Chinese interface.
"""

import datetime
import re

import pytest
from django.utils import translation

from customers.models import Customer, Tag, TagGroup
from customers.rules import FIELDS, RuleError, RuleProblem, parse_rule, rule_from_json
from customers.rules.language import MAX_CONDITIONS, OPERATORS, operator_label, problem_location
from customers.segments.expressions import rule_filter
from customers.tagging.rules import rule_compile
from tests.conftest import World

CJK = re.compile(r"[\u4e00-\u9fff]")
ON = datetime.date(2026, 6, 15)


def refused(definition: object) -> RuleError:
    with pytest.raises(RuleError) as raised:
        parse_rule(definition)
    return raised.value


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_every_problem_is_reported_at_its_path() -> None:
    error = refused(
        {
            "all": [
                {"field": "aum", "op": "gte", "value": "lots"},
                {"field": "salary", "op": "gt", "value": 1},
                {"any": [{"field": "age", "op": "between", "value": [70, 60]}, {"field": "gender", "op": "in"}]},
                {"not": {"field": "lifecycle_stage", "op": "eq", "value": "asleep"}},
                {"any": []},
            ]
        }
    )

    assert error.problems == (
        RuleProblem("all[0].value", "“lots”不是数字。"),
        RuleProblem("all[1].field", "没有名为“salary”的字段。"),
        RuleProblem("all[2].any[0].value", "下限不能大于上限。"),
        RuleProblem("all[2].any[1].value", "请填写值。"),
        RuleProblem("all[3].not.value", "“asleep”不在可选范围内，可选：新客、成长、成熟、沉睡、流失。"),
        RuleProblem("all[4].any", "条件组至少需要一个条件。"),
    )


def test_the_first_problem_stays_where_callers_read_it() -> None:
    error = refused({"all": [{"field": "aum", "op": "over", "value": 1}, {"field": "age", "op": "gte", "value": -1}]})

    assert (error.path, error.message) == ("all[0].op", error.problems[0].message)
    assert error.message.startswith("“资产规模”不能使用比较方式“over”，可用：等于、不等于、大于")
    assert str(error) == "all[0].op: " + error.message + "；all[1].value: 不能小于 0。"
    assert error.as_extra()["problems"] == [
        {"path": "all[0].op", "message": error.message},
        {"path": "all[1].value", "message": "不能小于 0。"},
    ]


def test_each_end_and_each_item_of_a_value_is_checked() -> None:
    error = refused(
        {
            "any": [
                {"field": "age", "op": "between", "value": ["sixty", 200]},
                {"field": "product_type_held", "op": "in", "value": ["fund", "gold", "bonds"]},
            ]
        }
    )

    assert [problem.path for problem in error.problems] == [
        "any[0].value[0]",
        "any[0].value[1]",
        "any[1].value[1]",
        "any[1].value[2]",
    ]
    assert [problem.message for problem in error.problems[:2]] == ["请输入整数。", "不能大于 150。"]


@pytest.mark.parametrize(
    ("definition", "path", "message"),
    [
        ([], "rule", "此处应为一个条件组（全部满足 / 任一满足 / 取反）或一个条件。"),
        ({"all": [], "any": []}, "rule", "“all”必须是所在条件组中唯一的键。"),
        ({"all": {"field": "aum"}}, "all", "条件组的内容必须是条件列表。"),
        ({"field": "", "op": "", "value": None}, "field", "请选择字段。"),
        ({"field": "aum", "op": "", "value": 1}, "op", "请选择比较方式。"),
        ({"field": "aum", "op": "gte", "value": None}, "value", "请输入数字。"),
        ({"field": "marketing_consent", "op": "eq", "value": "yes"}, "value", "请选择“是”或“否”。"),
        ({"field": "has_tag", "op": "eq", "value": ""}, "value", "请选择标签。"),
        ({"field": "branch", "op": "in_subtree", "value": " "}, "value", "请选择机构。"),
        ({"field": "aum", "op": "gte", "value": 1, "unit": "wan"}, "rule", "无法识别的键：unit。"),
    ],
)
def test_each_mistake_is_explained_in_chinese(definition: object, path: str, message: str) -> None:
    assert refused(definition).problems == (RuleProblem(path, message),)


def test_too_many_conditions_is_said_once() -> None:
    error = refused({"all": [{"field": "age", "op": "gte", "value": 1}] * (MAX_CONDITIONS + 5)})

    assert error.problems == (RuleProblem(f"all[{MAX_CONDITIONS}]", f"一条规则最多只能有 {MAX_CONDITIONS} 个条件。"),)


def test_a_valid_rule_still_parses() -> None:
    node = parse_rule(
        {"all": [{"field": "aum", "op": "gte", "value": 100000}, {"not": {"field": "age", "op": "lt", "value": 30}}]}
    )

    assert node.children[0].value == 100000  # type: ignore[union-attr]


@pytest.mark.django_db
def test_every_unknown_branch_and_tag_is_reported_at_its_value(world: World) -> None:
    TagGroup.objects.create(code="g", name="组")
    Tag.objects.create(group=TagGroup.objects.get(), code="vip", name="贵宾")

    with pytest.raises(RuleError) as raised:
        rule_compile(
            {
                "all": [
                    {"field": "has_tag", "op": "eq", "value": "vip"},
                    {"field": "has_tag", "op": "ne", "value": "ghost"},
                    {"any": [{"field": "branch", "op": "in_subtree", "value": "NOWHERE"}]},
                ]
            },
            on=ON,
        )

    assert raised.value.problems == (
        RuleProblem("all[1].value", "标签“ghost”不存在。"),
        RuleProblem("all[2].any[0].value", "机构“NOWHERE”不存在。"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"field": "aum",\n "op": gte}', "规则不是有效的 JSON（第 2 行，第 8 列）。"),
        ("", "规则不是有效的 JSON（第 1 行，第 1 列）。"),
    ],
)
def test_malformed_json_is_one_message_with_line_and_column(text: str, message: str) -> None:
    with pytest.raises(RuleError) as raised:
        rule_from_json(text)

    assert raised.value.problems == (RuleProblem("rule", message),)


def test_every_field_has_a_chinese_name_help_and_choices() -> None:
    for name, spec in FIELDS.items():
        with translation.override("en"):
            english = (str(spec.label), str(spec.description))
        chinese = (str(spec.label), str(spec.description))
        assert all(CJK.search(text) for text in chinese), name
        assert chinese != english, name
        for _value, label in spec.choice_labels():
            assert CJK.search(str(label)), (name, label)
        for op in OPERATORS[spec.type]:
            assert CJK.search(str(operator_label(spec.type, op))), (name, op)


def test_the_english_interface_gets_english_messages() -> None:
    with translation.override("en"):
        error = refused({"field": "aum", "op": "gte", "value": "lots"})

    assert error.message == "“lots” is not a number."


@pytest.mark.parametrize(
    ("path", "words"),
    [("rule", "整条规则"), ("all[2].any[0].value", "第 3 项 › 第 1 项 › 值"), ("not.value[1]", "取反 › 第 2 个值")],
)
def test_a_path_is_described_in_words(path: str, words: str) -> None:
    assert problem_location(path) == words


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "“2026-02-30”不是有效的日期。"),
        ("2026/1/1", "请输入日期（年-月-日）。"),
        (20260101, "请输入日期（年-月-日）。"),
    ],
)
def test_a_date_is_a_real_day_written_year_month_day(value: object, message: str) -> None:
    assert refused({"field": "customer_since", "op": "gte", "value": value}).problems == (
        RuleProblem("value", message),
    )


@pytest.mark.django_db
def test_customers_are_selected_by_the_day_they_became_customers(world: World) -> None:
    early, late, unknown = world.customers_rm_sh[:3]
    Customer.objects.filter(pk=early.pk).update(opened_on=datetime.date(2019, 5, 1))
    Customer.objects.filter(pk=late.pk).update(opened_on=datetime.date(2025, 5, 1))
    Customer.objects.filter(pk=unknown.pk).update(opened_on=None)
    rule = {"field": "customer_since", "op": "between", "value": ["2018-01-01", "2020-12-31"]}

    condition = rule_compile(rule, on=ON)
    selected = set(Customer.objects.filter(rule_filter(condition, on=ON)).values_list("pk", flat=True))
    not_selected = set(
        Customer.objects.filter(rule_filter(rule_compile({"not": rule}, on=ON), on=ON)).values_list("pk", flat=True)
    )

    trio = {early.pk, late.pk, unknown.pk}
    assert selected & trio == {early.pk}
    assert not_selected & trio == {late.pk, unknown.pk}  # a missing date fails the condition, so "not" holds
