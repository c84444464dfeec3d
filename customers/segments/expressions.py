"""A compiled rule as a filter on a customer queryset.

The rule compiler (``customers.rules.sql``) emits a condition over the customer row
aliased ``c``. Django names that row after its table (``"customers_customer"``), or
``U0``, ``V0``… once the queryset is nested inside another query — which is how
segments are consumed (snapshots, campaign audiences). So the alias cannot be fixed
when the SQL is written; :class:`CustomerRuleCondition` asks the query compiler for
it when the SQL is rendered, the same way Django renders its own column references.

Rules over the customer's own columns (AUM, age, stage, branch …) become a plain
``WHERE`` clause. Rules over holdings or tags need the compiler's per-customer feature
rows (``hf``/``tf``, aggregated in one pass by ``customer_rows_sql``); those run as a
self-contained ``id IN (SELECT c.id FROM … WHERE <rule>)``, equally safe when nested.

Measured on 1.1 M customers (count of a three-condition rule on own columns):

* a plain ``WHERE`` clause (this expression): 160 ms — one pass, indexes usable;
* ``id IN (SELECT c.id FROM customers_customer c WHERE …)``: 330–420 ms — the table
  is read twice and hash-joined to itself;
* ``EXISTS (SELECT 1 FROM (SELECT <outer row>) c WHERE …)``: 245–340 ms — a sub-plan
  run once per row.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import Col, Expression, RawSQL
from django.db.models.sql.compiler import SQLCompiler

from customers.rules import SqlCondition, customer_rows_sql

_RULE_IDS_SQL = "SELECT c.id FROM {customer_rows} WHERE {condition}"

# The compiler writes the customer row only as ``c.<column>``; every other alias it
# uses (b, hf, tf) is a different word, and values are never part of the SQL text.
_CUSTOMER_ROW = re.compile(r"\bc\.(?=[a-z_]+\b)")


class CustomerRuleCondition(Expression):
    """``WHERE <rule>`` over the customer's own columns, ``c`` bound to this query's row."""

    output_field = BooleanField()

    def __init__(self, condition: SqlCondition) -> None:
        super().__init__(output_field=BooleanField())
        self.condition = condition
        # Resolved to the query's primary-key column: it carries the row's alias and
        # is relabelled with it when the queryset becomes a subquery.
        self.row: Any = F("pk")

    def get_source_expressions(self) -> list[Any]:
        return [self.row]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.row,) = exprs

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        if not isinstance(self.row, Col):  # pragma: no cover - only reachable through misuse
            raise TypeError("CustomerRuleCondition must be resolved against a customer queryset")
        alias = compiler.quote_name_unless_alias(self.row.alias)
        return "(" + _CUSTOMER_ROW.sub(f"{alias}.", self.condition.sql) + ")", list(self.condition.params)


def rule_filter(condition: SqlCondition, *, on: datetime.date) -> Q | CustomerRuleCondition:
    """A compiled rule as a filter for ``Customer`` querysets (scoping is the caller's)."""
    if not (condition.uses_holdings or condition.uses_tags):
        return CustomerRuleCondition(condition)
    customer_rows, params = customer_rows_sql(on=on, holdings=condition.uses_holdings, tags=condition.uses_tags)
    sql = _RULE_IDS_SQL.format(customer_rows=customer_rows, condition=condition.sql)
    # Compiler output only; every value is a bound parameter.
    return Q(pk__in=RawSQL(sql, [*params, *condition.params]))  # noqa: S611
