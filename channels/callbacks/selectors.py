"""Reads over the callback inbox (operator and worker side; the inbox holds no scoped data)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from channels.models import CallbackInbox, InboxStatus


def callback_inbox_stale_ids(
    *, received_before: datetime, failed_before: datetime, max_attempts: int, limit: int = 1000
) -> list[int]:
    """Rows whose task message seems lost: still ``received`` since before ``received_before``,
    or ``failed`` under the attempt cap since before ``failed_before`` (their retry chain should be over).
    """
    stale = Q(status=InboxStatus.RECEIVED, received_at__lt=received_before) | Q(
        status=InboxStatus.FAILED, attempts__lt=max_attempts, received_at__lt=failed_before
    )
    return list(CallbackInbox.objects.filter(stale).order_by("id").values_list("id", flat=True)[:limit])
