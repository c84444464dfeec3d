"""WeCom external contacts, their follow relations and the corp tags mirrored onto them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Tag
from scrm.org.models import Staff
from scrm.org.scoping import ScopedQuerySet, data_scope_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class ContactType(models.IntegerChoices):
    WECHAT = 1, _("WeChat user")
    WECOM = 2, _("WeCom user")


class MatchMethod(models.TextChoices):
    """How an external contact was recognised as a bank customer (客户认证)."""

    UNIONID = "unionid", _("Same WeChat unionid as a verified contact")
    REMARK_PHONE = "remark_phone", _("Phone number in the RM's remark")
    SELF_VERIFIED = "self_verified", _("Verified by the customer")
    PERSONAL_CODE = "personal_code", _("Scanned the personal code the bank sent them")
    MANUAL = "manual", _("Linked by staff")


class FollowRelationQuerySet(ScopedQuerySet):
    scope_branch_field = "staff__branch"
    scope_owner_field = "staff"


class ExternalContactQuerySet(models.QuerySet["ExternalContact"]):
    """A contact is visible to whoever may see one of its follow relations."""

    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> Self:
        scope = data_scope_for(user)
        if scope is None:
            return self.none()
        if scope.is_bank_wide:
            return self
        relations = FollowRelation.objects.visible_to(user).filter(contact=OuterRef("pk"))
        return self.filter(Exists(relations))


class ExternalContact(models.Model):
    """A WeChat user who added at least one of the bank's staff (外部联系人).

    Until matched to a ``Customer`` the contact is a lead. The nickname is the public
    WeChat profile name, not banking PII; phone numbers from remarks are never stored.
    """

    external_userid = models.CharField(_("external userid"), max_length=64, unique=True)
    name = models.CharField(_("WeChat name"), max_length=128, blank=True)
    contact_type = models.PositiveSmallIntegerField(_("type"), choices=ContactType.choices, default=ContactType.WECHAT)
    avatar = models.URLField(_("avatar"), max_length=500, blank=True)
    gender = models.PositiveSmallIntegerField(_("gender"), default=0)
    corp_name = models.CharField(_("company"), max_length=128, blank=True)
    unionid = models.CharField(_("unionid"), max_length=64, blank=True, db_index=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wecom_contacts",
        verbose_name=_("customer"),
    )
    match_method = models.CharField(_("matched by"), max_length=16, choices=MatchMethod.choices, blank=True)
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, through="ContactTag", related_name="wecom_contacts", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExternalContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("external contact")
        verbose_name_plural = _("external contacts")

    def __str__(self) -> str:
        return self.name or self.external_userid

    @property
    def is_lead(self) -> bool:
        return self.customer_id is None


class ContactTag(models.Model):
    """A tag on a contact, so leads carry their channel tags before they are matched."""

    contact = models.ForeignKey(ExternalContact, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="contact_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "tag"], name="channels_contacttag_unique")]

    def __str__(self) -> str:
        return f"{self.contact_id}:{self.tag_id}"


class RelationStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("follow relation", "Active")
    DELETED = "deleted", pgettext_lazy("follow relation", "Deleted")


class DeletedBy(models.TextChoices):
    CUSTOMER = "customer", _("The customer deleted the staff member")
    STAFF = "staff", _("The staff member deleted the customer")
    TRANSFER = "transfer", _("Moved by a transfer")
    RECONCILIATION = "reconciliation", _("Gone from WeCom (found by reconciliation)")


class FollowRelation(models.Model):
    """One staff member's relation with one external contact (RM ↔ customer on WeCom)."""

    contact = models.ForeignKey(ExternalContact, on_delete=models.CASCADE, related_name="relations")
    userid = models.CharField(_("WeCom userid"), max_length=64)
    # Null when WeCom names a member who has no staff profile here (yet).
    staff = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="wecom_relations")
    # Phone numbers in remarks are masked before they are stored.
    remark = models.CharField(_("remark"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    add_way = models.PositiveSmallIntegerField(_("add way"), default=0)
    state = models.CharField(_("state"), max_length=64, blank=True)
    channel = models.ForeignKey(
        "ChannelCode", on_delete=models.SET_NULL, null=True, blank=True, related_name="relations"
    )
    status = models.CharField(_("status"), max_length=16, choices=RelationStatus.choices, default=RelationStatus.ACTIVE)
    added_at = models.DateTimeField(_("added at"))
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.CharField(_("deleted by"), max_length=16, choices=DeletedBy.choices, blank=True)
    welcomed_at = models.DateTimeField(_("welcome message sent at"), null=True, blank=True)
    # The bank's tags (Tag ids, sorted) this relation has been given in WeCom through the
    # outbox: what a tag sync compares the customer's tags with, so only the difference is sent.
    mirrored_tag_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FollowRelationQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow relation")
        verbose_name_plural = _("follow relations")
        constraints = [models.UniqueConstraint(fields=["contact", "userid"], name="channels_relation_unique")]
        indexes = [
            models.Index(fields=["staff", "status"]),
            models.Index(fields=["channel", "status"]),
            models.Index(fields=["userid"]),
            # The contacts page's keyset order (newest added first), bank-wide and per RM; the
            # home pages' adds over a window of days read the first one too.
            models.Index(fields=["added_at", "id"], name="channels_rel_added_idx"),
            models.Index(fields=["staff", "added_at", "id"], name="channels_rel_staff_added_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.userid} ↔ {self.contact_id}"


class CorpTag(models.Model):
    """The WeCom corp tag (企业客户标签) a bank tag is mirrored to, created in WeCom on first use."""

    tag = models.OneToOneField(Tag, on_delete=models.CASCADE, primary_key=True, related_name="corp_tag")
    wecom_tag_id = models.CharField(_("WeCom tag id"), max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("WeCom corp tag")
        verbose_name_plural = _("WeCom corp tags")

    def __str__(self) -> str:
        return f"{self.tag_id} → {self.wecom_tag_id}"
