"""A campaign's audience, frozen when an occurrence is planned: one row per customer it reached or held out.

The recipient rows are the campaign's memory of whom it touched: the frequency cap and
WeCom's receive quota count them, results land on them, and conversions are attributed
to them. The customers left out are counted by reason on the occurrence.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import Campaign
from channels.models import CustomerGroup
from customers.models import Customer
from scrm.org.models import Staff


class ExclusionReason(models.TextChoices):
    """Why a segment member is not sent to, in the order the reasons are checked."""

    OUT_OF_SCOPE = "out_of_scope", _("Outside the campaign's branches")
    NO_CONSENT = "no_consent", _("No marketing consent")
    NO_RELATION = "no_relation", _("No WeCom relation")
    CAPPED = "capped", _("Marketing frequency cap reached")
    QUOTA = "quota", _("WeCom receive quota reached")
    HOLDOUT = "holdout", _("Holdout (control group)")


class RecipientChannel(models.TextChoices):
    """How a campaign touched the customer; only a 1:1 mass message counts against WeCom's receive quota."""

    MESSAGE = "message", _("Mass message")
    GROUP = "group", _("Customer group message")
    MOMENT = "moment", _("Moments post")


class OccurrenceStatus(models.TextChoices):
    # Audience frozen, WeCom's tasks submitted to the outbox.
    PLANNED = "planned", _("Planned")
    # Every task has its final answer from WeCom; RMs confirm from here on.
    DISPATCHED = "dispatched", _("Dispatched")


