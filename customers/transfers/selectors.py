"""Reads for transfers: which customers a transfer would move, and the transfers a viewer may see."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerTransfer, TransferKind
from customers.search.selectors import CustomerSearchFilters, customer_search
from customers.selectors import customer_list_visible
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Staff, StaffStatus

RECENT_TRANSFERS = 50


def transfer_outlet_message(*, count: int, to_staff: Staff) -> str:
    """Why customers booked elsewhere cannot go to ``to_staff`` (the import contract's rule too)."""
    return _(
        "%(count)d of the selected customers are booked at another outlet than %(rm)s's (%(branch)s). "
        "A customer's RM works at the customer's outlet: choose an RM of that outlet."
    ) % {"count": count, "rm": to_staff.name, "branch": to_staff.branch.name}


def transfer_selection(
    *,
    user: AbstractBaseUser | AnonymousUser,
    customer_nos: Sequence[str] | None = None,
    from_staff: Staff | None = None,
    filters: CustomerSearchFilters | None = None,
) -> QuerySet[Customer]:
    """The customers in the user's scope named by number, owned by one RM, or matching a search.

    Exactly one of the three selects; customers outside the user's scope are never in it.
    """
    given = [choice is not None for choice in (customer_nos, from_staff, filters)]
    if given.count(True) != 1:
        raise ApplicationError(
            _("Select the customers by customer numbers, by the RM they belong to, or by filters: exactly one."),
            {"field": "selection"},
        )
    if filters is not None:
        return customer_search(user=user, filters=filters)
    customers = customer_list_visible(user=user)
    if from_staff is not None:
        return customers.filter(owner=from_staff)
    return customers.filter(customer_no__in=list(customer_nos or ()))


def customer_transfer_list_recent(
    *, user: AbstractBaseUser | AnonymousUser, limit: int = RECENT_TRANSFERS
) -> list[CustomerTransfer]:
    """The latest transfers of customers the user may see, newest first; one query."""
    transfers = CustomerTransfer.objects.visible_to(user).select_related(
        "customer", "from_staff", "to_staff", "created_by"
    )
    return list(transfers.order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class TransferPreview:
    """What a transfer would do, for the confirmation step: nothing is written."""

    selected: int
    movable: int
    elsewhere: int
    from_names: list[str]

    @property
    def skipped(self) -> int:
        return self.selected - self.movable


def transfer_preview(
    *, customers: QuerySet[Customer], to_staff: Staff, kind: TransferKind, user: AbstractBaseUser | AnonymousUser
) -> TransferPreview:
    """How many of the selected customers the transfer would move (the service's own rules),
    how many are booked at another outlet (which makes the service refuse), and whose they are."""
    scoped = customers & customer_list_visible(user=user)
    movable = scoped.exclude(owner=to_staff)
    if kind == TransferKind.REASSIGN:
        movable = movable.filter(owner__status=StaffStatus.ACTIVE)
    else:
        movable = movable.filter(Q(owner__status=StaffStatus.DEPARTED) | Q(owner__isnull=True))
    counts = scoped.aggregate(selected=Count("id"), elsewhere=Count("id", filter=~Q(branch_id=to_staff.branch_id)))
    from_names = list(
        movable.filter(owner__isnull=False).order_by("owner__name").values_list("owner__name", flat=True).distinct()[:6]
    )
    return TransferPreview(
        selected=counts["selected"], movable=movable.count(), elsewhere=counts["elsewhere"], from_names=from_names
    )


@dataclass(frozen=True)
class TransferBatchSummary:
    """One transfer request as a person reads it: how many, from whom to whom, when, by whom."""

    batch_id: uuid.UUID
    count: int
    kind_label: str
    from_names: list[str]
    to_name: str
    to_branch_name: str
    by_name: str
    at: datetime.datetime


def transfer_batch_summary(
    *, user: AbstractBaseUser | AnonymousUser, batch_id: uuid.UUID
) -> TransferBatchSummary | None:
    rows = CustomerTransfer.objects.visible_to(user).filter(batch_id=batch_id)
    first = rows.select_related("to_staff__branch", "created_by").order_by("id").first()
    if first is None:
        return None
    from_names = list(
        rows.filter(from_staff__isnull=False)
        .order_by("from_staff__name")
        .values_list("from_staff__name", flat=True)
        .distinct()[:6]
    )
    return TransferBatchSummary(
        batch_id=batch_id,
        count=rows.count(),
        kind_label=str(TransferKind(first.kind).label),
        from_names=from_names,
        to_name=first.to_staff.name,
        to_branch_name=first.to_staff.branch.name,
        by_name=first.created_by.name,
        at=first.created_at,
    )


def customer_transfer_list_batch(
    *, user: AbstractBaseUser | AnonymousUser, batch_id: uuid.UUID
) -> list[CustomerTransfer]:
    transfers = CustomerTransfer.objects.visible_to(user).filter(batch_id=batch_id)
    return list(
        transfers.select_related("customer", "from_staff", "to_staff", "created_by").order_by("id")[:RECENT_TRANSFERS]
    )


def customer_counts_by_owner(*, user: AbstractBaseUser | AnonymousUser, staff_ids: list[int]) -> dict[int, int]:
    """How many customers in the viewer's scope each member of staff owns (absent: none)."""
    rows = (
        customer_list_visible(user=user)
        .filter(owner_id__in=staff_ids)
        .order_by()
        .values_list("owner_id")
        .annotate(count=Count("id"))
    )
    return dict(rows)


def customer_counts_by_branch(*, user: AbstractBaseUser | AnonymousUser, branch_ids: list[int]) -> dict[int, int]:
    """How many customers in the viewer's scope are booked at each branch (absent: none)."""
    rows = (
        customer_list_visible(user=user)
        .filter(branch_id__in=branch_ids)
        .order_by()
        .values_list("branch_id")
        .annotate(count=Count("id"))
    )
    return dict(rows)
