"""Reads of segments and their members, always within the viewer's data scope.

A segment is evaluated live: its members are the customers *the viewer may see* who
match the definition today. Two people looking at one segment see different counts,
each the part of the audience inside their scope.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from customers.models import Customer, Segment, Tag
from customers.segments.definition import TAG_KEYS, CompiledDefinition, segment_definition_compile, tag_conditions
from customers.segments.expressions import rule_filter
from customers.selectors import CustomerProfile, customer_profile, customers_all_for_system
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for

SAMPLE_SIZE = 20


def segment_list() -> QuerySet[Segment]:
    """Segments are bank-wide definitions, readable by all staff; their members are not."""
    return Segment.objects.select_related("created_by").order_by("id")


def segment_list_editable(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Segment]:
    """The segments the user may change: an HQ admin all of them, a branch manager those
    built by staff of their own subtree, nobody else any."""
    scope = data_scope_for(user)
    if scope is None:
        return Segment.objects.none()
    if scope.role == Role.HQ_ADMIN:
        return segment_list()
    if scope.role == Role.BRANCH_MANAGER:
        return segment_list().filter(created_by__branch__path__startswith=scope.branch_path)
    return Segment.objects.none()


def segment_members(
    *,
    segment_or_definition: Segment | Mapping[str, Any],
    user: AbstractBaseUser | AnonymousUser,
    on: datetime.date | None = None,
) -> QuerySet[Customer]:
    """The customers the user may see who match the segment (or an unsaved definition).

    One SQL query, composable: the tag conditions are EXISTS probes and the rule a
    plain WHERE clause, so the result can be counted, paged, exported or nested in an
    ``INSERT … SELECT`` without being materialised. Raises ``ApplicationError`` when the
    definition no longer compiles (e.g. a tag it names was deleted).
    """
    raw = segment_or_definition.definition if isinstance(segment_or_definition, Segment) else segment_or_definition
    compiled = segment_definition_compile(raw, on=on or timezone.localdate())
    return _apply(Customer.objects.visible_to(user), compiled)


def segment_members_bank_wide(*, segment: Segment, on: datetime.date | None = None) -> QuerySet[Customer]:
    """Every customer of the bank who matches the segment, whoever looks.

    For system work that applies a scope of its own — a campaign's audience is limited to
    the campaign's subtree, not to what its author happens to see today. Never hand it to
    a page or an API.
    """
    compiled = segment_definition_compile(segment.definition, on=on or timezone.localdate())
    return _apply(customers_all_for_system(), compiled)


def _apply(customers: QuerySet[Customer], compiled: CompiledDefinition) -> QuerySet[Customer]:
    definition, ids = compiled.definition, compiled.tag_ids
    conditions: list[Any] = tag_conditions(
        any_of=[ids[code] for code in definition.tags_any],
        all_of=[ids[code] for code in definition.tags_all],
        none_of=[ids[code] for code in definition.tags_none],
    )
    if compiled.rule is not None:
        conditions.append(rule_filter(compiled.rule, on=compiled.on))
    return customers.filter(*conditions)


def segment_member_count(
    *, segment_or_definition: Segment | Mapping[str, Any], user: AbstractBaseUser | AnonymousUser
) -> int:
    return segment_members(segment_or_definition=segment_or_definition, user=user).count()


def segment_member_sample(
    *,
    segment_or_definition: Segment | Mapping[str, Any],
    user: AbstractBaseUser | AnonymousUser,
    size: int = SAMPLE_SIZE,
) -> list[CustomerProfile]:
    """The first members by id, as masked profiles: one query."""
    members = segment_members(segment_or_definition=segment_or_definition, user=user)
    return [
        customer_profile(customer=customer, viewer=user)
        for customer in members.select_related("branch", "owner").order_by("id")[:size]
    ]


def segment_tags(*, segment: Segment) -> dict[str, list[Tag]]:
    """The tags a segment names, per list ("tags_any", …), for display; one query."""
    definition = segment.definition
    codes = {code for key in TAG_KEYS for code in definition.get(key) or ()}
    tags = {tag.code: tag for tag in Tag.objects.filter(code__in=codes).select_related("group")}
    return {key: [tags[code] for code in definition.get(key) or () if code in tags] for key in TAG_KEYS}
