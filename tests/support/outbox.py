"""Sending what the outbox holds, in the test's own process, as the dispatch workers would."""

from channels.models import OutboundCall
from channels.outbox.services import outbox_execute


def outbox_drain() -> None:
    """Execute every call not yet finished, once each, oldest first."""
    for call in OutboundCall.objects.filter(finished_at__isnull=True).order_by("id"):
        outbox_execute(call.pk)
