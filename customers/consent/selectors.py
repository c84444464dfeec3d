"""Reads of consent: the current flags, the history, and the set-based filter audiences use."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from customers.models import CONSENT_FLAGS, ConsentPurpose, ConsentRecord, Customer
from customers.pii import pii_masked
from customers.selectors import customer_list_visible, customers_by_ids_for_system
from scrm.core.exceptions import ApplicationError
from scrm.pii import PiiKind

CONSENT_HISTORY_LIMIT = 100


def _flag(purpose: str) -> str:
    try:
        return CONSENT_FLAGS[purpose]
    except KeyError as error:
        raise ApplicationError(f"Unknown consent purpose {purpose!r}", extra={"field": "purpose"}) from error


def consent_condition(*, purpose: str) -> Q:
    """``Q`` for "has consent for ``purpose``": a plain column test, so it stays one pass over
    the customer table however it is combined (segments, audiences, ``INSERT … SELECT``)."""
    return Q(**{_flag(purpose): True})


def consent_sql_condition(*, purpose: str, alias: str = "c") -> str:
    """The same condition for hand-written SQL over the customer row aliased ``alias``."""
    if not alias.isidentifier():
        raise ApplicationError(f"Not an SQL alias: {alias!r}")
    return f"{alias}.{_flag(purpose)}"


def customers_with_consent(customers: QuerySet[Customer], *, purpose: str) -> QuerySet[Customer]:
    """``customers`` (already scoped by the caller) narrowed to those who consent to ``purpose``."""
    return customers.filter(consent_condition(purpose=purpose))


@dataclass(frozen=True)
class ConsentFlag:
    purpose: str
    label: str
    granted: bool


@dataclass(frozen=True)
class ConsentOverview:
    customer_id: int
    customer_no: str
    current: list[ConsentFlag]
    history: list[ConsentRecord]


def consent_flags_of(customer: Customer) -> list[ConsentFlag]:
    return [
        ConsentFlag(
            purpose=purpose.value, label=str(purpose.label), granted=bool(getattr(customer, CONSENT_FLAGS[purpose]))
        )
        for purpose in ConsentPurpose
    ]


def consent_overview(*, customer_no: str, viewer: AbstractBaseUser | AnonymousUser) -> ConsentOverview:
    """The current flags and the newest ``CONSENT_HISTORY_LIMIT`` changes of a customer in the
    viewer's scope; raises Customer.DoesNotExist otherwise. Two queries."""
    customer = customer_list_visible(user=viewer).get(customer_no=customer_no)
    history = list(
        ConsentRecord.objects.visible_to(viewer)
        .filter(customer=customer)
        .select_related("actor")
        .order_by("-recorded_at", "-id")[:CONSENT_HISTORY_LIMIT]
    )
    return ConsentOverview(
        customer_id=customer.pk, customer_no=customer.customer_no, current=consent_flags_of(customer), history=history
    )


@dataclass(frozen=True)
class ConsentPreference:
    """What the customer's own preference page shows: their masked name and the marketing flag, no more."""

    customer_id: int
    name_masked: str
    marketing_consent: bool


def consent_preference_for_customer(*, customer_id: int) -> ConsentPreference | None:
    """For the customer's own page (no member of staff's scope applies); None when gone."""
    customer = (
        customers_by_ids_for_system(customer_ids=[customer_id]).only("id", "name_cipher", "marketing_consent").first()
    )
    if customer is None:
        return None
    return ConsentPreference(
        customer_id=customer.pk,
        name_masked=pii_masked(customer.name_cipher, kind=PiiKind.NAME) or "",
        marketing_consent=customer.marketing_consent,
    )
