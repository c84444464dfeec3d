"""Celery tasks of the outbox; they take ids and are safe to run twice.

Each send runs on its operation's queue (``Operation.queue``): ``operation`` is passed
for the router (``channels.outbox.routing``) only.
"""

import logging

from celery import shared_task

from channels.models import OutboundCall
from channels.outbox.services import outbox_due_ids, outbox_enqueue, outbox_enqueue_if_unfinished, outbox_execute

logger = logging.getLogger(__name__)


@shared_task(name="channels.outbox_send")
def outbox_send_task(call_id: int, operation: str = "") -> str:
    try:
        call = outbox_execute(call_id)
    except OutboundCall.DoesNotExist:
        # Enqueued by a transaction that rolled back (or for another database): nothing to send.
        logger.warning("wecom outbox: call %s does not exist", call_id)
        return "missing"
    outbox_enqueue_if_unfinished(call)
    return str(call.status)


@shared_task(name="channels.outbox_send_batch")
def outbox_send_batch_task(call_ids: list[int], operation: str = "") -> int:
    """Send a batch of calls in turn (the gateway's rate limit paces them); returns how many finished."""
    finished = 0
    for call in OutboundCall.objects.filter(pk__in=call_ids).order_by("id").only("id"):
        sent = outbox_execute(call.pk)
        outbox_enqueue_if_unfinished(sent)
        finished += sent.is_final
    return finished


@shared_task(name="channels.outbox_sweep")
def outbox_sweep_task() -> int:
    """Beat, every minute: send whatever is due (a lost task message loses no call)."""
    due = outbox_due_ids()
    for call in OutboundCall.objects.filter(pk__in=due).only("id", "operation"):
        outbox_enqueue(call)
    return len(due)
