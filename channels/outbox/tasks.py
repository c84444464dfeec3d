"""Celery tasks of the outbox; they take ids and are safe to run twice."""

import logging

from celery import shared_task

from channels.models import OutboundCall, OutboxStatus
from channels.outbox.services import outbox_due_ids, outbox_execute


@shared_task(name="channels.outbox_send")
def outbox_send(call_id: int) -> str:
    try:
        call = outbox_execute(call_id)
    except OutboundCall.DoesNotExist:
        # Enqueued by a transaction that rolled back (or for another database): nothing to send.
        logging.getLogger(__name__).warning("wecom outbox: call %s does not exist", call_id)
        return "missing"
    if call.status in (OutboxStatus.PENDING, OutboxStatus.UNKNOWN) and call.next_attempt_at is not None:
        outbox_send.apply_async((call_id,), eta=call.next_attempt_at)
    return str(call.status)


@shared_task(name="channels.outbox_sweep")
def outbox_sweep() -> int:
    """Beat, every minute: send whatever is due (a lost task message loses no call)."""
    due = outbox_due_ids()
    for call_id in due:
        outbox_send.delay(call_id)
    return len(due)
