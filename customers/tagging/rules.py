"""Resolve and compile tag rules against the live catalogue (branch paths, tag ids)."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from customers.models import Tag
from customers.rules import CompileContext, SharedLeaves, SqlCondition, compile_rule, customer_rows_sql, parse_rule
from customers.rules.language import FieldType, Node, RuleError, referenced_codes, unknown_code_problems
from scrm.org.models import Branch


def rule_compile(definition: Any, *, on: datetime.date, leaves: SharedLeaves | None = None) -> SqlCondition:
    """Validate a rule definition and compile it; RuleError says what is wrong and where.

    With ``leaves``, the condition refers to the shared leaf columns (see ``SharedLeaves``).
    """
    node = parse_rule(definition)
    return compile_rule(node, _context(node, on=on), leaves)


def _context(node: Node, *, on: datetime.date) -> CompileContext:
    branch_codes = referenced_codes(node, FieldType.BRANCH)
    tag_codes = referenced_codes(node, FieldType.TAG)
    branch_paths = dict(Branch.objects.filter(code__in=branch_codes).values_list("code", "path"))
    tag_ids = dict(Tag.objects.filter(code__in=tag_codes).values_list("code", "id"))
    problems = unknown_code_problems(node, branch_codes=branch_paths.keys(), tag_codes=tag_ids.keys())
    if problems:
        raise RuleError(problems=problems)
    return CompileContext(on=on, time_zone=ZoneInfo(settings.TIME_ZONE), branch_paths=branch_paths, tag_ids=tag_ids)


def rule_customer_ids_sql(definition: Any, *, on: datetime.date) -> tuple[str, list[Any]]:
    """``SELECT c.id …`` of every customer the rule selects (not scoped: callers intersect
    it with ``visible_to``), with its parameters."""
    condition = rule_compile(definition, on=on)
    from_sql, from_params = customer_rows_sql(on=on, holdings=condition.uses_holdings, tags=condition.uses_tags)
    # from_sql and condition.sql are compiler output; every value is a bound parameter.
    return f"SELECT c.id FROM {from_sql} WHERE {condition.sql}", [*from_params, *condition.params]  # noqa: S608
