"""Reads for tags and rules, inside the viewer's scope."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, Count, Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from customers.models import Customer, CustomerTag, Tag, TagBulkAction, TagBulkJob, TagGroup, TagKind, TagRuleRun
from customers.tagging.rules import rule_customer_ids_sql
from scrm.org.models import Role, Staff

PREVIEW_SAMPLE_SIZE = 20


def tag_groups_list() -> QuerySet[TagGroup]:
    return TagGroup.objects.order_by("sort_order", "code")


def tags_list(*, kind: str | None = None, group_code: str | None = None) -> QuerySet[Tag]:
    tags = Tag.objects.select_related("group", "rule")
    if kind:
        tags = tags.filter(kind=kind)
    if group_code:
        tags = tags.filter(group__code=group_code)
    return tags


def tag_counts_visible(*, user: AbstractBaseUser | AnonymousUser) -> dict[int, int]:
    """How many customers the viewer can see carry each tag."""
    visible = Customer.objects.visible_to(user).values("id")
    return dict(
        Tag.objects.filter(customer_links__customer_id__in=visible)
        .annotate(customers=Count("customer_links"))
        .values_list("id", "customers")
    )


@dataclass(frozen=True)
class TagGroupCoverage:
    name: str
    customers: int


@dataclass(frozen=True)
class TagCoverage:
    customers: int
    tagged: int
    by_group: list[TagGroupCoverage]

    @property
    def percent(self) -> str:
        return f"{self.tagged / self.customers * 100:.1f}%" if self.customers else "0.0%"


def tag_coverage(*, user: AbstractBaseUser | AnonymousUser) -> TagCoverage:
    """How many visible customers carry at least one tag, overall and per tag group; three statements."""
    visible = Customer.objects.visible_to(user)
    links = CustomerTag.objects.visible_to(user)
    by_group = [
        TagGroupCoverage(name=name, customers=count)
        for name, count in links.order_by()
        .values("tag__group__sort_order", "tag__group__name")
        .annotate(customers=Count("customer_id", distinct=True))
        .order_by("tag__group__sort_order", "tag__group__name")
        .values_list("tag__group__name", "customers")
    ]
    return TagCoverage(
        customers=visible.count(),
        tagged=links.order_by().values("customer_id").distinct().count(),
        by_group=by_group,
    )


def customers_matching_rule(*, definition: Any, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Customer]:
    """Customers the viewer can see that a (validated) rule selects today."""
    sql, params = rule_customer_ids_sql(definition, on=timezone.localdate())
    matching = RawSQL(sql, params)  # noqa: S611 - compiler output, values bound as parameters
    return Customer.objects.visible_to(user).filter(id__in=matching)


@dataclass(frozen=True)
class RulePreview:
    count: int
    sample: list[Customer]


def tag_rule_preview(*, definition: Any, user: AbstractBaseUser | AnonymousUser) -> RulePreview:
    matching = customers_matching_rule(definition=definition, user=user)
    return RulePreview(
        count=matching.count(),
        sample=list(matching.select_related("branch", "owner").order_by("id")[:PREVIEW_SAMPLE_SIZE]),
    )


def tag_rule_run_get(*, run_id: int) -> TagRuleRun:
    return get_object_or_404(TagRuleRun, pk=run_id)


def tag_rule_run_latest() -> TagRuleRun | None:
    return TagRuleRun.objects.order_by("-id").first()


def customer_tag_ids_subquery(*, customer_ref: str) -> Coalesce:
    """Each referenced customer's tag ids as a sorted bigint array, to annotate rows of the apps above.

    ``customer_ref`` is the lookup from the annotated rows to the customer id
    (``"contact__customer_id"``); customers without tags give an empty array.
    """
    ids = (
        CustomerTag.objects.filter(customer_id=OuterRef(customer_ref))
        .order_by()
        .values("customer_id")
        .annotate(ids=ArrayAgg("tag_id", order_by="tag_id"))
        .values("ids")
    )
    return Coalesce(Subquery(ids), Value([]), output_field=ArrayField(BigIntegerField()))


def tag_group_get(*, group_id: int) -> TagGroup:
    return get_object_or_404(TagGroup, pk=group_id)


def tag_get(*, tag_id: int) -> Tag:
    return get_object_or_404(Tag.objects.select_related("group"), pk=tag_id)


def tags_manual_active() -> QuerySet[Tag]:
    """The tags a person may give or take away by hand, for pickers (by group, then name)."""
    return (
        Tag.objects.filter(kind=TagKind.MANUAL, is_active=True)
        .select_related("group")
        .order_by("group__sort_order", "group__name", "name")
    )


def tags_for_picker() -> QuerySet[Tag]:
    """Every tag for a search filter, active ones first within each group."""
    return Tag.objects.select_related("group").order_by("group__sort_order", "group__name", "-is_active", "name")


@dataclass(frozen=True)
class BulkTagPreview:
    selected: int  # customers the search finds in the viewer's scope
    changing: int  # of them, those whose tags the action changes


def tag_bulk_preview(*, customers: QuerySet[Customer], tag: Tag, action: TagBulkAction) -> BulkTagPreview:
    """How many of the (scoped) customers the action would change: two counts, nothing written."""
    carries = Exists(CustomerTag.objects.filter(customer_id=OuterRef("pk"), tag_id=tag.pk))
    changing = customers.filter(~carries) if action == TagBulkAction.ASSIGN else customers.filter(carries)
    return BulkTagPreview(selected=customers.count(), changing=changing.count())


def tag_bulk_job_get(*, job_id: int, viewer: Staff) -> TagBulkJob:
    """A bulk job its starter (or an HQ admin) follows; anyone else gets a 404."""
    jobs = TagBulkJob.objects.select_related("tag")
    if viewer.role != Role.HQ_ADMIN:
        jobs = jobs.filter(created_by=viewer)
    return get_object_or_404(jobs, pk=job_id)
