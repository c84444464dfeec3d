"""Tag rules (自动打标): a small JSON language, validated, compiled to parameterised SQL."""

from customers.rules.language import FIELDS, RuleError, RuleProblem, parse_rule, rule_from_json
from customers.rules.sql import (
    CompileContext,
    SharedLeaves,
    SqlCondition,
    batch_rows_sql,
    compile_rule,
    customer_rows_sql,
)

__all__ = [
    "FIELDS",
    "CompileContext",
    "RuleError",
    "RuleProblem",
    "SharedLeaves",
    "SqlCondition",
    "batch_rows_sql",
    "compile_rule",
    "customer_rows_sql",
    "parse_rule",
    "rule_from_json",
]
