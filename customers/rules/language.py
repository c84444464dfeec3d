"""The tag-rule language: JSON in, a validated syntax tree out.

A rule is a condition or a combination of conditions::

    {"all": [
        {"field": "aum", "op": "gte", "value": 500000},
        {"any": [{"field": "age", "op": "gte", "value": 60},
                 {"field": "product_type_held", "op": "in", "value": ["wealth", "fund"]},
                 {"field": "holding_matures", "op": "within", "value": 30}]},
        {"not": {"field": "has_tag", "op": "eq", "value": "vip"}}
    ]}

Only the fields in :data:`FIELDS` exist, each with the operators its type allows.
Every mistake is reported with the path to the offending node (``all[1].any[0].value``)
so the person writing the rule knows what to fix. Values are checked and converted
here, so the SQL compiler only ever binds clean, typed parameters.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from customers.models import Gender, LifecycleStage, ProductType, RiskLevel
from scrm.core.text import HIDDEN_CHARACTERS

MAX_DEPTH = 8
MAX_CONDITIONS = 100
# Bounds of a decimal value: fewer than this many digits before the point, at most this many after.
DECIMAL_DIGITS = 18


class RuleError(ValueError):
    """The rule is not valid; ``path`` points at the offending node."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(f"{path or 'rule'}: {message}")
        self.message = message
        self.path = path or "rule"


class FieldType(StrEnum):
    DECIMAL = "decimal"
    INTEGER = "integer"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    BRANCH = "branch"
    TAG = "tag"
    PRODUCT_TYPE = "product_type"
    MATURITY = "maturity"


COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.DECIMAL: COMPARISONS,
    FieldType.INTEGER: COMPARISONS,
    FieldType.CHOICE: ("eq", "ne", "in", "not_in"),
    FieldType.BOOLEAN: ("eq",),
    FieldType.BRANCH: ("in_subtree", "not_in_subtree"),
    FieldType.TAG: ("eq", "ne"),
    FieldType.PRODUCT_TYPE: ("in", "not_in"),
    FieldType.MATURITY: ("within",),
}


@dataclass(frozen=True)
class FieldSpec:
    type: FieldType
    description: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int = 100_000


