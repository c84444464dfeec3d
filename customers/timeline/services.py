"""Writing the customer timeline (客户动态): one event, or many in a bulk writer's own statement.

The table is partitioned by month on ``occurred_at`` (migration 0013); ``timeline_partitions_ensure``
keeps the months ahead created and empties the DEFAULT partition into months of their own.
"""

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, TimelineEvent, TimelineKind
from customers.timeline.selectors import timeline_default_months, timeline_partition_name
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Role, Staff

logger = logging.getLogger(__name__)

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


NOTE_MAX_LENGTH = 200  # a timeline summary
# Who may write notes on customers they can see (compliance reads only).
NOTE_WRITER_ROLES = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})


@transaction.atomic
def customer_note_add(*, customer: Customer, text: str, actor: Staff, source: str) -> TimelineEvent:
    """A note on the customer's timeline (客户动态), signed by the member; ``source`` says where it was written.

    The caller has found ``customer`` through the member's scope; the sidebar and the
    customer's page both write notes here.
    """
    if actor.role not in NOTE_WRITER_ROLES:
        raise ApplicationError(_("Your role reads notes but does not write them."), extra={"field": "text"})
    text = text_require_plain(" ".join(text.split()), field="text")
    if not text:
        raise ApplicationError(_("Write the note first."), extra={"field": "text"})
    if len(text) > NOTE_MAX_LENGTH:
        raise ApplicationError(
            _("A note holds at most %(limit)s characters.") % {"limit": NOTE_MAX_LENGTH}, extra={"field": "text"}
        )
    return timeline_record(
        customer=customer, kind=TimelineKind.NOTE, summary=text, actor=actor, data={"source": source}
    )


def timeline_insert_sql(select: str) -> str:
    """``INSERT`` of the events that ``select`` yields, for bulk writers that record them in the same statement.

    ``select`` produces the columns of ``TIMELINE_COLUMNS`` in that order (summary at most
    200 characters, data without PII); the result may stand as a CTE of a larger statement,
    so that a million changes and their events are written in one pass.
    """
    table = connection.ops.quote_name(TimelineEvent._meta.db_table)
    return f"INSERT INTO {table} ({', '.join(TIMELINE_COLUMNS)}) {select}"


# Months created ahead of the one now, so that an event never waits in DEFAULT for want of one.
PARTITION_MONTHS_AHEAD = 3
# The partition function takes years in this range (migration 0013); an event dated outside
# it (a broken extract) stays in DEFAULT rather than failing the upkeep.
PARTITION_YEARS = range(2000, 10000)


def _month_add(month: tuple[int, int], months: int) -> tuple[int, int]:
    index = month[0] * 12 + (month[1] - 1) + months
    return index // 12, index % 12 + 1


def _months(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    months = []
    while first <= last:
        months.append(first)
        first = _month_add(first, 1)
    return months


def timeline_partitions_ensure(*, today: datetime.date | None = None, since: datetime.date | None = None) -> list[str]:
    """Monthly partitions from ``since``'s month (this month when None) to PARTITION_MONTHS_AHEAD ahead,
    and one for every month whose events wait in DEFAULT, those events moved into it.

    Idempotent: a month that has its partition, or lies in the history partition of a
    converted table, is left alone. Months are China months (TIME_ZONE). Returns the
    partitions created, oldest first.
    """
    today = today or timezone.localdate()
    this_month = (today.year, today.month)
    first = (since.year, since.month) if since else this_month
    wanted = set(_months(min(first, this_month), _month_add(this_month, PARTITION_MONTHS_AHEAD)))
    wanted |= {month for month in timeline_default_months() if month[0] in PARTITION_YEARS}
    created = []
    for year, month in sorted(wanted):
        # A month at a time: its own transaction (or a savepoint of the caller's).
        with transaction.atomic(), connection.cursor() as cursor:
            # Deferred foreign-key checks of events written earlier in this transaction must
            # run before PostgreSQL lets the table be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SELECT customers_timeline_partition_create(%s, %s, %s)", [year, month, settings.TIME_ZONE])
            if cursor.fetchone()[0]:
                created.append(timeline_partition_name(year, month))
    if created:
        logger.info("timeline partitions created=%s first=%s last=%s", len(created), created[0], created[-1])
    return created
