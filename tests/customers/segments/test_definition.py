"""A segment definition is validated with a clear reason, before it is saved or evaluated."""

import datetime

import pytest

from customers.segments.definition import segment_definition_compile
from scrm.core.exceptions import ApplicationError
from tests.customers.segments.conftest import Tags

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 6, 15)


def refused(definition: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        segment_definition_compile(definition, on=ON)
    return raised.value


@pytest.mark.parametrize("definition", [{}, {"tags_any": [], "tags_all": [], "tags_none": [], "rule": None}])
def test_an_empty_definition_is_refused(definition: dict) -> None:
    error = refused(definition)

    assert error.message == "客群至少需要一个标签条件或一条规则。"
    assert error.extra == {"field": "definition", "reason": "empty"}


@pytest.mark.parametrize("definition", [None, [], "vip", 3])
def test_a_definition_must_be_an_object(definition: object) -> None:
    assert refused(definition).extra == {"field": "definition"}


def test_unknown_keys_are_named() -> None:
    error = refused({"tags_al": ["vip"], "rules": None})

    assert error.extra == {"field": "definition", "keys": ["rules", "tags_al"]}
    assert "tags_al" in error.message


@pytest.mark.parametrize("codes", ["vip", [1], [""], [None], {"vip": True}])
def test_tag_lists_must_be_lists_of_codes(codes: object) -> None:
    assert refused({"tags_any": codes}).extra == {"field": "tags_any"}


def test_every_unknown_tag_code_is_listed(tags: Tags) -> None:
    error = refused({"tags_any": ["vip", "ghost"], "tags_none": ["phantom"]})

    assert error.message == "标签代码不存在：ghost, phantom。"
    assert error.extra == {"field": "definition", "codes": ["ghost", "phantom"]}


def test_a_tag_both_required_and_excluded_is_a_contradiction(tags: Tags) -> None:
    error = refused({"tags_all": ["vip", "pension"], "tags_none": ["vip"]})

    assert error.extra == {"field": "tags_none", "codes": ["vip"]}


def test_an_invalid_rule_is_refused_with_its_path_and_reason(tags: Tags) -> None:
    error = refused({"tags_any": ["vip"], "rule": {"all": [{"field": "aum", "op": "gte", "value": "lots"}]}})

    assert error.extra == {
        "field": "rule",
        "path": "all[0].value",
        "reason": "“lots”不是数字。",
        "problems": [{"path": "all[0].value", "message": "“lots”不是数字。"}],
    }
    assert error.message == "规则无效：all[0].value: “lots”不是数字。"


def test_a_rule_naming_an_unknown_branch_is_refused() -> None:
    error = refused({"rule": {"field": "branch", "op": "in_subtree", "value": "NOWHERE"}})

    assert error.extra["field"] == "rule"
    assert (error.extra["path"], error.extra["reason"]) == ("value", "机构“NOWHERE”不存在。")


def test_a_valid_definition_is_normalised(tags: Tags) -> None:
    compiled = segment_definition_compile(
        {"tags_any": [" vip", "pension", "vip"], "tags_none": ["dnd"], "rule": None}, on=ON
    )

    assert compiled.definition.as_json() == {
        "tags_any": ["pension", "vip"],
        "tags_all": [],
        "tags_none": ["dnd"],
        "rule": None,
    }
    assert compiled.tag_ids == {"vip": tags.vip.pk, "pension": tags.pension.pk, "dnd": tags.dnd.pk}
    assert compiled.rule is None
