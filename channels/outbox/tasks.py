"""Celery tasks of the outbox; they take ids and are safe to run twice."""

from celery import shared_task

from channels.models import OutboxStatus
from channels.outbox.services import outbox_due_ids, outbox_execute


@shared_task(name="channels.outbox_send")
def outbox_send(call_id: int) -> str:
    call = outbox_execute(call_id)
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