FIELDS: dict[str, FieldSpec] = {
    "aum": FieldSpec(FieldType.DECIMAL, "Assets under management, CNY"),
    # Bounded so that "born N years ago" stays a date.
    "age": FieldSpec(FieldType.INTEGER, "Age in whole years", minimum=0, maximum=150),
    "gender": FieldSpec(FieldType.CHOICE, "Gender", tuple(Gender.values)),
    "lifecycle_stage": FieldSpec(FieldType.CHOICE, "Lifecycle stage", tuple(LifecycleStage.values)),
    "risk_level": FieldSpec(FieldType.CHOICE, "Risk tolerance level", tuple(RiskLevel.values)),
    "marketing_consent": FieldSpec(FieldType.BOOLEAN, "Has agreed to marketing"),
    "branch": FieldSpec(FieldType.BRANCH, "Branch code; matches the branch and everything under it"),
    "days_since_last_contact": FieldSpec(
        FieldType.INTEGER, "Days since the last contact; never contacted counts as infinitely long", minimum=0
    ),
    "days_as_customer": FieldSpec(FieldType.INTEGER, "Days since the customer relationship opened", minimum=0),
    "product_type_held": FieldSpec(FieldType.PRODUCT_TYPE, "Holds a product of one of these types"),
    "holding_matures": FieldSpec(FieldType.MATURITY, "A holding matures within N days from today", minimum=0),
    "has_tag": FieldSpec(FieldType.TAG, "Carries the tag with this code"),
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any  # typed by validation: Decimal, int, str, bool, tuple, or a (low, high) pair


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Condition | All | AnyOf | Not


def parse_rule(definition: Any) -> Node:
    """Validate a rule definition and return its syntax tree, or raise :class:`RuleError`."""
    counter = [0]
    return _parse(definition, path="", depth=0, counter=counter)


def _parse(node: Any, *, path: str, depth: int, counter: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise RuleError(f"rules may nest at most {MAX_DEPTH} levels deep", path)
    if not isinstance(node, dict):
        raise RuleError("expected an object with 'all', 'any', 'not' or 'field'", path)
    combinators = {"all", "any", "not"} & node.keys()
    if combinators:
        if len(node) != 1:
            raise RuleError(f"'{next(iter(combinators))}' must be the only key of its object", path)
        key = next(iter(combinators))
        child_path = f"{path}.{key}" if path else key
        if key == "not":
            return Not(_parse(node["not"], path=child_path, depth=depth + 1, counter=counter))
        items = node[key]
        if not isinstance(items, list) or not items:
            raise RuleError(f"'{key}' needs a non-empty list of conditions", child_path)
        children = tuple(
            _parse(item, path=f"{child_path}[{index}]", depth=depth + 1, counter=counter)
            for index, item in enumerate(items)
        )
        return All(children) if key == "all" else AnyOf(children)
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise RuleError(f"a rule may have at most {MAX_CONDITIONS} conditions", path)
    return _parse_condition(node, path=path)


def _parse_condition(node: dict[str, Any], *, path: str) -> Condition:
    unknown_keys = node.keys() - {"field", "op", "value"}
    if unknown_keys:
        raise RuleError(f"unknown key(s) {', '.join(sorted(unknown_keys))}", path)
    field = node.get("field")
    if not isinstance(field, str) or field not in FIELDS:
        raise RuleError(f"unknown field {field!r}; known fields: {', '.join(sorted(FIELDS))}", _join(path, "field"))
    spec = FIELDS[field]
    op = node.get("op")
    allowed = OPERATORS[spec.type]
    if op not in allowed:
        raise RuleError(
            f"operator {op!r} does not apply to {field} ({spec.type}); use one of {', '.join(allowed)}",
            _join(path, "op"),
        )
    if "value" not in node:
        raise RuleError("a condition needs a 'value'", path)
    value = _clean_value(spec, op, node["value"], path=_join(path, "value"))
    return Condition(field=field, op=op, value=value)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _clean_value(spec: FieldSpec, op: str, raw: Any, *, path: str) -> Any:
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            raise RuleError("'between' needs a list of two values [low, high]", path)
        low, high = (_scalar(spec, item, path=f"{path}[{index}]") for index, item in enumerate(raw))
        if low > high:
            raise RuleError("the low end of 'between' is above the high end", path)
        return (low, high)
    if op in ("in", "not_in"):
        if not isinstance(raw, list) or not raw:
            raise RuleError(f"'{op}' needs a non-empty list", path)
        return tuple(sorted({_scalar(spec, item, path=f"{path}[{index}]") for index, item in enumerate(raw)}))
    return _scalar(spec, raw, path=path)


def _scalar(spec: FieldSpec, raw: Any, *, path: str) -> Any:
    match spec.type:
        case FieldType.DECIMAL:
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise RuleError("expected a number", path)
            try:
                # An int converts exactly; str() of one beyond 4300 digits would raise.
                value = Decimal(raw) if isinstance(raw, int) else Decimal(str(raw))
            except InvalidOperation as error:
                raise RuleError(f"{raw!r} is not a number", path) from error
            if not value.is_finite():
                raise RuleError("expected a finite number", path)
            # PostgreSQL's numeric refuses an exponent in the hundreds of thousands; no
            # amount comes near these bounds.
            if value and value.adjusted() >= DECIMAL_DIGITS:
                raise RuleError("is implausibly large", path)
            if value.normalize().as_tuple().exponent < -DECIMAL_DIGITS:  # type: ignore[operator]
                raise RuleError(f"may have at most {DECIMAL_DIGITS} decimal places", path)
            return value
        case FieldType.INTEGER | FieldType.MATURITY:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise RuleError("expected a whole number", path)
            if spec.minimum is not None and raw < spec.minimum:
                raise RuleError(f"must be at least {spec.minimum}", path)
            if raw > spec.maximum:
                raise RuleError(f"must be at most {spec.maximum}", path)
            return raw
        case FieldType.CHOICE | FieldType.PRODUCT_TYPE:
            choices = spec.choices or tuple(ProductType.values)
            if raw not in choices:
                raise RuleError(f"{raw!r} is not one of {', '.join(choices)}", path)
            return raw
        case FieldType.BOOLEAN:
            if not isinstance(raw, bool):
                raise RuleError("expected true or false", path)
            return raw
        case FieldType.BRANCH | FieldType.TAG:
            # No code holds a control character, and PostgreSQL text cannot hold NUL.
            if not isinstance(raw, str) or not raw.strip() or len(raw) > 64 or HIDDEN_CHARACTERS.search(raw):
                raise RuleError("expected a code (1–64 characters)", path)
            return raw.strip()
    raise AssertionError(spec.type)  # pragma: no cover - every FieldType is matched


def referenced_codes(node: Node, field_type: FieldType) -> set[str]:
    """Branch or tag codes the rule mentions, for resolving them in one query."""
    match node:
        case Condition(field=field, value=value) if FIELDS[field].type == field_type:
            return set(value) if isinstance(value, tuple) else {value}
        case Condition():
            return set()
        case All(children) | AnyOf(children):
            return set().union(*(referenced_codes(child, field_type) for child in children))
        case Not(child):
            return referenced_codes(child, field_type)
    raise AssertionError(node)  # pragma: no cover


def today() -> datetime.date:
    """The evaluation date; one place so tests can pin it."""
    return datetime.date.today()
