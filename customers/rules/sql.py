"""Compile a validated rule tree to a parameterised SQL condition over customers.

The condition refers to the customer row as ``c`` and to two per-customer feature
rows — ``hf`` (holdings: ``product_types``, ``next_maturity``) and ``tf`` (tags:
``tag_ids``) — which :func:`customer_rows_sql` joins in only when the rule uses
them, aggregated in one pass rather than probed per customer. Every value is bound
as a parameter; no user input is ever interpolated into the SQL text. Each leaf is
wrapped in ``COALESCE(…, false)``: a condition on a missing value (no birth date, a
risk level never assessed …) is false, whatever its operator, so ``not`` behaves as
plain negation.

Date-based fields are compiled to range comparisons on the stored column (with
the evaluation day's bounds computed here), so they can use indexes.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from customers.rules.language import FIELDS, All, AnyOf, Condition, FieldType, Node, Not, RuleError, join_path

_COMPARATORS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
# "days since X > N" means "X is before on-N": the comparison flips.
_FLIPPED = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte", "eq": "eq", "ne": "ne"}

_CHOICE_COLUMNS = {"gender": "gender", "lifecycle_stage": "lifecycle_stage", "risk_level": "risk_level"}


@dataclass(frozen=True)
class SqlCondition:
    sql: str
    params: list[Any]
    uses_holdings: bool = False
    uses_tags: bool = False
    # The ids of the tags the rule tests (has_tag), which ``tf.tag_ids`` must list.
    tested_tag_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CompileContext:
    on: datetime.date
    time_zone: ZoneInfo
    branch_paths: Mapping[str, str]
    tag_ids: Mapping[str, int]


@dataclass
class SharedLeaves:
    """The distinct leaf conditions of several rules that are evaluated over one scan.

    A rule compiled against a ``SharedLeaves`` refers to boolean columns ``l.leaf_<n>``
    instead of repeating its leaves: each distinct leaf (same SQL, same values) is
    computed once per customer, however many rules test it (twenty rules of a bank
    test the same AUM tiers and ages over and over).
    """

    columns: list[tuple[str, str, list[Any]]] = field(default_factory=list)  # (name, SQL, parameters)
    _names: dict[tuple[Any, ...], str] = field(default_factory=dict)

    def column(self, sql: str, params: list[Any]) -> str:
        key = (sql, *((type(value).__name__, _hashable(value)) for value in params))
        name = self._names.get(key)
        if name is None:
            name = f"leaf_{len(self.columns)}"
            self._names[key] = name
            self.columns.append((name, sql, list(params)))
        return f"l.{name}"

    def select_sql(self) -> tuple[str, list[Any]]:
        """The leaf columns, for the ``SELECT`` list of the scan that ``l`` names."""
        params: list[Any] = []
        for _name, _sql, leaf_params in self.columns:
            params += leaf_params
        return ", ".join(f"{sql} AS {name}" for name, sql, _ in self.columns), params


def _hashable(value: Any) -> Any:
    return tuple(_hashable(item) for item in value) if isinstance(value, list | tuple) else value


def compile_rule(node: Node, context: CompileContext, leaves: SharedLeaves | None = None) -> SqlCondition:
    """The rule as a condition on ``c``/``hf``/``tf``, or, with ``leaves``, on their columns ``l.leaf_<n>``."""
    params: list[Any] = []
    sql = _compile(node, context, params, path="", leaves=leaves)
    return SqlCondition(
        sql,
        params,
        uses_holdings=bool(_fields_of(node) & {"product_type_held", "holding_matures"}),
        uses_tags="has_tag" in _fields_of(node),
        tested_tag_ids=frozenset(context.tag_ids[code] for code in _tested_tag_codes(node)),
    )


def _tested_tag_codes(node: Node) -> set[str]:
    match node:
        case Condition(field=field, value=value):
            return {value} if FIELDS[field].type == FieldType.TAG else set()
        case All(children) | AnyOf(children):
            return set().union(*(_tested_tag_codes(child) for child in children))
        case Not(child):
            return _tested_tag_codes(child)
    raise AssertionError(node)  # pragma: no cover


def _fields_of(node: Node) -> set[str]:
    match node:
        case Condition(field=field):
            return {field}
        case All(children) | AnyOf(children):
            return set().union(*(_fields_of(child) for child in children))
        case Not(child):
            return _fields_of(child)
    raise AssertionError(node)  # pragma: no cover


def customer_rows_sql(
    *,
    on: datetime.date,
    holdings: bool,
    tags: bool,
    id_range: tuple[int, int] | None = None,
) -> tuple[str, list[Any]]:
    """``FROM`` clause giving ``c`` (customers) plus the ``hf``/``tf`` feature rows a rule needs.

    Features are aggregated with one GROUP BY over the (range of the) holdings and tag
    tables and joined, instead of a probe per customer and per condition.
    """
    params: list[Any] = []
    # Fixed SQL text only; the range bounds and dates are bound parameters.
    where = ""
    if id_range is not None:
        where = "WHERE customer_id BETWEEN %s AND %s"
    sql = "customers_customer c"
    if holdings:
        sql += (
            " LEFT JOIN (SELECT customer_id, array_agg(product_type) AS product_types,"  # noqa: S608
            " min(maturity_date) FILTER (WHERE maturity_date >= %s) AS next_maturity"
            f" FROM customers_productholding {where} GROUP BY customer_id) hf ON hf.customer_id = c.id"
        )
        params.append(on)
        params.extend(id_range or ())
    if tags:
        sql += (
            " LEFT JOIN (SELECT customer_id, array_agg(tag_id) AS tag_ids"  # noqa: S608
            f" FROM customers_customertag {where} GROUP BY customer_id) tf ON tf.customer_id = c.id"
        )
        params.extend(id_range or ())
    return sql, params


def batch_rows_sql(
    *, on: datetime.date, holdings: bool, id_range: tuple[int, int], tag_ids: list[int], mask_words: list[list[int]]
) -> tuple[str, list[Any]]:
    """``FROM`` clause of a batch over an id range: ``c``, ``hf`` when a rule needs it, and ``tf``.

    ``tf`` reads only the links to ``tag_ids`` (the rule tags and the tags rules test),
    not every tag the customers carry: ``tf.tag_ids`` lists those, and ``tf.mask_<w>``
    has bit ``i`` set when the customer holds ``mask_words[w][i]`` (at most 63 a word),
    so that a customer's current rule tags compare with the wanted ones as integers.
    """
    sql, params = customer_rows_sql(on=on, holdings=holdings, tags=False, id_range=id_range)
    # A tag's bit is looked up by subscript in an array indexed by tag id (0 for the tags
    # of other words): a search of the word's tag list per link cost as much as the rest
    # of the aggregation.
    base = min(tag_ids, default=0)
    span = max(tag_ids, default=0) - base + 1
    masks = ""
    for index, word in enumerate(mask_words):
        bits = [0] * span
        for position, tag_id in enumerate(word):
            bits[tag_id - base] = 1 << position
        masks += f", bit_or((%s::bigint[])[(tag_id - %s)::int + 1]) AS mask_{index}"
        params += [bits, base]
    # ``tag_id + 0`` keeps the planner off the (tag, customer) index: that one reads the same
    # links out of customer order, into a hash aggregate that spills, where the (customer,
    # tag) index gives them in order to a streaming aggregate and merge joins.
    sql += (
        f" LEFT JOIN (SELECT customer_id, array_agg(tag_id) AS tag_ids{masks}"  # noqa: S608
        " FROM customers_customertag WHERE customer_id BETWEEN %s AND %s AND tag_id + 0 = ANY(%s::bigint[])"
        " GROUP BY customer_id) tf ON tf.customer_id = c.id"
    )
    params += [*id_range, tag_ids]
    return sql, params


def _compile(
    node: Node, context: CompileContext, params: list[Any], *, path: str, leaves: SharedLeaves | None = None
) -> str:
    def sub(child: Node) -> str:
        return _compile(child, context, params, path=path, leaves=leaves)

    match node:
        case All(children):
            return "(" + " AND ".join(sub(child) for child in children) + ")"
        case AnyOf(children):
            return "(" + " OR ".join(sub(child) for child in children) + ")"
        case Not(child):
            return f"(NOT {sub(child)})"
        case Condition():
            if leaves is None:
                return f"COALESCE({_leaf(node, context, params)}, false)"
            leaf_params: list[Any] = []
            return leaves.column(f"COALESCE({_leaf(node, context, leaf_params)}, false)", leaf_params)
    raise AssertionError(node)  # pragma: no cover


def _leaf(condition: Condition, context: CompileContext, params: list[Any]) -> str:
    field, op, value = condition.field, condition.op, condition.value
    field_type = FIELDS[field].type
    if field == "aum":
        return _compare("c.aum", op, value, params)
    if field in _CHOICE_COLUMNS:
        return _choice(f"c.{_CHOICE_COLUMNS[field]}", op, value, params)
    if field == "marketing_consent":
        params.append(value)
        return "c.marketing_consent = %s"
    if field == "age":
        return _age(op, value, context.on, params)
    if field == "customer_since":
        return _compare("c.opened_on", op, value, params)
    if field == "days_as_customer":
        return _days_since_date("c.opened_on", op, value, context.on, params)
    if field == "days_since_last_contact":
        return _days_since_timestamp("c.last_contact_at", op, value, context, params)
    if field_type == FieldType.BRANCH:
        path = context.branch_paths.get(value)
        if path is None:
            raise RuleError(_("There is no branch “%(code)s”.") % {"code": value}, join_path(condition.path, "value"))
        params.append(path + "%")
        subtree = "c.branch_id IN (SELECT b.id FROM org_branch b WHERE b.path LIKE %s)"
        return subtree if op == "in_subtree" else f"NOT ({subtree})"
    if field_type == FieldType.PRODUCT_TYPE:
        params.append(list(value))
        held = "COALESCE(hf.product_types && %s::varchar[], false)"
        return held if op == "in" else f"NOT {held}"
    if field_type == FieldType.MATURITY:
        # next_maturity is the earliest maturity on or after the evaluation day.
        params.append(context.on + datetime.timedelta(days=value))
        return "hf.next_maturity <= %s"
    if field_type == FieldType.TAG:
        tag_id = context.tag_ids.get(value)
        if tag_id is None:
            raise RuleError(_("There is no tag “%(code)s”.") % {"code": value}, join_path(condition.path, "value"))
        params.append(tag_id)
        tagged = "COALESCE(%s = ANY(tf.tag_ids), false)"
        return tagged if op == "eq" else f"NOT {tagged}"
    raise AssertionError(field)  # pragma: no cover


def _compare(column: str, op: str, value: Any, params: list[Any]) -> str:
    if op == "between":
        params.extend(value)
        return f"{column} BETWEEN %s AND %s"
    params.append(value)
    return f"{column} {_COMPARATORS[op]} %s"


def _choice(column: str, op: str, value: Any, params: list[Any]) -> str:
    """A choice stored blank is missing (a risk level never assessed): no condition on it holds,
    so ``ne`` and ``not_in`` never select a customer whose value is unknown."""
    if op in ("in", "not_in"):
        params.append(list(value))
        test = f"{column} = ANY(%s)" if op == "in" else f"{column} <> ALL(%s)"
    else:
        params.append(value)
        test = f"{column} {_COMPARATORS[op]} %s"
    return f"(NULLIF({column}, '') IS NOT NULL AND {test})"


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _age(op: str, value: Any, on: datetime.date, params: list[Any]) -> str:
    """Age in completed years, as ranges of birth dates: age >= N ⇔ born on or before on-N years."""
    if op == "between":
        low, high = value
        return f"({_age('gte', low, on, params)} AND {_age('lte', high, on, params)})"
    if op in ("eq", "ne"):
        inside = f"({_age('gte', value, on, params)} AND {_age('lte', value, on, params)})"
        return inside if op == "eq" else f"NOT {inside}"
    if op == "gt":
        op, value = "gte", value + 1
    if op == "lte":
        op, value = "lt", value + 1
    params.append(years_before(on, value))
    # age >= N ⇔ birth_date <= cutoff;  age < N ⇔ birth_date > cutoff
    return "c.birth_date <= %s" if op == "gte" else "c.birth_date > %s"


def _days_since_date(column: str, op: str, value: Any, on: datetime.date, params: list[Any]) -> str:
    """(on - column) op N, as a comparison of the column with on - N."""
    if op == "between":
        low, high = value
        return (
            f"({_days_since_date(column, 'gte', low, on, params)} AND "
            f"{_days_since_date(column, 'lte', high, on, params)})"
        )
    params.append(on - datetime.timedelta(days=value))
    return f"{column} {_COMPARATORS[_FLIPPED[op]]} %s"


def _days_since_timestamp(column: str, op: str, value: Any, context: CompileContext, params: list[Any]) -> str:
    """Days between the local calendar date of a timestamp and the evaluation day.

    Never contacted (NULL) counts as infinitely long ago: true for >, >= and <>.
    """
    if op == "between":
        low, high = value
        return (
            f"({_days_since_timestamp(column, 'gte', low, context, params)} AND "
            f"{_days_since_timestamp(column, 'lte', high, context, params)})"
        )

    def midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=context.time_zone)

    target = context.on - datetime.timedelta(days=value)  # the local date that is exactly N days ago
    next_day = target + datetime.timedelta(days=1)
    if op == "eq":
        params.extend([midnight(target), midnight(next_day)])
        return f"({column} >= %s AND {column} < %s)"
    if op == "ne":
        params.extend([midnight(target), midnight(next_day)])
        return f"({column} IS NULL OR {column} < %s OR {column} >= %s)"
    if op == "gte":  # contact date on or before target
        params.append(midnight(next_day))
        return f"({column} IS NULL OR {column} < %s)"
    if op == "gt":  # contact date before target
        params.append(midnight(target))
        return f"({column} IS NULL OR {column} < %s)"
    if op == "lte":  # contact date on or after target
        params.append(midnight(target))
        return f"{column} >= %s"
    params.append(midnight(next_day))  # lt: contact date after target
    return f"{column} >= %s"
