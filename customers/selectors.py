"""Reads of customer data. Every query starts from ``Customer.objects.visible_to``.

A test (tests/test_scoping_enforced.py) fails if code outside this module and
``customers.services`` touches the customer tables any other way.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from customers.models import Customer, CustomerTag, ProductHolding, TimelineEvent
from customers.models.timeline import ENGAGEMENT_KINDS
from customers.pii import pii_can_reveal, pii_masked
from customers.timeline.selectors import timeline_for_customer, timeline_recent_start
from scrm.pii import PiiKind, blind_index


def customer_list_visible(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user)


def customer_count_visible(*, user: AbstractBaseUser | AnonymousUser) -> int:
    return Customer.objects.visible_to(user).count()


def customer_profile_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Customer]:
    """Customers in the viewer's scope, with what ``customer_profile`` reads joined in (no N+1)."""
    return Customer.objects.visible_to(user).select_related("branch", "owner").order_by("id")


@dataclass(frozen=True)
class CustomerProfile:
    """What any member of staff may see of a customer: PII only in masked form."""

    customer_no: str
    name_masked: str
    phone_masked: str | None
    id_number_masked: str | None
    gender: str
    branch_code: str
    branch_name: str
    owner_employee_no: str | None
    owner_name: str | None
    aum: Decimal
    risk_level: str
    lifecycle_stage: str
    marketing_consent: bool
    last_contact_at: datetime.datetime | None
    opened_on: datetime.date | None
    # Whether this viewer may ask for full values (the reveal service decides again).
    can_reveal: bool


def customer_profile(*, customer: Customer, viewer: AbstractBaseUser | AnonymousUser) -> CustomerProfile:
    """The masked profile of a customer the viewer has already found through their scope.

    Pass customers from ``customer_profile_list`` so branch and owner are joined in.
    """
    owner = customer.owner
    return CustomerProfile(
        customer_no=customer.customer_no,
        name_masked=pii_masked(customer.name_cipher, kind=PiiKind.NAME) or "",
        phone_masked=pii_masked(customer.phone_cipher, kind=PiiKind.PHONE),
        id_number_masked=pii_masked(customer.id_number_cipher, kind=PiiKind.ID_NUMBER),
        gender=customer.gender,
        branch_code=customer.branch.code,
        branch_name=customer.branch.name,
        owner_employee_no=owner.employee_no if owner else None,
        owner_name=owner.name if owner else None,
        aum=customer.aum,
        risk_level=customer.risk_level,
        lifecycle_stage=customer.lifecycle_stage,
        marketing_consent=customer.marketing_consent,
        last_contact_at=customer.last_contact_at,
        opened_on=customer.opened_on,
        can_reveal=pii_can_reveal(viewer=viewer),
    )


@dataclass(frozen=True)
class CustomerTagView:
    code: str
    name: str
    color: str
    group: str
    source: str


def customer_tags_by_customer(
    *, customer_ids: list[int], viewer: AbstractBaseUser | AnonymousUser
) -> dict[int, list[CustomerTagView]]:
    """The tags of a page of customers (already found through the viewer's scope), by name, in one query."""
    tags: dict[int, list[CustomerTagView]] = {}
    links = (
        CustomerTag.objects.visible_to(viewer)
        .filter(customer_id__in=customer_ids)
        .select_related("tag__group")
        .order_by("tag__group__sort_order", "tag__name")
    )
    for link in links:
        tags.setdefault(link.customer_id, []).append(
            CustomerTagView(
                code=link.tag.code,
                name=link.tag.name,
                color=link.tag.color,
                group=link.tag.group.name,
                source=link.source,
            )
        )
    return tags


@dataclass(frozen=True)
class Customer360:
    """Everything a member of staff sees on one customer's page or sidebar card."""

    profile: CustomerProfile
    aum_band: str
    tags: list[CustomerTagView]
    holdings: list[ProductHolding]
    timeline: list[TimelineEvent]


def customer_360(*, customer_no: str, viewer: AbstractBaseUser | AnonymousUser) -> Customer360:
    """The 360 view of a customer in the viewer's scope; raises Customer.DoesNotExist otherwise.

    A fixed handful of queries whatever the customer holds: the customer, tags, holdings, timeline.
    """
    customer = customer_profile_list(user=viewer).get(customer_no=customer_no)
    tags = [
        CustomerTagView(
            code=link.tag.code,
            name=link.tag.name,
            color=link.tag.color,
            group=link.tag.group.name,
            source=link.source,
        )
        for link in CustomerTag.objects.visible_to(viewer)
        .filter(customer=customer)
        .select_related("tag__group")
        .order_by("tag__group__sort_order", "tag__code")
    ]
    holdings = list(
        ProductHolding.objects.visible_to(viewer).filter(customer=customer).order_by("maturity_date", "product_code")
    )
    return Customer360(
        profile=customer_profile(customer=customer, viewer=viewer),
        aum_band=customer.aum_band,
        tags=tags,
        holdings=holdings,
        timeline=list(timeline_for_customer(customer_id=customer.pk, user=viewer, limit=20)),
    )


# --- Home page figures --------------------------------------------------------------------


def customer_count_by_owner(*, user: AbstractBaseUser | AnonymousUser) -> dict[int, int]:
    """Visible customers per owning RM (served by the (branch, owner) index); unowned ones are left out."""
    rows = (
        Customer.objects.visible_to(user)
        .filter(owner__isnull=False)
        .order_by()
        .values("owner_id")
        .annotate(customers=Count("id"))
        .values_list("owner_id", "customers")
    )
    return {int(owner): int(count) for owner, count in rows}


