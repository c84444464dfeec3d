"""The tag-rule language under generated input: refused with a reason, or evaluated without fail.

What is promised, for any JSON value a person (or a script) may send as a rule:

* validation (``parse_rule``) either returns a syntax tree or raises ``RuleError`` with a
  message and the path to the offending node — never any other exception;
* every rule that validates compiles against the live catalogue or is refused with
  ``RuleError`` (an unknown branch or tag code), and a compiled rule runs on PostgreSQL:
  the queryset filter and the raw ``SELECT c.id …`` both count without error and select
  the same customers;
* ``not`` is plain negation (a condition on a missing value is false, whatever its
  operator), so ``{"not": R}`` selects exactly the customers ``R`` does not;
* saving a refused rule (a tag's rule, a segment's definition) raises the product's
  ``ApplicationError`` and writes nothing.

Two generators feed it: arbitrary JSON-shaped values, and conditions built from the
language's real fields, operators and catalogue codes with values near and past the
edges, so that generation reaches the compiler and the database and not only the
first type check.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from customers.models import (
    Customer,
    Gender,
    LifecycleStage,
    ProductHolding,
    ProductType,
    RiskLevel,
    Segment,
    Tag,
    TagGroup,
    TagKind,
    TagRule,
)
from customers.rules import FIELDS, RuleError, parse_rule
from customers.rules.language import OPERATORS, FieldType, Node
from customers.segments.expressions import rule_filter
from customers.segments.services import segment_create
from customers.tagging.rules import rule_compile, rule_customer_ids_sql
from customers.tagging.services import tag_rule_save
from scrm.core.exceptions import ApplicationError
from tests.conftest import World

pytestmark = pytest.mark.django_db

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WITH_DATABASE = settings(BOUNDED, max_examples=50)

BRANCH_CODES = ["HQ", "BJ", "BJ-HD", "BJ-HD-1", "SH-PD-1"]
TAG_CODES = ["vip", "pension"]
ALL_OPERATORS = sorted({op for ops in OPERATORS.values() for op in ops})

# --- Arbitrary JSON --------------------------------------------------------------------

_keys = st.sampled_from(["all", "any", "not", "field", "op", "value", *FIELDS, *ALL_OPERATORS]) | st.text(max_size=6)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=24,
)

# --- Plausible rules -------------------------------------------------------------------

_numbers = (
    st.integers(min_value=-(10**6), max_value=10**7)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False, places=2, min_value=-(10**9), max_value=10**9).map(str)
    | st.sampled_from(["1e400000", "-1e400000", "1e-400000", "NaN", "sNaN", "Infinity", "1_000", " 5 ", "abc", ""])
)
_whole = st.integers(min_value=-3, max_value=200) | st.integers(min_value=-5, max_value=150_000) | _numbers
_text = st.text(max_size=70)


def _scalars(field: str) -> st.SearchStrategy[Any]:
    spec = FIELDS[field]
    match spec.type:
        case FieldType.DECIMAL:
            return _numbers
        case FieldType.INTEGER | FieldType.MATURITY:
            return _whole
        case FieldType.CHOICE:
            return st.sampled_from(spec.choices) | _text
        case FieldType.PRODUCT_TYPE:
            return st.sampled_from(ProductType.values) | _text
        case FieldType.BOOLEAN:
            return st.booleans() | st.integers(0, 1) | _text
        case FieldType.BRANCH:
            return st.sampled_from(BRANCH_CODES) | _text
        case FieldType.TAG:
            return st.sampled_from(TAG_CODES) | _text
        case FieldType.DATE:
            return st.dates().map(datetime.date.isoformat) | st.sampled_from(["2026-02-30", "2026-1-1", ""]) | _text
    raise AssertionError(spec.type)


def _in_domain(field: str) -> st.SearchStrategy[Any]:
    """Values the field accepts, at and near its edges."""
    spec = FIELDS[field]
    match spec.type:
        case FieldType.DECIMAL:
            return st.integers(-1, 2_000_000) | st.decimals(min_value=0, max_value=10**7, places=2).map(str)
        case FieldType.INTEGER | FieldType.MATURITY:
            return st.integers(0, spec.maximum if field == "age" else 400)
        case FieldType.CHOICE:
            return st.sampled_from(spec.choices)
        case FieldType.PRODUCT_TYPE:
            return st.sampled_from(ProductType.values)
        case FieldType.BOOLEAN:
            return st.booleans()
        case FieldType.BRANCH:
            return st.sampled_from(BRANCH_CODES)
        case FieldType.TAG:
            return st.sampled_from(TAG_CODES)
        case FieldType.DATE:
            return st.dates(datetime.date(1950, 1, 1), datetime.date(2035, 12, 31)).map(datetime.date.isoformat)
    raise AssertionError(spec.type)


@st.composite
def conditions(draw: st.DrawFn, *, in_domain: bool = False) -> dict[str, Any]:
    """A condition on a real field; ``in_domain`` keeps operator and values to what the field allows."""
    field = draw(st.sampled_from(sorted(FIELDS)))
    own = st.sampled_from(OPERATORS[FIELDS[field].type])
    op = draw(own if in_domain else own | st.sampled_from(ALL_OPERATORS))
    scalar = _in_domain(field) if in_domain else _scalars(field)
    if op == "between":
        pairs = st.lists(scalar, min_size=2, max_size=2).map(sorted_if_possible)
        value = draw(pairs if in_domain else pairs | st.lists(scalar, max_size=3))
    elif op in ("in", "not_in"):
        value = draw(st.lists(scalar, min_size=1 if in_domain else 0, max_size=4))
    else:
        value = draw(scalar)
    return {"field": field, "op": op, "value": value}


def sorted_if_possible(pair: list[Any]) -> list[Any]:
    try:
        return sorted(pair)
    except TypeError:
        return pair


def _trees(leaves: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, min_size=1, max_size=3).map(lambda items: {"all": items})
            | st.lists(children, min_size=1, max_size=3).map(lambda items: {"any": items})
            | children.map(lambda child: {"not": child})
        ),
        max_leaves=6,
    )


plausible_rules = _trees(conditions())
well_formed_rules = _trees(conditions(in_domain=True))


# --- The small bank the rules run against ------------------------------------------------


@pytest.fixture
def bank(world: World) -> World:
    """The shared world's ten customers, made different along every field a rule can test."""
    today = timezone.localdate()
    group = TagGroup.objects.create(code="fuzz", name="模糊测试")
    vip = Tag.objects.create(group=group, code="vip", name="贵宾", kind=TagKind.RULE)
    Tag.objects.create(group=group, code="pension", name="养老", kind=TagKind.MANUAL)
    genders, stages, risks = list(Gender.values), list(LifecycleStage.values), ["", *RiskLevel.values]
    for index, customer in enumerate(Customer.objects.order_by("pk")):
        customer.aum = Decimal(index * 137_500)
        customer.gender = genders[index % len(genders)]
        customer.lifecycle_stage = stages[index % len(stages)]
        customer.risk_level = risks[index % len(risks)]
        customer.marketing_consent = index % 2 == 0
        customer.birth_date = None if index == 3 else datetime.date(1940 + 7 * index, 1 + index, 10 + index)
        customer.opened_on = None if index == 4 else today - datetime.timedelta(days=40 * index)
        customer.last_contact_at = None if index % 3 == 0 else timezone.now() - datetime.timedelta(days=5 * index)
        customer.save()
        if index % 2:
            ProductHolding.objects.create(
                customer=customer,
                product_code=f"P{index}",
                product_name="产品",
                product_type=ProductType.values[index % len(ProductType.values)],
                amount=Decimal(1000),
                maturity_date=today + datetime.timedelta(days=10 * index),
            )
        if index % 3 == 1:
            customer.tag_links.create(tag=vip, source=TagKind.RULE)
    return world


