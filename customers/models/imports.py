"""Imports."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models.tags import JobStatus
from scrm.org.models import Staff


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    HOLDINGS = "holdings", _("Holdings")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("Reject the whole file on any error")
    VALID_ROWS = "valid_rows", _("Import the valid rows")


class ImportJob(models.Model):
    """One upload of a core-banking extract, processed on the bulk queue."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=ImportMode.choices)
    dry_run = models.BooleanField(_("dry run"), default=False)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total_rows = models.PositiveBigIntegerField(default=0)
    processed_rows = models.PositiveBigIntegerField(default=0)
    created_count = models.PositiveBigIntegerField(default=0)
    updated_count = models.PositiveBigIntegerField(default=0)
    error_count = models.PositiveBigIntegerField(default=0)
    error_report = models.FileField(upload_to="imports/errors/%Y/%m/", blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"
