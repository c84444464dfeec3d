"""The callback inbox and the outbox every WeCom call passes through."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.fields.json import KT
from django.utils.translation import gettext_lazy as _


class InboxStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")
    # Genuine, acknowledged, and of a type the product does not process (kept for the record).
    NOT_HANDLED = "not_handled", _("Not handled")


class CallbackInbox(models.Model):
    """Every verified callback, stored before it is acknowledged.

    ``digest`` is the SHA-256 of the whole decrypted event: WeCom's retries of one
    event collapse onto one row, while two distinct events never do.
    """

    digest = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    change_type = models.CharField(max_length=64, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=InboxStatus.choices, default=InboxStatus.RECEIVED)
    deliveries = models.PositiveIntegerField(default=1)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.event}/{self.change_type} #{self.pk}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_FLIGHT = "in_flight", _("Sending")
    # Sent, but no answer came back: WeCom is asked before anything is sent again.
    UNKNOWN = "unknown", _("Outcome unknown")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class OutboundCall(models.Model):
    """One WeCom call that changes something, sent at most once per idempotency key."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    operation = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("WeCom call")
        verbose_name_plural = _("WeCom calls")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # The tag sync asks which relations still have a mark_tag on its way.
            models.Index(
                KT("payload__external_userid"),
                name="channels_unfinished_mark_tag",
                condition=models.Q(operation="mark_tag", finished_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in (OutboxStatus.SUCCEEDED, OutboxStatus.FAILED)

    def result_value(self, key: str, default: Any = None) -> Any:
        return (self.result or {}).get(key, default)
