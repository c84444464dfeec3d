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

import contextlib
import datetime
import json
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from customers.models import Gender, LifecycleStage, ProductType, RiskLevel
from scrm.core.text import HIDDEN_CHARACTERS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_DEPTH = 8
MAX_CONDITIONS = 100
# Bounds of a decimal value: fewer than this many digits before the point, at most this many after.
DECIMAL_DIGITS = 18


class RuleProblem(NamedTuple):
    """One mistake in a rule: where (``all[2].any[0].value``) and what, in the reader's language."""

    path: str
    message: str


class RuleError(ValueError):
    """The rule is not valid. ``problems`` lists every mistake found, each with its path;
    ``message`` and ``path`` are the first one's."""

    def __init__(self, message: str = "", path: str = "", *, problems: Sequence[RuleProblem] = ()) -> None:
        self.problems = tuple(problems) or (RuleProblem(path or "rule", message),)
        self.message = self.problems[0].message
        self.path = self.problems[0].path
        super().__init__("；".join(f"{problem.path}: {problem.message}" for problem in self.problems))

    def as_extra(self) -> dict[str, Any]:
        """The refusal's details for an ``ApplicationError``: the first problem, and all of them."""
        return {
            "path": self.path,
            "reason": self.message,
            "problems": [{"path": problem.path, "message": problem.message} for problem in self.problems],
        }


class FieldType(StrEnum):
    DECIMAL = "decimal"
    INTEGER = "integer"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    BRANCH = "branch"
    TAG = "tag"
    PRODUCT_TYPE = "product_type"
    MATURITY = "maturity"
    DATE = "date"


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
    FieldType.DATE: COMPARISONS,
}

_OPERATOR_LABELS: dict[str, StrOrPromise] = {
    "eq": pgettext_lazy("rule operator", "equals"),
    "ne": pgettext_lazy("rule operator", "does not equal"),
    "gt": pgettext_lazy("rule operator", "greater than"),
    "gte": pgettext_lazy("rule operator", "at least"),
    "lt": pgettext_lazy("rule operator", "less than"),
    "lte": pgettext_lazy("rule operator", "at most"),
    "between": pgettext_lazy("rule operator", "between"),
    "in": pgettext_lazy("rule operator", "is one of"),
    "not_in": pgettext_lazy("rule operator", "is none of"),
    "in_subtree": pgettext_lazy("rule operator", "is in (with sub-branches)"),
    "not_in_subtree": pgettext_lazy("rule operator", "is not in (with sub-branches)"),
    "within": pgettext_lazy("rule operator", "within"),
}
# Where a type reads better with its own words ("carries the tag", "holds one of").
_OPERATOR_LABELS_BY_TYPE: dict[tuple[FieldType, str], StrOrPromise] = {
    (FieldType.TAG, "eq"): pgettext_lazy("rule operator", "carries"),
    (FieldType.TAG, "ne"): pgettext_lazy("rule operator", "does not carry"),
    (FieldType.BOOLEAN, "eq"): pgettext_lazy("rule operator", "is"),
    (FieldType.PRODUCT_TYPE, "in"): pgettext_lazy("rule operator", "holds one of"),
    (FieldType.PRODUCT_TYPE, "not_in"): pgettext_lazy("rule operator", "holds none of"),
}


def operator_label(field_type: FieldType, op: str) -> StrOrPromise:
    """The operator as the rule builder names it for a field of this type."""
    return _OPERATOR_LABELS_BY_TYPE.get((field_type, op)) or _OPERATOR_LABELS[op]


_ChoicesType = type[models.TextChoices]


@dataclass(frozen=True)
class FieldSpec:
    type: FieldType
    description: StrOrPromise
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int = 100_000
    label: StrOrPromise = ""
    unit: StrOrPromise = ""
    # The enumeration whose labels name the choices (gender, lifecycle stage …).
    enum: _ChoicesType | None = None

    def choice_labels(self) -> list[tuple[str, StrOrPromise]]:
        enum = self.enum or (ProductType if self.type == FieldType.PRODUCT_TYPE else None)
        if enum is None:
            return []
        return [(value, label) for value, label in enum.choices]


_YUAN = pgettext_lazy("unit", "yuan")
_YEARS = pgettext_lazy("unit", "years")
_DAYS = pgettext_lazy("unit", "days")