def _holdings_maturing(
    *, user: AbstractBaseUser | AnonymousUser, on: datetime.date, days: int
) -> QuerySet[ProductHolding]:
    return ProductHolding.objects.visible_to(user).filter(
        maturity_date__gte=on, maturity_date__lte=on + datetime.timedelta(days=days)
    )


@dataclass(frozen=True)
class MaturingHolding:
    customer_no: str
    name_masked: str
    owner_name: str | None
    product_name: str
    product_type: str
    amount: Decimal
    maturity_date: datetime.date


def holdings_maturing_list(
    *, user: AbstractBaseUser | AnonymousUser, on: datetime.date, days: int, limit: int
) -> list[MaturingHolding]:
    """The visible holdings maturing in the ``days`` after ``on``, soonest first, names masked."""
    holdings = (
        _holdings_maturing(user=user, on=on, days=days)
        .select_related("customer__owner")
        .only(
            "product_name",
            "product_type",
            "amount",
            "maturity_date",
            "customer__customer_no",
            "customer__name_cipher",
            "customer__owner__name",
        )
        .order_by("maturity_date", "id")[:limit]
    )
    return [
        MaturingHolding(
            customer_no=holding.customer.customer_no,
            name_masked=pii_masked(holding.customer.name_cipher, kind=PiiKind.NAME) or "",
            owner_name=holding.customer.owner.name if holding.customer.owner else None,
            product_name=holding.product_name,
            product_type=holding.get_product_type_display(),
            amount=holding.amount,
            maturity_date=holding.maturity_date,  # type: ignore[arg-type]  # filtered on, never null
        )
        for holding in holdings
    ]


def holdings_maturing_count(*, user: AbstractBaseUser | AnonymousUser, on: datetime.date, days: int) -> int:
    return _holdings_maturing(user=user, on=on, days=days).count()


def holdings_maturing_by_owner(
    *, user: AbstractBaseUser | AnonymousUser, on: datetime.date, days: int
) -> dict[int, int]:
    """Maturing visible holdings per owning RM of the customer."""
    rows = (
        _holdings_maturing(user=user, on=on, days=days)
        .filter(customer__owner__isnull=False)
        .order_by()
        .values("customer__owner_id")
        .annotate(holdings=Count("id"))
        .values_list("customer__owner_id", "holdings")
    )
    return {int(owner): int(count) for owner, count in rows}


@dataclass(frozen=True)
class TimelineItem:
    customer_no: str
    name_masked: str
    kind: str
    summary: str
    occurred_at: datetime.datetime


def timeline_recent_visible(*, user: AbstractBaseUser | AnonymousUser, limit: int) -> list[TimelineItem]:
    """The newest conversations, notes and campaign touches of any customer in the viewer's scope.

    Engagement only (imports and tag changes are many and say little on a home page), read on
    the partial ``customers_timeline_engagement`` index, which holds only those events. The
    newest are nearly always in the last few months: those months' partitions are read first,
    and the older ones only when they hold fewer than ``limit`` (an unbounded read sorts
    every engagement event in scope, of all years).
    """
    visible = (
        TimelineEvent.objects.visible_to(user)
        .filter(kind__in=ENGAGEMENT_KINDS)
        .select_related("customer")
        .only("kind", "summary", "occurred_at", "customer__customer_no", "customer__name_cipher")
        .order_by("-occurred_at", "-id")
    )
    since = timeline_recent_start()
    events = list(visible.filter(occurred_at__gte=since)[:limit])
    if len(events) < limit:
        # Everything read so far is newer than all of these: the list stays in order.
        events += visible.filter(occurred_at__lt=since)[: limit - len(events)]
    return [
        TimelineItem(
            customer_no=event.customer.customer_no,
            name_masked=pii_masked(event.customer.name_cipher, kind=PiiKind.NAME) or "",
            kind=event.get_kind_display(),
            summary=event.summary,
            occurred_at=event.occurred_at,
        )
        for event in events
    ]


# --- System lookups (no viewer) ------------------------------------------------------------
# Identity matching runs in the callback worker and behind the customer's own H5 page,
# where no member of staff's scope applies. These return (id, customer number) only,
# never a row shown to anyone; every display still goes through ``visible_to``.


def customer_keys_by_phone(phone: str, *, limit: int = 2) -> list[tuple[int, str]]:
    """(id, customer number) of customers with this phone, at most ``limit`` (2 shows ambiguity)."""
    return [
        (int(pk), str(number))
        for pk, number in Customer.objects.filter(phone_index=blind_index(phone, kind=PiiKind.PHONE))
        .order_by("id")
        .values_list("id", "customer_no")[:limit]
    ]


def customer_key_by_number_and_phone(customer_no: str, phone: str) -> tuple[int, str] | None:
    """The customer with this number *and* this phone, or None (which of the two is wrong is not said)."""
    row = (
        Customer.objects.filter(customer_no=customer_no.strip(), phone_index=blind_index(phone, kind=PiiKind.PHONE))
        .values_list("id", "customer_no")
        .first()
    )
    return (int(row[0]), str(row[1])) if row else None


def customers_by_ids_for_system(*, customer_ids: list[int]) -> QuerySet[Customer]:
    """Customers by id for work the bank does itself, with no viewer (a WeCom callback, a batch).

    Never for a page or an API: those read through ``customer_list_visible``.
    """
    return Customer.objects.filter(pk__in=customer_ids)


def customers_all_for_system() -> QuerySet[Customer]:
    """Every customer of the bank, for system work that applies a scope of its own (a campaign's subtree).

    Never for a page or an API: those read through ``customer_list_visible``.
    """
    return Customer.objects.all()
