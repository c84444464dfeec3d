"""Segments."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models.customer import Customer
from scrm.org.models import Staff


class Segment(models.Model):
    """客群: a saved audience — tags (any / all / none) plus attribute conditions."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # {"tags_any": [...codes], "tags_all": [...], "tags_none": [...], "rule": {rule language} | null}
    definition = models.JSONField(_("definition"))
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class SegmentSnapshot(models.Model):
    """The segment's members frozen at one moment, e.g. a campaign's audience."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    member_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"snapshot #{self.pk} of segment {self.segment_id}"


class SegmentSnapshotMember(models.Model):
    snapshot = models.ForeignKey(SegmentSnapshot, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "customer"], name="customers_snapshotmember_unique")]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.customer_id}"
