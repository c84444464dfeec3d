"""What the visual rule builder needs from the server: the fields, operators and pickers, in the reader's words.

The builder (``static/js/rule-builder.js``) only edits the rule's JSON; it reads this
schema from a ``json_script`` element and the server's validation stays the one source
of truth. Branch choices are limited to the viewer's scope; tags are offered by name.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from decimal import Decimal
from itertools import groupby
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from customers.models import Tag
from customers.rules.language import (
    FIELDS,
    OPERATORS,
    All,
    AnyOf,
    Condition,
    FieldSpec,
    FieldType,
    Node,
    Not,
    RuleError,
    RuleProblem,
    operator_label,
    parse_rule,
    problem_location,
    referenced_codes,
    rule_from_json,
)
from scrm.org.models import Branch
from scrm.org.selectors import branch_list_visible


def rule_builder_schema(*, user: AbstractBaseUser | AnonymousUser) -> dict[str, Any]:
    """The builder's schema for this viewer; two queries (branches in scope, the tag catalogue)."""
    fields = [
        {
            "name": name,
            "label": str(spec.label),
            "help": str(spec.description),
            "type": str(spec.type),
            "unit": str(spec.unit),
            "min": spec.minimum,
            "max": spec.maximum if spec.type in (FieldType.INTEGER, FieldType.MATURITY) else None,
            "ops": [{"value": op, "label": str(operator_label(spec.type, op))} for op in OPERATORS[spec.type]],
            "choices": [{"value": value, "label": str(label)} for value, label in spec.choice_labels()],
        }
        for name, spec in FIELDS.items()
    ]
    branches = list(branch_list_visible(user=user).only("code", "name", "depth"))
    top = min((branch.depth for branch in branches), default=1)
    tags = (
        Tag.objects.select_related("group").filter(is_active=True).order_by("group__sort_order", "group__code", "name")
    )
    return {
        "fields": fields,
        "branches": [{"value": branch.code, "label": branch.name, "depth": branch.depth - top} for branch in branches],
        "tags": [
            {"group": group.name, "options": [{"value": tag.code, "label": tag.name} for tag in group_tags]}
            for group, group_tags in groupby(tags, key=lambda tag: tag.group)
        ],
        "text": _builder_text(),
    }


def _builder_text() -> dict[str, str]:
    """Every word the builder shows, translated here so the script holds no text of its own."""
    return {
        "all": pgettext("rule group", "All of these"),
        "any": pgettext("rule group", "Any of these"),
        "negate": pgettext("rule group", "Not"),
        "negateHelp": _("Match customers for whom this does not hold"),
        "addCondition": _("Add condition"),
        "addGroup": _("Add group"),
        "remove": _("Remove"),
        "removeGroup": _("Remove group"),
        "chooseField": _("Choose a field…"),
        "choose": _("Choose…"),
        "yes": _("Yes"),
        "no": _("No"),
        "and": pgettext("rule between", "to"),
        "empty": _("No conditions yet. Add a condition to start."),
        "visual": _("Visual"),
        "advanced": _("Advanced (JSON)"),
        "invalidJson": _(
            "The JSON is not valid (line %(line)s, column %(column)s). The visual view was left unchanged."
        ),
        "invalidJsonNoPosition": _("The JSON is not valid. The visual view was left unchanged."),
        "notVisual": _(
            "This rule cannot be shown in the visual view (each part must be a group or a condition). "
            "Correct it here, or start again."
        ),
        "valueItem": _("Value"),
    }


def rule_from_builder_field(text: str, *, problems: list[RuleProblem]) -> Any:
    """The rule a form's builder field carries (its JSON), or None when it is empty.

    A broken rule raises the form's ValidationError with the first problem, and appends
    every problem to ``problems`` so the page marks each at its place in the builder.
    """
    text = text.strip()
    if not text:
        return None
    try:
        return rule_from_json(text)
    except RuleError as error:
        problems.extend(error.problems)
        raise forms.ValidationError(error.message) from error


def rule_problems_display(problems: Iterable[RuleProblem | dict[str, str]]) -> list[dict[str, str]]:
    """Problems as the builder lists them: the path (for highlighting), where in words, and what."""
    shown = []
    for problem in problems:
        path, message = (problem["path"], problem["message"]) if isinstance(problem, dict) else problem
        shown.append({"path": path, "location": problem_location(path), "message": message})
    return shown


def rule_describe(*, definition: Any) -> str:
    """A rule in words, for reading it on a page: fields, operators, choices, tags and branches
    by name (two queries at most). A rule that no longer validates is given as its JSON."""
    try:
        node = parse_rule(definition)
    except RuleError:
        return json.dumps(definition, ensure_ascii=False)
    tag_names = dict(Tag.objects.filter(code__in=referenced_codes(node, FieldType.TAG)).values_list("code", "name"))
    branch_names = dict(
        Branch.objects.filter(code__in=referenced_codes(node, FieldType.BRANCH)).values_list("code", "name")
    )

    def value_text(spec: FieldSpec, value: Any) -> str:
        if isinstance(value, tuple) and spec.type not in (FieldType.CHOICE, FieldType.PRODUCT_TYPE):
            return pgettext("rule describe", "%(low)s to %(high)s") % {
                "low": value_text(spec, value[0]),
                "high": value_text(spec, value[1]),
            }
        if isinstance(value, tuple):
            return "、".join(value_text(spec, item) for item in value)
        if spec.type in (FieldType.CHOICE, FieldType.PRODUCT_TYPE):
            return str(dict(spec.choice_labels()).get(value, value))
        if spec.type == FieldType.BOOLEAN:
            return _("Yes") if value else _("No")
        if spec.type == FieldType.TAG:
            return tag_names.get(value, value)
        if spec.type == FieldType.BRANCH:
            return branch_names.get(value, value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        number = f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)
        return f"{number} {spec.unit}" if spec.unit else number

    def words(node: Node, nested: bool) -> str:
        match node:
            case Condition(field=field, op=op, value=value):
                spec = FIELDS[field]
                return f"{spec.label} {operator_label(spec.type, op)} {value_text(spec, value)}"
            case All(children) | AnyOf(children):
                joiner = (
                    pgettext("rule describe", " and ") if isinstance(node, All) else pgettext("rule describe", " or ")
                )
                text = joiner.join(words(child, True) for child in children)
                return f"（{text}）" if nested and len(children) > 1 else text
            case Not(child):
                return pgettext("rule describe", "not (%(rule)s)") % {"rule": words(child, False)}
        raise AssertionError(node)  # pragma: no cover

    return words(node, False)
