"""Writing the customer timeline (客户动态): one event, or many in a bulk writer's own statement."""

from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, TimelineEvent, TimelineKind
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Role, Staff

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
