"""Sending WeCom calls through the outbox: at most once per key, never lost.

A call is claimed (committed as ``in_flight``) before the request leaves, and its
outcome is committed after. A worker that dies in between leaves the row in flight;
whoever picks it up later treats it as an unknown outcome and asks WeCom first.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channels.models import OutboundCall, OutboxStatus
from channels.outbox.operations import OPERATIONS
from channels.wecom.errors import WeComError, WeComOutcomeUnknownError, WeComTransientError
from channels.wecom.gateway import wecom

logger = logging.getLogger(__name__)


def _lease() -> timedelta:
    """How long a claimed call may stay in flight before it counts as abandoned."""
    return timedelta(seconds=settings.WECOM_OUTBOX_LEASE_SECONDS)


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.WECOM_RETRY_BACKOFF_SECONDS * 2**attempts, 300))


def _check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown WeCom operation {operation!r}")


def outbox_enqueue(call: OutboundCall) -> None:
    """Hand the call to a worker on its operation's queue, at its next attempt if one is set."""
    from channels.outbox.tasks import outbox_send_task  # the tasks module imports this one

    # The operation names the queue (channels.outbox.routing).
    outbox_send_task.apply_async((call.pk,), {"operation": call.operation}, eta=call.next_attempt_at)


def outbox_enqueue_if_unfinished(call: OutboundCall) -> None:
    """The one rule for a call that could not finish now: a worker tries again when it is due."""
    if not call.is_final and call.next_attempt_at is not None:
        outbox_enqueue(call)


def outbox_submit(*, key: str, operation: str, payload: dict[str, Any], send: bool = True) -> OutboundCall:
    """Record a call once per ``key``; with ``send``, have a worker send it after the commit.

    Submitting the same key again returns the first call unchanged: a retried task or a
    duplicate event cannot queue a second send.
    """
    _check_operation(operation)
    call, created = OutboundCall.objects.get_or_create(
        idempotency_key=key, defaults={"operation": operation, "payload": payload}
    )
    if created and send:
        transaction.on_commit(partial(outbox_enqueue, call))
    return call


def outbox_submit_many(*, operation: str, payloads: dict[str, dict[str, Any]], batch_size: int = 500) -> list[int]:
    """Record many calls of one operation (idempotency key → payload) in one statement; their ids.

    For bulk work (the tag sync of a rule run): after the commit, one task sends each
    ``batch_size`` calls in turn, instead of one task message per call. A key already
    recorded keeps its first call.
    """
    _check_operation(operation)
    if not payloads:
        return []
    OutboundCall.objects.bulk_create(
        [OutboundCall(idempotency_key=key, operation=operation, payload=payload) for key, payload in payloads.items()],
        ignore_conflicts=True,
    )
    ids = list(
        OutboundCall.objects.filter(idempotency_key__in=list(payloads), finished_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    batches = [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]
    transaction.on_commit(partial(_enqueue_batches, batches, operation=operation))
    return ids


def _enqueue_batches(batches: list[list[int]], *, operation: str) -> None:
    from channels.outbox.tasks import outbox_send_batch_task

    for batch in batches:
        outbox_send_batch_task.apply_async((batch,), {"operation": operation})


def outbox_send_now(*, key: str, operation: str, payload: dict[str, Any]) -> OutboundCall:
    """Submit the call and send it in this process; if it cannot finish now, a worker retries it.

    For callers that need WeCom's answer (a welcome inside its 20 s, a contact way's QR
    code) or already run in a worker. A key already sent returns that call untouched.
    """
    call = outbox_submit(key=key, operation=operation, payload=payload, send=False)
    if call.is_final:
        return call
    call = outbox_execute(call.pk)
    outbox_enqueue_if_unfinished(call)
    return call


def outbox_send_after_commit(call_id: int) -> None:
    """Send the call in this process once the transaction commits; a worker retries if it must."""

    def send() -> None:
        outbox_enqueue_if_unfinished(outbox_execute(call_id))

    transaction.on_commit(send)


def _claim(call_id: int) -> tuple[OutboundCall, bool] | None:
    """Mark the call in flight; returns it and whether an earlier attempt's outcome is unknown."""
    now = timezone.now()
    with transaction.atomic():
        # Waits out a peer's claim (one short UPDATE) rather than skipping the row: skipped,
        # the call would read as still pending while the peer is already sending it.
        call = (
            OutboundCall.objects.select_for_update()
            .filter(pk=call_id)
            .filter(
                Q(status__in=[OutboxStatus.PENDING, OutboxStatus.UNKNOWN])
                | Q(status=OutboxStatus.IN_FLIGHT, updated_at__lt=now - _lease())
            )
            .first()
        )
        if call is None:
            return None
        uncertain = call.status != OutboxStatus.PENDING
        call.status = OutboxStatus.IN_FLIGHT
        call.attempts += 1
        call.save(update_fields=["status", "attempts", "updated_at"])
    return call, uncertain


def _finish(
    call: OutboundCall, *, status: str, result: dict[str, Any] | None = None, error: WeComError | None = None
) -> None:
    call.status = status
    call.result = result
    call.error_code = error.errcode if error else None
    call.error_message = str(error) if error else ""
    final = status in (OutboxStatus.SUCCEEDED, OutboxStatus.FAILED)
    call.finished_at = timezone.now() if final else None
    call.next_attempt_at = None if final else timezone.now() + _retry_delay(call.attempts)
    call.save(
        update_fields=[
            "status",
            "result",
            "error_code",
            "error_message",
            "finished_at",
            "next_attempt_at",
            "updated_at",
        ]
    )


def outbox_execute(call_id: int) -> OutboundCall:
    """Send the call now if it is due; return it as it stands afterwards.

    Safe to run any number of times and concurrently: only one caller claims the call,
    and a finished call is returned as it is.
    """
    claimed = _claim(call_id)
    if claimed is None:
        return OutboundCall.objects.get(pk=call_id)
    call, uncertain = claimed
    operation = OPERATIONS[call.operation]
    gateway = wecom()
    try:
        if uncertain and operation.verify is not None:
            verified = operation.verify(gateway, call.payload)
            if verified is not None:
                _finish(call, status=OutboxStatus.SUCCEEDED, result=verified)
                return call
        result = operation.perform(gateway, call.payload)
    except WeComOutcomeUnknownError as error:
        logger.warning("wecom outbox %s: outcome unknown (%s)", call.idempotency_key, error)
        _finish(call, status=OutboxStatus.UNKNOWN, error=error)
    except WeComTransientError as error:
        _finish(call, status=OutboxStatus.PENDING, error=error)
    except WeComError as error:
        if uncertain and error.errcode in operation.applied_errcodes:
            _finish(call, status=OutboxStatus.SUCCEEDED, result={"already_applied": error.errcode})
        else:
            logger.warning("wecom outbox %s failed: %s", call.idempotency_key, error)
            _finish(call, status=OutboxStatus.FAILED, error=error)
    else:
        _finish(call, status=OutboxStatus.SUCCEEDED, result=result)
    return call


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Calls a sweep should send again: due retries, unknown outcomes, abandoned claims."""
    now = timezone.now()
    due = Q(status__in=[OutboxStatus.PENDING, OutboxStatus.UNKNOWN]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(status=OutboxStatus.IN_FLIGHT, updated_at__lt=now - _lease())
    return list(OutboundCall.objects.filter(due | abandoned).order_by("id").values_list("id", flat=True)[:limit])