def _members(definition: Any, on: datetime.date) -> set[int]:
    condition = rule_compile(definition, on=on)
    members = set(Customer.objects.filter(rule_filter(condition, on=on)).values_list("pk", flat=True))
    assert Customer.objects.filter(rule_filter(condition, on=on)).count() == len(members)
    return members


def _raw_members(definition: Any, on: datetime.date) -> set[int]:
    sql, params = rule_customer_ids_sql(definition, on=on)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


# --- Validation --------------------------------------------------------------------------


def _validated(definition: Any) -> Node | None:
    """The tree of a valid rule; None for a refused one, after checking the refusal says why."""
    try:
        node = parse_rule(definition)
    except RuleError as error:
        refusal = error
    else:
        event("valid")
        return node
    assert refusal.message
    assert refusal.path
    event("refused by validation")
    return None


@BOUNDED
@given(definition=json_values)
@example(definition={"field": "age", "op": "gte", "value": 3000})
@example(definition={"field": "aum", "op": "gte", "value": 10**5000})
@example(definition={"field": ["aum"], "op": "gte", "value": 1})
def test_any_json_is_either_a_rule_or_refused_with_a_reason(definition: Any) -> None:
    _validated(definition)


@BOUNDED
@given(definition=plausible_rules)
def test_a_plausible_rule_is_either_valid_or_refused_with_a_reason(definition: Any) -> None:
    _validated(definition)


