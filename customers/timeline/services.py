"""Writing the customer timeline (客户动态). Bulk writers insert events in their own SQL."""

from typing import Any

from django.utils import timezone

from customers.models import Customer, TimelineEvent, TimelineKind
from scrm.org.models import Staff


def timeline_record(
    *,
    customer: Customer,
    kind: TimelineKind,
    summary: str,
    actor: Staff | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """One event. ``data`` must hold no PII: the timeline is shown to everyone in scope."""
    return TimelineEvent.objects.create(
        customer=customer, kind=kind, occurred_at=timezone.now(), summary=summary[:200], actor=actor, data=data or {}
    )
