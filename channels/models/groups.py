"""Customer groups (客户群)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from channels.models.contacts import ExternalContact
from scrm.org.models import Staff
from scrm.org.scoping import ScopedQuerySet


class GroupStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("customer group", "Active")
    DISMISSED = "dismissed", pgettext_lazy("customer group", "Dismissed")


class CustomerGroupQuerySet(ScopedQuerySet):
    scope_branch_field = "owner__branch"
    scope_owner_field = "owner"


class CustomerGroup(models.Model):
    chat_id = models.CharField(_("chat id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    owner_userid = models.CharField(_("owner userid"), max_length=64)
    owner = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="wecom_groups")
    notice = models.TextField(_("notice"), blank=True)
    created_on_wecom = models.DateTimeField(_("created on WeCom"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=GroupStatus.choices, default=GroupStatus.ACTIVE)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)

    objects = CustomerGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")

    def __str__(self) -> str:
        return self.name or self.chat_id


class MemberType(models.IntegerChoices):
    STAFF = 1, _("Staff")
    EXTERNAL = 2, _("External contact")


class GroupMember(models.Model):
    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE, related_name="members")
    member_type = models.PositiveSmallIntegerField(_("type"), choices=MemberType.choices)
    # The userid of a staff member or the external_userid of a contact.
    member_id = models.CharField(_("member id"), max_length=64)
    contact = models.ForeignKey(ExternalContact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    join_time = models.DateTimeField(_("joined at"), null=True, blank=True)
    join_scene = models.PositiveSmallIntegerField(_("join scene"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [models.UniqueConstraint(fields=["group", "member_id"], name="channels_groupmember_unique")]
        # The groups page's "recent joins and leaves", newest first.
        indexes = [
            models.Index(fields=["join_time"], name="channels_member_join_idx"),
            models.Index(fields=["left_at"], name="channels_member_left_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.member_id}"
