"""The segment builder's form: name, description, the three tag lists and an optional rule.

The form only reads what was typed; the segment services validate the definition and
their error goes back onto the field it names (``ApplicationError.extra["field"]``).
"""

from __future__ import annotations

import json
from itertools import groupby
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Segment
from customers.rules import RuleProblem
from customers.rules.builder import rule_from_builder_field
from customers.segments.definition import TAG_KEYS
from customers.tagging.selectors import tags_list
from scrm.core.exceptions import ApplicationError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TagChoices = list[tuple[str, list[tuple[str, str]]]]


def tag_choices() -> TagChoices:
    """The tag catalogue as choices grouped by tag group (one ``<optgroup>`` each), by name only; one query."""
    tags = tags_list().order_by("group__sort_order", "group__code", "code")
    return [
        (group.name, [(tag.code, tag.name) for tag in group_tags])
        for group, group_tags in groupby(tags, key=lambda tag: tag.group)
    ]


def _tag_list_field(label: StrOrPromise, help_text: StrOrPromise) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        help_text=help_text,
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 8}),
    )


class SegmentForm(forms.Form):
    # Not required here: the service refuses an empty name with its own message.
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
    tags_any = _tag_list_field(_("Any of the tags"), _("Members carry at least one of these."))
    tags_all = _tag_list_field(_("All of the tags"), _("Members carry every one of these."))
    tags_none = _tag_list_field(_("None of the tags"), _("Members carry none of these."))
    # Written by the visual rule builder (or typed in its advanced view) as JSON; empty for none.
    rule = forms.CharField(label=_("Rule"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule_problems: list[RuleProblem] = []
        choices = tag_choices()
        for key in TAG_KEYS:
            self.fields[key].choices = choices  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(segment: Segment) -> dict[str, Any]:
        definition = segment.definition
        rule = definition.get("rule")
        return {
            "name": segment.name,
            "description": segment.description,
            **{key: list(definition.get(key) or ()) for key in TAG_KEYS},
            "rule": json.dumps(rule, ensure_ascii=False) if rule is not None else "",
        }

    def clean_rule(self) -> Any:
        return rule_from_builder_field(self.cleaned_data["rule"], problems=self.rule_problems)

    def definition(self) -> dict[str, Any]:
        """The definition as the segment services take it (call after ``is_valid()``)."""
        return {**{key: self.cleaned_data[key] for key in TAG_KEYS}, "rule": self.cleaned_data["rule"]}

    def add_service_error(self, error: ApplicationError) -> None:
        """Show a service's refusal on the field it names, or above the form; a rule's problems
        go to the builder, each at its place."""
        field = error.extra.get("field")
        if field == "rule" and error.extra.get("problems"):
            self.rule_problems = [RuleProblem(**problem) for problem in error.extra["problems"]]
        self.add_error(field if field in self.fields else None, error.message)

    def definition_errors(self) -> list[str]:
        """The errors of the fields that make up the definition, for the preview."""
        return [str(message) for key in (*TAG_KEYS, "rule") for message in self.errors.get(key, [])]
