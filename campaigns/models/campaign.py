"""A campaign: what head office (or a branch) sends to which audience, when, and how it is judged.

Its ``status`` moves only through the transitions in ``campaigns.services``; every move
is audited in the same transaction. ``revision`` counts edits, and an approval names the
revision it approved, so an edit after approval can never be dispatched unreviewed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models.content import ContentItem
from customers.models import ProductType, Segment
from scrm.org.models import Branch, Staff
from scrm.org.roles import Role
from scrm.org.scoping import DataScope, ScopedQuerySet, data_scope_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

HOLDOUT_PERCENT_MAX = 50
VARIANT_LABELS = ("A", "B", "C", "D")
# WeCom's add_msg_template takes at most nine attachments (WECOM.md §1).
VARIANT_ATTACHMENTS_MAX = 9


class CampaignPurpose(models.TextChoices):
    # Only marketing needs the customer's marketing consent and counts against the frequency cap.
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")


class CampaignKind(models.TextChoices):
    CUSTOMERS = "customers", _("Mass message to customers")
    GROUPS = "groups", _("Mass message to customer groups")
    MOMENTS = "moments", _("Moments post")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    DISPATCHING = "dispatching", _("Dispatching")
    SENT = "sent", _("Sent")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ScheduleKind(models.TextChoices):
    NOW = "now", _("As soon as it is scheduled")
    AT = "at", _("At a set time")
    RECURRING = "recurring", _("Recurring")


class Recurrence(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class CampaignQuerySet(ScopedQuerySet):
    """Who sees a campaign: HQ and compliance every one; others those that reach them.

    A branch manager sees their subtree's campaigns and head office's (and their own
    branch's ancestors'); an RM the campaigns of their outlet's ancestors. Changing one is
    narrower: :meth:`manageable_by`.
    """

    scope_branch_field = "owner_branch"

    def scope_condition(self, scope: DataScope) -> Q | None:
        if scope.is_bank_wide:
            return None
        reaches_me = Q(owner_branch__path__in=_ancestor_paths(scope.branch_path))
        if scope.role == Role.BRANCH_MANAGER:
            return reaches_me | Q(owner_branch__path__startswith=scope.branch_path)
        if scope.role == Role.RM:
            return reaches_me
        return Q(pk__in=[])

    def manageable_by(self, user: AbstractBaseUser | AnonymousUser | None) -> Self:
        """Campaigns the user may build, edit, schedule or cancel: HQ admins all, a branch manager their subtree's."""
        scope = data_scope_for(user)
        if scope is None or scope.role not in (Role.HQ_ADMIN, Role.BRANCH_MANAGER):
            return self.none()
        if scope.role == Role.HQ_ADMIN:
            return self
        return self.filter(owner_branch__path__startswith=scope.branch_path)


def _ancestor_paths(path: str) -> list[str]:
    """The branch's own path and each ancestor's (materialised path: every step is a prefix)."""
    step = Branch.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=16, choices=CampaignPurpose.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="+", verbose_name=_("segment"))
    # The subtree the campaign belongs to: HQ's root for head office, the manager's branch
    # for a branch campaign. Its audience never leaves that subtree.
    owner_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner"))
    # Optionally narrower: only these branches' subtrees (all inside owner_branch).
    branches = models.ManyToManyField(Branch, blank=True, related_name="+", verbose_name=_("branches"))
    schedule_kind = models.CharField(
        _("schedule"), max_length=16, choices=ScheduleKind.choices, default=ScheduleKind.NOW
    )
    start_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    recurrence = models.CharField(_("recurrence"), max_length=16, choices=Recurrence.choices, blank=True)
    recurrence_until = models.DateField(_("recurs until"), null=True, blank=True)
    # Customers never sent to: the control group the uplift is measured against.
    holdout_percent = models.PositiveSmallIntegerField(_("holdout %"), default=0)
    target_product_types = ArrayField(
        models.CharField(max_length=16, choices=ProductType.choices), default=list, blank=True
    )
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=30)
    result_days = models.PositiveSmallIntegerField(_("result window (days)"), default=7)

    revision = models.PositiveIntegerField(default=1)
    approved_revision = models.PositiveIntegerField(null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=HOLDOUT_PERCENT_MAX), name="campaigns_campaign_holdout_bounded"
            ),
            models.CheckConstraint(
                condition=~Q(schedule_kind=ScheduleKind.RECURRING) | ~Q(recurrence=""),
                name="campaigns_campaign_recurring_has_recurrence",
            ),
            models.CheckConstraint(
                condition=Q(schedule_kind=ScheduleKind.NOW) | Q(start_at__isnull=False),
                name="campaigns_campaign_timed_has_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def approved_as_is(self) -> bool:
        """Approved, and not edited since: the only state in which it may reach a customer."""
        return self.approved_revision == self.revision


class CampaignVariant(models.Model):
    """One version of the content (A/B test); ``weight`` is its share of the audience."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(_("variant"), max_length=1)
    weight = models.PositiveSmallIntegerField(_("share"), default=100)
    text = models.TextField(_("text"), blank=True)
    attachments = models.ManyToManyField(
        ContentItem, through="CampaignVariantAttachment", related_name="+", blank=True, verbose_name=_("attachments")
    )

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["campaign", "label"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "label"], name="campaigns_variant_label_unique"),
            models.CheckConstraint(condition=Q(label__in=VARIANT_LABELS), name="campaigns_variant_label_known"),
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=100), name="campaigns_variant_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.label}"


class CampaignVariantAttachment(models.Model):
    """A library item sent with a variant's text, in order (WeCom takes up to nine)."""

    variant = models.ForeignKey(CampaignVariant, on_delete=models.CASCADE, related_name="attachment_links")
    item = models.ForeignKey(ContentItem, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["variant", "position"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "position"], name="campaigns_variant_attachment_position"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}#{self.position}"
