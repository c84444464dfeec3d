"""Reading a customer's timeline, newest first, through the viewer's scope."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from customers.models import TimelineEvent, TimelineKind


def timeline_for_customer(
    *, customer_id: int, user: AbstractBaseUser | AnonymousUser, limit: int = 50
) -> QuerySet[TimelineEvent]:
    """Served by the (customer, occurred_at desc, id desc) index without a sort."""
    return (
        TimelineEvent.objects.visible_to(user)
        .filter(customer_id=customer_id)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )


def notes_for_customer(
    *, customer_id: int, user: AbstractBaseUser | AnonymousUser, limit: int = 20
) -> QuerySet[TimelineEvent]:
    """The customer's notes, newest first (from the sidebar or the customer's page)."""
    return (
        TimelineEvent.objects.visible_to(user)
        .filter(customer_id=customer_id, kind=TimelineKind.NOTE)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )
