"""Transfers on WeCom."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from channels.models.contacts import ExternalContact
from customers.models import CustomerTransfer


class ContactTransferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the customer")
    DONE = "done", _("Taken over")
    FAILED = "failed", _("Failed")


class ContactTransfer(models.Model):
    """The WeCom half of a customer transfer: one relation moved from one member to another."""

    customer_transfer = models.ForeignKey(CustomerTransfer, on_delete=models.CASCADE, related_name="wecom_moves")
    contact = models.ForeignKey(ExternalContact, on_delete=models.CASCADE, related_name="transfers")
    handover_userid = models.CharField(max_length=64)
    takeover_userid = models.CharField(max_length=64)
    # 在职转接 for a member still at the bank, 离职继承 for one who left.
    resigned = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=ContactTransferStatus.choices, default=ContactTransferStatus.PENDING
    )
    # WeCom's transfer_result status: 1 done, 2 waiting, 3 refused, 4 limit reached, 5 none.
    wecom_status = models.PositiveSmallIntegerField(null=True, blank=True)
    failure = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.handover_userid} -> {self.takeover_userid}: {self.contact_id}"
