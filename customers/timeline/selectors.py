"""Reading a customer's timeline, newest first, through the viewer's scope; and the table's monthly partitions."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from customers.models import TimelineEvent, TimelineKind

# How many months (this one and those before it) a read of the newest events looks at first.
RECENT_MONTHS = 3


def timeline_recent_start(*, today: datetime.date | None = None) -> datetime.datetime:
    """The first moment of the RECENT_MONTHS window: midnight on the first of a China month.

    The table is partitioned by month; a read bounded by this is pruned to the window's
    partitions (and those created ahead, and DEFAULT) instead of every month's.
    """
    today = today or timezone.localdate()
    index = today.year * 12 + today.month - 1 - (RECENT_MONTHS - 1)
    return timezone.make_aware(datetime.datetime(index // 12, index % 12 + 1, 1), timezone.get_default_timezone())


def timeline_for_customer(
    *, customer_id: int, user: AbstractBaseUser | AnonymousUser, limit: int = 50
) -> QuerySet[TimelineEvent]:
    """Served by each partition's (customer, occurred_at desc, id desc) index, merged without a sort.

    Not bounded to recent months: most customers have fewer than ``limit`` events in any few
    months, and the second query that would then need cost more than the partitions it
    spares (docs/scaling.md).
    """
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


# The partition that catches an event dated outside every month's (migration 0013).
TIMELINE_DEFAULT_PARTITION = f"{TimelineEvent._meta.db_table}_default"


def timeline_partition_name(year: int, month: int) -> str:
    """The name migration 0013's function gives a month's partition."""
    return f"{TimelineEvent._meta.db_table}_y{year:04d}m{month:02d}"


@dataclass(frozen=True)
class TimelinePartition:
    name: str
    bounds: str  # as PostgreSQL states them: "FOR VALUES FROM (…) TO (…)" or "DEFAULT"
    rows: int  # the planner's estimate (reltuples), -1 before the first ANALYZE


def timeline_partitions() -> list[TimelinePartition]:
    """Every partition of the timeline, in the order of their ranges (DEFAULT last)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname, pg_get_expr(child.relpartbound, child.oid), child.reltuples::bigint
            FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE pg_inherits.inhparent = %s::regclass
            """,
            [TimelineEvent._meta.db_table],
        )
        rows = cursor.fetchall()
    # Month partitions sort by name; the history one (everything before) first, DEFAULT last.
    rank = {TIMELINE_DEFAULT_PARTITION: 2, f"{TimelineEvent._meta.db_table}_history": 0}
    rows.sort(key=lambda row: (rank.get(row[0], 1), row[0]))
    return [TimelinePartition(name=name, bounds=bounds, rows=int(count)) for name, bounds, count in rows]


def timeline_default_months() -> list[tuple[int, int]]:
    """The (year, month) of the events waiting in the DEFAULT partition, China months (TIME_ZONE)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT extract(year FROM local)::int, extract(month FROM local)::int "  # noqa: S608 - a constant
            f"FROM (SELECT occurred_at AT TIME ZONE %s AS local FROM {TIMELINE_DEFAULT_PARTITION}) AS events "
            "ORDER BY 1, 2",
            [settings.TIME_ZONE],
        )
        return [(int(year), int(month)) for year, month in cursor.fetchall()]
