"""Reads of customer data. Every query starts from ``Customer.objects.visible_to``.

A test (tests/test_scoping_enforced.py) fails if code outside this module and
``customers.services`` touches the customer tables any other way.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from customers.models import Customer, CustomerTag, ProductHolding, TimelineEvent
from customers.pii import pii_can_reveal, pii_masked
from customers.timeline.selectors import timeline_for_customer
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
