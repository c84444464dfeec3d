"""A segment's definition: the tags its members carry and an optional rule.

::

    {"tags_any": ["vip", "pension"],   # carries at least one of these
     "tags_all": ["wecom_linked"],     # carries every one of these
     "tags_none": ["do_not_disturb"],  # carries none of these
     "rule": {"field": "aum", "op": "gte", "value": 500000}}  # the tag-rule language, or null

Every part is optional, but a definition must say something: an empty one would be
"every customer", which nobody means by a segment. Tag codes are checked against the
catalogue and the rule goes through the tag-rule compiler, so a bad definition is
refused with the reason before it is saved, and again (the catalogue may have changed)
before it is evaluated.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import NegatedExpression
from django.utils.translation import gettext as _

from customers.models import CustomerTag, Tag
from customers.rules import RuleError, SqlCondition
from customers.tagging.rules import rule_compile
from scrm.core.exceptions import ApplicationError
from scrm.core.text import HIDDEN_CHARACTERS

TAG_KEYS = ("tags_any", "tags_all", "tags_none")
DEFINITION_KEYS = (*TAG_KEYS, "rule")
MAX_TAGS_PER_LIST = 50


@dataclass(frozen=True)
class SegmentDefinition:
    """A validated definition: tag codes de-duplicated and sorted, the rule as given."""

    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    tags_none: tuple[str, ...] = ()
    rule: Any = None

    def as_json(self) -> dict[str, Any]:
        return {
            "tags_any": list(self.tags_any),
            "tags_all": list(self.tags_all),
            "tags_none": list(self.tags_none),
            "rule": self.rule,
        }


@dataclass(frozen=True)
class CompiledDefinition:
    definition: SegmentDefinition
    on: datetime.date
    tag_ids: Mapping[str, int]
    rule: SqlCondition | None


def segment_definition_compile(raw: Any, *, on: datetime.date) -> CompiledDefinition:
    """Validate a definition against today's catalogue and compile its rule.

    Raises ``ApplicationError`` naming the offending key (``extra["field"]``) and, for
    a rule, the path inside it and the reason, as the tag-rule editor does.
    """
    definition = _clean_shape(raw)
    tag_ids = tag_ids_for_codes({*definition.tags_any, *definition.tags_all, *definition.tags_none}, field="definition")
    rule = None
    if definition.rule is not None:
        try:
            rule = rule_compile(definition.rule, on=on)
        except RuleError as error:
            raise ApplicationError(
                _("Invalid rule: %(error)s") % {"error": error},
                {"field": "rule", **error.as_extra()},
            ) from error
    return CompiledDefinition(definition=definition, on=on, tag_ids=tag_ids, rule=rule)


def _clean_shape(raw: Any) -> SegmentDefinition:
    if not isinstance(raw, Mapping):
        raise ApplicationError(_("A segment definition must be an object."), {"field": "definition"})
    unknown = sorted(set(raw) - set(DEFINITION_KEYS))
    if unknown:
        raise ApplicationError(
            _("Unknown key(s) in the segment definition: %(keys)s. Known keys: %(known)s.")
            % {"keys": ", ".join(unknown), "known": ", ".join(DEFINITION_KEYS)},
            {"field": "definition", "keys": unknown},
        )
    tags = {key: _clean_codes(raw.get(key), field=key) for key in TAG_KEYS}
    both = sorted(set(tags["tags_all"]) & set(tags["tags_none"]))
    if both:
        raise ApplicationError(
            _("Tag(s) %(codes)s are both required and excluded; no customer could match.") % {"codes": ", ".join(both)},
            {"field": "tags_none", "codes": both},
        )
    rule = raw.get("rule")
    if not any(tags.values()) and rule is None:
        raise ApplicationError(
            _("A segment needs at least one tag condition or a rule."), {"field": "definition", "reason": "empty"}
        )
    return SegmentDefinition(**tags, rule=rule)


def _clean_codes(raw: Any, *, field: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(
        isinstance(code, str) and code.strip() and not HIDDEN_CHARACTERS.search(code) for code in raw
    ):
        raise ApplicationError(_("%(field)s must be a list of tag codes.") % {"field": field}, {"field": field})
    codes = tuple(sorted({code.strip() for code in raw}))
    if len(codes) > MAX_TAGS_PER_LIST:
        raise ApplicationError(
            _("%(field)s may name at most %(limit)d tags.") % {"field": field, "limit": MAX_TAGS_PER_LIST},
            {"field": field},
        )
    return codes


def tag_ids_for_codes(codes: set[str] | frozenset[str], *, field: str) -> dict[str, int]:
    """Resolve tag codes to ids in one query; unknown codes are an error listing them all."""
    if not codes:
        return {}
    tag_ids = dict(Tag.objects.filter(code__in=codes).values_list("code", "id"))
    unknown = sorted(codes - tag_ids.keys())
    if unknown:
        raise ApplicationError(
            _("Unknown tag code(s): %(codes)s.") % {"codes": ", ".join(unknown)}, {"field": field, "codes": unknown}
        )
    return tag_ids


def tag_conditions(
    *,
    any_of: list[int] | tuple[int, ...] = (),
    all_of: list[int] | tuple[int, ...] = (),
    none_of: list[int] | tuple[int, ...] = (),
) -> list[Q | Exists | NegatedExpression[Any]]:
    """Filters on a customer queryset, one EXISTS per condition on customers_customertag.

    Each EXISTS is a probe of the (customer, tag) unique index, and the planner may
    turn it into a semi-join driven by the (tag, customer) index when a tag is rare.
    """

    def carries(tag_ids: list[int] | tuple[int, ...]) -> Exists:
        return Exists(CustomerTag.objects.filter(customer_id=OuterRef("pk"), tag_id__in=tag_ids))

    conditions: list[Q | Exists | NegatedExpression[Any]] = []
    if any_of:
        conditions.append(carries(any_of))
    conditions.extend(carries([tag_id]) for tag_id in all_of)
    if none_of:
        conditions.append(~carries(none_of))
    return conditions
