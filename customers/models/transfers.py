"""Transfers."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models.customer import Customer
from scrm.org.models import Staff
from scrm.org.scoping import ScopedQuerySet


class TransferKind(models.TextChoices):
    REASSIGN = "reassign", _("Reassignment (在职转接)")
    INHERIT = "inherit", _("Inheritance (离职继承)")


class TransferStatus(models.TextChoices):
    DONE = "done", _("Done")
    # The WeCom side (transfer_customer) is pending; the channels app updates it.
    WECOM_PENDING = "wecom_pending", _("Waiting for WeCom")
    WECOM_FAILED = "wecom_failed", _("WeCom refused")


class CustomerTransferQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"


class CustomerTransfer(models.Model):
    """One customer moved from one RM to another, with the reason and who did it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="transfers")
    # All customers moved by one request share a batch id; the audit row names the batch.
    batch_id = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TransferKind.choices)
    from_staff = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")
    to_staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=16, choices=TransferStatus.choices)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerTransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer transfer")
        verbose_name_plural = _("customer transfers")
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.customer_id} -> {self.to_staff_id}"