class CampaignOccurrence(models.Model):
    """One sending of a campaign: the only one, or one date of a recurring campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="occurrences")
    sequence = models.PositiveIntegerField()
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=16, choices=OccurrenceStatus.choices, default=OccurrenceStatus.PLANNED)
    planned_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # WeCom tasks: created, and refused for good (the outbox's final failures).
    tasks_created = models.PositiveIntegerField(default=0)
    tasks_failed = models.PositiveIntegerField(default=0)
    segment_size = models.PositiveIntegerField(default=0)
    recipient_count = models.PositiveIntegerField(default=0)
    # ExclusionReason value → how many segment members it left out (holdout included).
    # For a group campaign both counts are of customer groups, not customers.
    exclusions = models.JSONField(default=dict)
    # A moments campaign's WeCom moment, once its asynchronous creation has finished.
    moment_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("campaign occurrence")
        verbose_name_plural = _("campaign occurrences")
        ordering = ["campaign", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sequence"], name="campaigns_occurrence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.sequence}"


class CampaignGroupTarget(models.Model):
    """One customer group of a group campaign's occurrence: sent to by its owner RM, or held out.

    WeCom sends a group message to whole groups, so a group campaign freezes its audience
    twice: the groups here (what WeCom is asked to send to, and what it reports on) and
    their identified customers as ``CampaignRecipient`` rows (for the cap and attribution).
    """

    occurrence = models.ForeignKey(CampaignOccurrence, on_delete=models.CASCADE, related_name="group_targets")
    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE, related_name="+")
    chat_id = models.CharField(max_length=64)
    variant = models.CharField(max_length=1, blank=True)
    holdout = models.BooleanField(default=False)
    sender = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    planned_on = models.DateField()
    # WeCom's outcome once known: 0 unsent, 1 sent, 2 failed (the group is gone), 3 over quota.
    send_status = models.PositiveSmallIntegerField(null=True, blank=True)
    msgid = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign customer group")
        verbose_name_plural = _("campaign customer groups")
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "group"], name="campaigns_group_target_unique"),
            models.CheckConstraint(
                condition=Q(holdout=True, variant="", sender__isnull=True)
                | Q(holdout=False, sender__isnull=False) & ~Q(variant=""),
                name="campaigns_group_target_sent_or_held_out",
            ),
        ]
        indexes = [
            # WeCom's monthly receive quota per group.
            models.Index(fields=["group", "planned_on"], condition=Q(holdout=False), name="campaigns_group_touches"),
        ]

    def __str__(self) -> str:
        return f"{self.occurrence_id}:{self.chat_id}"


class CampaignRecipient(models.Model):
    """One customer of one occurrence: sent to (with variant and sender) or held out."""

    occurrence = models.ForeignKey(CampaignOccurrence, on_delete=models.CASCADE, related_name="recipients")
    # No database constraints on the customer and sender: a plan inserts up to a million
    # rows at once and a constraint check per row and key is most of its time. The rows come
    # from a statement that joins both tables, and Django still cascades or protects on delete.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    # Empty for the holdout, which is never sent to.
    variant = models.CharField(max_length=1, blank=True)
    holdout = models.BooleanField(default=False)
    sender = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True, db_constraint=False, db_index=False
    )
    external_userid = models.CharField(max_length=64, blank=True)
    # Copied from the campaign and the plan, so the cap and quota count with one index.
    marketing = models.BooleanField()
    channel = models.CharField(max_length=8, choices=RecipientChannel.choices, db_default=RecipientChannel.MESSAGE)
    planned_on = models.DateField()
    # A group campaign's customer: the group that carried (or held out) the message to them.
    group_target = models.ForeignKey(
        CampaignGroupTarget, on_delete=models.CASCADE, related_name="+", null=True, blank=True, db_constraint=False
    )
    # WeCom's per-recipient outcome once known: 0 unsent, 1 sent, 2 not a friend, 3 over quota.
    send_status = models.PositiveSmallIntegerField(null=True, blank=True)
    msgid = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "customer"], name="campaigns_recipient_unique"),
            models.CheckConstraint(
                condition=Q(holdout=True, variant="", sender__isnull=True)
                | Q(holdout=False, sender__isnull=False) & ~Q(variant="") & ~Q(external_userid=""),
                name="campaigns_recipient_sent_or_held_out",
            ),
        ]
        indexes = [
            # The frequency cap and the receive quota: a customer's touches by date.
            models.Index(
                fields=["customer", "planned_on"], condition=Q(holdout=False), name="campaigns_recipient_touches"
            ),
            models.Index(fields=["occurrence", "sender", "variant"], name="campaigns_recipient_chunks"),
        ]

    def __str__(self) -> str:
        return f"{self.occurrence_id}:{self.customer_id}"


class CampaignTask(models.Model):
    """What one RM must do in the WeCom client: confirm a mass-send task (``msgid``) or publish a moment.

    A mass send has one task per sender and chunk, each its own ``msgid``; a moment is one
    ``moment_id`` with one task per member who must publish it.
    """

    occurrence = models.ForeignKey(CampaignOccurrence, on_delete=models.CASCADE, related_name="tasks")
    msgid = models.CharField(max_length=64, blank=True)
    moment_id = models.CharField(max_length=64, blank=True)
    sender = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="campaign_tasks")
    variant = models.CharField(max_length=1)
    recipient_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When WeCom first showed the RM had sent it (get_groupmsg_task status 2).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Reminders sent through WeCom (three per task in any 24 hours) and the stop, if any.
    reminded_at = ArrayField(models.DateTimeField(), default=list, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign task")
        verbose_name_plural = _("campaign tasks")
        constraints = [
            models.UniqueConstraint(fields=["msgid"], condition=~Q(msgid=""), name="campaigns_task_msgid_unique"),
            models.UniqueConstraint(
                fields=["moment_id", "sender"], condition=~Q(moment_id=""), name="campaigns_task_moment_unique"
            ),
            models.CheckConstraint(condition=Q(msgid="") ^ Q(moment_id=""), name="campaigns_task_message_or_moment"),
        ]
        indexes = [models.Index(fields=["sender", "confirmed_at"], name="campaigns_task_pending")]

    def __str__(self) -> str:
        return self.msgid or f"{self.moment_id}:{self.sender_id}"

    @property
    def is_moment(self) -> bool:
        return bool(self.moment_id)
