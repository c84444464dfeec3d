"""Reads of the outbox for the apps that submit calls and want to know how they ended."""

from __future__ import annotations

from django.db.models import QuerySet

from channels.models import OutboundCall


def outbox_calls_with_key_prefix(prefix: str) -> QuerySet[OutboundCall]:
    """The calls whose idempotency key starts with ``prefix`` (a campaign occurrence's chunks), by id."""
    return OutboundCall.objects.filter(idempotency_key__startswith=prefix).order_by("id")