# --- Compilation and evaluation ---------------------------------------------------------


@WITH_DATABASE
@given(definition=well_formed_rules | plausible_rules)
@example(definition={"field": "age", "op": "gt", "value": 2100})
@example(definition={"field": "age", "op": "between", "value": [0, 100_000]})
@example(definition={"field": "aum", "op": "gte", "value": "1e400000"})
@example(definition={"field": "aum", "op": "lt", "value": "1e-400000"})
@example(definition={"field": "branch", "op": "in_subtree", "value": "B\x00J"})
@example(definition={"field": "has_tag", "op": "eq", "value": "v\x00ip"})
def test_every_valid_rule_runs_and_its_negation_is_the_complement(bank: World, definition: Any) -> None:
    if _validated(definition) is None:
        return
    on = timezone.localdate()
    try:
        members = _members(definition, on)
    except RuleError:  # a branch or tag code that is not in the catalogue
        event("refused by the catalogue")
        return
    event(f"selects {len(members)} of 10")
    everyone = set(Customer.objects.values_list("pk", flat=True))

    assert members <= everyone
    assert _raw_members(definition, on) == members
    assert _members({"not": definition}, on) == everyone - members


# --- Refusals write nothing --------------------------------------------------------------


def _saved_or_refused(save: Any, written: Any) -> None:
    """Run ``save`` in a savepoint: it succeeds, or raises ApplicationError and ``written()`` is unchanged."""
    before = written()
    with transaction.atomic():
        refusal: ApplicationError | None = None
        try:
            save()
        except ApplicationError as error:
            refusal = error
        if refusal is not None:
            assert refusal.message
            assert written() == before
        transaction.set_rollback(True)


@WITH_DATABASE
@given(definition=well_formed_rules | plausible_rules | json_values)
@example(definition={"field": "age", "op": "lte", "value": 5000})
@example(definition={"field": "branch", "op": "in_subtree", "value": "\x00"})
def test_a_refused_tag_rule_is_not_saved(bank: World, definition: Any) -> None:
    tag = Tag.objects.get(code="vip")

    _saved_or_refused(
        lambda: tag_rule_save(tag=tag, definition=definition, actor=bank.hq_admin),
        lambda: list(TagRule.objects.values_list("tag_id", "definition")),
    )


segment_definitions = (
    st.fixed_dictionaries(
        {},
        optional={
            "tags_any": st.lists(st.sampled_from(TAG_CODES) | _text, max_size=3) | json_values,
            "tags_all": st.lists(st.sampled_from(TAG_CODES) | _text, max_size=3),
            "tags_none": st.lists(st.sampled_from(TAG_CODES) | _text, max_size=3),
            "rule": plausible_rules | json_values,
        },
    )
    | json_values
)


@WITH_DATABASE
@given(definition=segment_definitions)
@example(definition={"tags_any": ["v\x00ip"]})
@example(definition={"rule": {"field": "age", "op": "eq", "value": 9999}})
def test_a_refused_segment_definition_is_not_saved(bank: World, definition: Any) -> None:
    _saved_or_refused(
        lambda: segment_create(name="客群", definition=definition, actor=bank.hq_admin),
        lambda: Segment.objects.count(),
    )
