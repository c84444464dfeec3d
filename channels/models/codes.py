"""Channel codes (渠道活码)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Tag
from scrm.org.models import Branch, Staff
from scrm.org.scoping import ScopedQuerySet


class AssignmentStrategy(models.TextChoices):
    FIXED = "fixed", _("Fixed staff")
    ROUND_ROBIN = "round_robin", _("Round-robin among a branch's RMs")
    OWNER = "owner", _("The customer's own RM when known")


class ChannelCodeQuerySet(ScopedQuerySet):
    scope_branch_field = "branch"
    scope_rm_sees = "own_branch"


class ChannelCode(models.Model):
    """A 「联系我」 QR code (contact_way) with its assignment, tags and welcome message."""

    name = models.CharField(_("name"), max_length=64)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="channel_codes", verbose_name=_("branch"))
    strategy = models.CharField(_("assignment"), max_length=16, choices=AssignmentStrategy.choices)
    # FIXED: these staff; ROUND_ROBIN and OWNER (fallback): the RMs of ``branch``.
    staff = models.ManyToManyField(Staff, related_name="channel_codes", blank=True, verbose_name=_("staff"))
    tags = models.ManyToManyField(Tag, related_name="channel_codes", blank=True, verbose_name=_("channel tags"))
    welcome_text = models.TextField(_("welcome message"), blank=True)
    # [{"msgtype": "link"|"image"|"miniprogram", ...}] as send_welcome_msg takes them.
    welcome_attachments = models.JSONField(_("welcome attachments"), default=list, blank=True)
    skip_verify = models.BooleanField(_("add without confirmation"), default=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    # WeCom echoes ``state`` in the add event: it is how an add finds its channel.
    state = models.CharField(_("state"), max_length=30, unique=True)
    config_id = models.CharField(_("WeCom config id"), max_length=64, blank=True, db_index=True)
    qr_code = models.URLField(_("QR code"), max_length=500, blank=True)
    # The staff member the next round-robin add goes to (index into the ordered pool).
    next_assignee = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChannelCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel code")
        verbose_name_plural = _("channel codes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