FIELDS: dict[str, FieldSpec] = {
    "aum": FieldSpec(
        FieldType.DECIMAL,
        pgettext_lazy("rule field help", "Assets under management at the bank, in yuan"),
        label=pgettext_lazy("rule field", "Assets under management"),
        unit=_YUAN,
    ),
    # Bounded so that "born N years ago" stays a date.
    "age": FieldSpec(
        FieldType.INTEGER,
        pgettext_lazy("rule field help", "Age in whole years; customers without a birth date never match"),
        minimum=0,
        maximum=150,
        label=pgettext_lazy("rule field", "Age"),
        unit=_YEARS,
    ),
    "gender": FieldSpec(
        FieldType.CHOICE,
        pgettext_lazy("rule field help", "The customer's gender"),
        tuple(Gender.values),
        label=pgettext_lazy("rule field", "Gender"),
        enum=Gender,
    ),
    "lifecycle_stage": FieldSpec(
        FieldType.CHOICE,
        pgettext_lazy(
            "rule field help", "Where the customer is in the relationship: new, growing, mature, dormant, churned"
        ),
        tuple(LifecycleStage.values),
        label=pgettext_lazy("rule field", "Lifecycle stage"),
        enum=LifecycleStage,
    ),
    "risk_level": FieldSpec(
        FieldType.CHOICE,
        pgettext_lazy("rule field help", "Assessed risk tolerance, C1 to C5; customers never assessed never match"),
        tuple(RiskLevel.values),
        label=pgettext_lazy("rule field", "Risk level"),
        enum=RiskLevel,
    ),
    "marketing_consent": FieldSpec(
        FieldType.BOOLEAN,
        pgettext_lazy("rule field help", "Whether the customer has agreed to receive marketing"),
        label=pgettext_lazy("rule field", "Marketing consent"),
    ),
    "branch": FieldSpec(
        FieldType.BRANCH,
        pgettext_lazy("rule field help", "The customer's branch; matches the branch and everything under it"),
        label=pgettext_lazy("rule field", "Branch"),
    ),
    "days_since_last_contact": FieldSpec(
        FieldType.INTEGER,
        pgettext_lazy("rule field help", "Days since the last contact; never contacted counts as infinitely long"),
        minimum=0,
        label=pgettext_lazy("rule field", "Days since last contact"),
        unit=_DAYS,
    ),
    "customer_since": FieldSpec(
        FieldType.DATE,
        pgettext_lazy("rule field help", "The day the customer relationship opened; customers without it never match"),
        label=pgettext_lazy("rule field", "Customer since"),
    ),
    "days_as_customer": FieldSpec(
        FieldType.INTEGER,
        pgettext_lazy("rule field help", "Days since the customer relationship opened"),
        minimum=0,
        label=pgettext_lazy("rule field", "Days as a customer"),
        unit=_DAYS,
    ),
    "product_type_held": FieldSpec(
        FieldType.PRODUCT_TYPE,
        pgettext_lazy("rule field help", "Holds a product of one of these types"),
        label=pgettext_lazy("rule field", "Products held"),
    ),
    "holding_matures": FieldSpec(
        FieldType.MATURITY,
        pgettext_lazy("rule field help", "A holding matures within N days from today"),
        minimum=0,
        label=pgettext_lazy("rule field", "Holding matures"),
        unit=_DAYS,
    ),
    "has_tag": FieldSpec(
        FieldType.TAG,
        pgettext_lazy("rule field help", "Carries this tag (or, negated, does not)"),
        label=pgettext_lazy("rule field", "Tag"),
    ),
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any  # typed by validation: Decimal, int, str, bool, tuple, or a (low, high) pair
    # Where the condition sits in the definition, for errors found later (an unknown tag).
    path: str = dataclass_field(default="", compare=False)


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


def rule_from_json(text: str) -> Any:
    """The rule typed as JSON text, or :class:`RuleError` saying where the JSON breaks."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RuleError(
            _("The rule is not valid JSON (line %(line)d, column %(column)d).")
            % {"line": error.lineno, "column": error.colno},
            "rule",
        ) from None


def parse_rule(definition: Any) -> Node:
    """Validate a rule definition and return its syntax tree, or raise :class:`RuleError`
    listing every problem found, each at its path."""
    parser = _Parser()
    node = parser.parse(definition, path="", depth=0)
    if parser.problems:
        raise RuleError(problems=parser.problems)
    assert node is not None  # no problem means every node parsed
    return node


class _InvalidValueError(Exception):
    """A value that could not be cleaned; the problem is already recorded."""


class _Parser:
    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []
        self.conditions = 0

    def problem(self, path: str, message: str) -> _InvalidValueError:
        self.problems.append(RuleProblem(path or "rule", message))
        return _InvalidValueError()

    def parse(self, node: Any, *, path: str, depth: int) -> Node | None:
        if depth > MAX_DEPTH:
            self.problem(path, _("Rules may nest at most %(depth)d levels deep.") % {"depth": MAX_DEPTH})
            return None
        if not isinstance(node, dict):
            self.problem(path, _("Expected a group (all / any / not) or a condition here."))
            return None
        combinators = sorted({"all", "any", "not"} & node.keys())
        if combinators:
            key = combinators[0]
            if len(node) != 1:
                self.problem(path, _("“%(key)s” must be the only key of its group.") % {"key": key})
                return None
            child_path = join_path(path, key)
            if key == "not":
                child = self.parse(node["not"], path=child_path, depth=depth + 1)
                return Not(child) if child is not None else None
            items = node[key]
            if not isinstance(items, list):
                self.problem(child_path, _("A group needs a list of conditions."))
                return None
            if not items:
                self.problem(child_path, _("A group needs at least one condition."))
                return None
            children = [
                self.parse(item, path=f"{child_path}[{index}]", depth=depth + 1) for index, item in enumerate(items)
            ]
            if any(child is None for child in children):
                return None
            clean = tuple(child for child in children if child is not None)
            return All(clean) if key == "all" else AnyOf(clean)
        self.conditions += 1
        if self.conditions == MAX_CONDITIONS + 1:
            self.problem(path, _("A rule may have at most %(limit)d conditions.") % {"limit": MAX_CONDITIONS})
        if self.conditions > MAX_CONDITIONS:
            return None
        return self.condition(node, path=path)

    def condition(self, node: dict[str, Any], *, path: str) -> Condition | None:
        problems_before = len(self.problems)
        unknown_keys = node.keys() - {"field", "op", "value"}
        if unknown_keys:
            self.problem(path, _("Unknown key(s): %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown_keys)))})
        name = node.get("field")
        if name is None or name == "":
            self.problem(join_path(path, "field"), _("Choose a field."))
            return None
        if not isinstance(name, str) or name not in FIELDS:
            self.problem(join_path(path, "field"), _("There is no field “%(field)s”.") % {"field": _shown(name)})
            return None
        spec = FIELDS[name]
        op = node.get("op")
        allowed = OPERATORS[spec.type]
        if op is None or op == "":
            self.problem(join_path(path, "op"), _("Choose an operator."))
            return None
        if op not in allowed:
            self.problem(
                join_path(path, "op"),
                _("“%(field)s” cannot be compared with “%(op)s”; use one of: %(allowed)s.")
                % {
                    "field": spec.label,
                    "op": _shown(op),
                    "allowed": "、".join(str(operator_label(spec.type, each)) for each in allowed),
                },
            )
            return None
        if "value" not in node:
            self.problem(join_path(path, "value"), _("Enter a value."))
            return None
        try:
            value = self.value(spec, op, node["value"], path=join_path(path, "value"))
        except _InvalidValueError:
            return None
        if len(self.problems) > problems_before:
            return None
        return Condition(field=name, op=op, value=value, path=path)

    def value(self, spec: FieldSpec, op: str, raw: Any, *, path: str) -> Any:
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                raise self.problem(path, _("“Between” needs two values, the low and the high end."))
            ends = []
            for index, item in enumerate(raw):
                with contextlib.suppress(_InvalidValueError):
                    ends.append(self.scalar(spec, item, path=f"{path}[{index}]"))
            if len(ends) != 2:
                raise _InvalidValueError
            low, high = ends
            if low > high:
                raise self.problem(path, _("The low end is above the high end."))
            return (low, high)
        if op in ("in", "not_in"):
            if not isinstance(raw, list) or not raw:
                raise self.problem(path, _("Choose at least one value."))
            items = set()
            failed = False
            for index, item in enumerate(raw):
                try:
                    items.add(self.scalar(spec, item, path=f"{path}[{index}]"))
                except _InvalidValueError:
                    failed = True
            if failed:
                raise _InvalidValueError
            return tuple(sorted(items))
        return self.scalar(spec, raw, path=path)

    def scalar(self, spec: FieldSpec, raw: Any, *, path: str) -> Any:
        match spec.type:
            case FieldType.DECIMAL:
                if raw is None or raw == "":
                    raise self.problem(path, _("Enter a number."))
                if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                    raise self.problem(path, _("Enter a number."))
                try:
                    # An int converts exactly; str() of one beyond 4300 digits would raise.
                    value = Decimal(raw) if isinstance(raw, int) else Decimal(str(raw).strip())
                except InvalidOperation:
                    raise self.problem(path, _("“%(value)s” is not a number.") % {"value": _shown(raw)}) from None
                if not value.is_finite():
                    raise self.problem(path, _("Enter a finite number."))
                # PostgreSQL's numeric refuses an exponent in the hundreds of thousands; no
                # amount comes near these bounds.
                if value and value.adjusted() >= DECIMAL_DIGITS:
                    raise self.problem(path, _("The number is implausibly large."))
                if value.normalize().as_tuple().exponent < -DECIMAL_DIGITS:  # type: ignore[operator]
                    raise self.problem(path, _("At most %(digits)d decimal places.") % {"digits": DECIMAL_DIGITS})
                return value
            case FieldType.INTEGER | FieldType.MATURITY:
                if isinstance(raw, bool) or not isinstance(raw, int):
                    raise self.problem(path, _("Enter a whole number."))
                if spec.minimum is not None and raw < spec.minimum:
                    raise self.problem(path, _("Must be at least %(minimum)d.") % {"minimum": spec.minimum})
                if raw > spec.maximum:
                    raise self.problem(path, _("Must be at most %(maximum)d.") % {"maximum": spec.maximum})
                return raw
            case FieldType.CHOICE | FieldType.PRODUCT_TYPE:
                labels = spec.choice_labels()
                if not isinstance(raw, str) or raw not in dict(labels):
                    raise self.problem(
                        path,
                        _("“%(value)s” is not one of the choices: %(choices)s.")
                        % {"value": _shown(raw), "choices": "、".join(str(label) for _value, label in labels)},
                    )
                return raw
            case FieldType.DATE:
                if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw.strip()):
                    raise self.problem(path, _("Enter a date (year-month-day)."))
                try:
                    return datetime.date.fromisoformat(raw.strip())
                except ValueError:
                    raise self.problem(path, _("“%(value)s” is not a date.") % {"value": _shown(raw)}) from None
            case FieldType.BOOLEAN:
                if not isinstance(raw, bool):
                    raise self.problem(path, _("Choose yes or no."))
                return raw
            case FieldType.BRANCH | FieldType.TAG:
                # No code holds a control character, and PostgreSQL text cannot hold NUL.
                if not isinstance(raw, str) or not raw.strip() or len(raw) > 64 or HIDDEN_CHARACTERS.search(raw):
                    raise self.problem(
                        path, _("Choose a branch.") if spec.type == FieldType.BRANCH else _("Choose a tag.")
                    )
                return raw.strip()
        raise AssertionError(spec.type)  # pragma: no cover - every FieldType is matched


def join_path(path: str, key: str) -> str:
    """The path of ``key`` inside the node at ``path``."""
    return f"{path}.{key}" if path else key


def _shown(raw: Any, limit: int = 40) -> str:
    """A value the user typed, quoted back short and without hidden characters."""
    text = HIDDEN_CHARACTERS.sub("", raw if isinstance(raw, str) else repr(raw))
    return text if len(text) <= limit else text[: limit - 1] + "…"


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PATH_STEP = re.compile(r"(all|any|not|field|op|value)(?:\[(\d+)\])?")


def problem_location(path: str) -> str:
    """Where a problem sits, in words: ``all[2].any[0].value`` → "第 3 项 › 第 1 项 › 值"."""
    words: list[str] = []
    for step in path.split("."):
        match = _PATH_STEP.fullmatch(step)
        if match is None:
            continue
        key, index = match.groups()
        if key in ("all", "any") and index is not None:
            words.append(pgettext("rule path", "item %(number)d") % {"number": int(index) + 1})
        elif key == "not":
            words.append(pgettext("rule path", "negation"))
        elif key == "field":
            words.append(pgettext("rule path", "field"))
        elif key == "op":
            words.append(pgettext("rule path", "operator"))
        elif key == "value":
            words.append(
                pgettext("rule path", "value %(number)d") % {"number": int(index) + 1}
                if index is not None
                else pgettext("rule path", "value")
            )
    return " › ".join(words) or pgettext("rule path", "the whole rule")


def unknown_code_problems(
    node: Node, *, branch_codes: Collection[str], tag_codes: Collection[str]
) -> list[RuleProblem]:
    """A problem at every value naming a branch or tag not in the catalogue."""
    problems = [
        RuleProblem(path, _("There is no branch “%(code)s”.") % {"code": _shown(code)})
        for code, paths in code_paths(node, FieldType.BRANCH).items()
        if code not in branch_codes
        for path in paths
    ]
    problems += [
        RuleProblem(path, _("There is no tag “%(code)s”.") % {"code": _shown(code)})
        for code, paths in code_paths(node, FieldType.TAG).items()
        if code not in tag_codes
        for path in paths
    ]
    return sorted(problems)


def _walk_conditions(node: Node) -> Iterator[Condition]:
    match node:
        case Condition():
            yield node
        case All(children) | AnyOf(children):
            for child in children:
                yield from _walk_conditions(child)
        case Not(child):
            yield from _walk_conditions(child)


def code_paths(node: Node, field_type: FieldType) -> dict[str, list[str]]:
    """Each branch or tag code the rule mentions, with the paths of the values that name it."""
    paths: dict[str, list[str]] = {}
    for condition in _walk_conditions(node):
        if FIELDS[condition.field].type != field_type:
            continue
        value_path = join_path(condition.path, "value")
        if isinstance(condition.value, tuple):
            for index, code in enumerate(condition.value):
                paths.setdefault(code, []).append(f"{value_path}[{index}]")
        else:
            paths.setdefault(condition.value, []).append(value_path)
    return paths


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
