"""Writing the customer timeline (客户动态): one event, or many in a bulk writer's own statement."""

from typing import Any

from django.db import connection
from django.utils import timezone

from customers.models import Customer, TimelineEvent, TimelineKind
from scrm.org.models import Staff

# The columns a bulk writer's SELECT yields, in this order.
TIMELINE_COLUMNS = ("customer_id", "kind", "occurred_at", "actor_id", "summary", "data")


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


def timeline_insert_sql(select: str) -> str:
    """``INSERT`` of the events that ``select`` yields, for bulk writers that record them in the same statement.

    ``select`` produces the columns of ``TIMELINE_COLUMNS`` in that order (summary at most
    200 characters, data without PII); the result may stand as a CTE of a larger statement,
    so that a million changes and their events are written in one pass.
    """
    table = connection.ops.quote_name(TimelineEvent._meta.db_table)
    return f"INSERT INTO {table} ({', '.join(TIMELINE_COLUMNS)}) {select}"
