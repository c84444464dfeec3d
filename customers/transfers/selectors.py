"""Reads for transfers: which customers a transfer would move, and the transfers a viewer may see."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerTransfer
from customers.search.selectors import CustomerSearchFilters, customer_search
from customers.selectors import customer_list_visible
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Staff

RECENT_TRANSFERS = 50


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
