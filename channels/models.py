"""The WeCom side of a customer: contacts, follow relations, channel codes, groups, and the
inbox and outbox that every callback and every WeCom call pass through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerTransfer, Tag
from scrm.org.models import Branch, Staff
from scrm.org.scoping import ScopedQuerySet, data_scope_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# --- Contacts and relations ---------------------------------------------------------


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
    ACTIVE = "active", _("Active")
    DELETED = "deleted", _("Deleted")


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


# --- Channel codes (渠道活码) --------------------------------------------------------------


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


# --- Customer groups (客户群) -------------------------------------------------------------


class GroupStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISMISSED = "dismissed", _("Dismissed")


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

    def __str__(self) -> str:
        return f"{self.group_id}:{self.member_id}"


# --- Transfers on WeCom -----------------------------------------------------------------


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


# --- Inbox and outbox ----------------------------------------------------------------


class InboxStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class CallbackInbox(models.Model):
    """Every verified callback, stored before it is acknowledged.

    ``digest`` is the SHA-256 of the whole decrypted event: WeCom's retries of one
    event collapse onto one row, while two distinct events never do.
    """

    digest = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    change_type = models.CharField(max_length=64, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=InboxStatus.choices, default=InboxStatus.RECEIVED)
    deliveries = models.PositiveIntegerField(default=1)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.event}/{self.change_type} #{self.pk}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_FLIGHT = "in_flight", _("Sending")
    # Sent, but no answer came back: WeCom is asked before anything is sent again.
    UNKNOWN = "unknown", _("Outcome unknown")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class OutboundCall(models.Model):
    """One WeCom call that changes something, sent at most once per idempotency key."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    operation = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("WeCom call")
        verbose_name_plural = _("WeCom calls")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in (OutboxStatus.SUCCEEDED, OutboxStatus.FAILED)

    def result_value(self, key: str, default: Any = None) -> Any:
        return (self.result or {}).get(key, default)
