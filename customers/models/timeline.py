"""Timeline."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models.customer import Customer
from scrm.org.models import Staff
from scrm.org.scoping import ScopedQuerySet


class TimelineKind(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    UPDATED = "updated", _("Updated")
    TAGGED = "tagged", _("Tagged")
    UNTAGGED = "untagged", _("Untagged")
    CONTACTED = "contacted", _("Contacted")
    WECOM_ADDED = "wecom_added", _("Added on WeCom")
    WECOM_DELETED = "wecom_deleted", _("Removed on WeCom")
    CAMPAIGN_SENT = "campaign_sent", _("Campaign sent")
    TASK_DONE = "task_done", _("Task done")
    TRANSFERRED = "transferred", _("Transferred")
    NOTE = "note", _("Note")
    CONSENT_CHANGED = "consent_changed", _("Consent changed")


# Conversations with the customer and campaign touches (what churn features count).
ENGAGEMENT_KINDS = ("contacted", "note", "campaign_sent")


class TimelineEventQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"


class TimelineEvent(models.Model):
    """客户动态: everything that happens to a customer, newest first.

    Designed to grow large: rows are only inserted, and the (customer, occurred_at, id)
    index serves the one hot read — a customer's recent events — without a sort.
    """

    # No database constraints on the customer and the actor: bulk writers (an import, a tag
    # rule run) insert up to millions of events in one statement whose ids come from the
    # rows they have just written, and a deferred check per row and key cost an import's
    # commit as much as writing the events. Customers and staff are never deleted by SQL;
    # the ORM still cascades, sets null and protects.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="timeline", db_index=False, db_constraint=False
    )
    kind = models.CharField(_("kind"), max_length=24, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    actor = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False, db_constraint=False
    )
    summary = models.CharField(_("summary"), max_length=200)
    data = models.JSONField(default=dict)

    objects = TimelineEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="customers_timeline_recent"),
            # Churn features read a customer range's conversations and campaign touches only:
            # a few rows among the many imports and tag changes.
            models.Index(
                fields=["customer", "occurred_at"],
                name="customers_timeline_engagement",
                condition=models.Q(kind__in=ENGAGEMENT_KINDS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary}"
