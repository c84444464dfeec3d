"""Violations found in archived chats, their review, and what branch managers are told.

A violation names its message by ``message_id`` and ``message_sent_at``: the message
table is partitioned by month, its database key is (id, sent_at), so no foreign key can
point at it. One violation per message and rule (``risk_violation_message_rule``): a
rescan after a library change adds new hits and never repeats old ones.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from risk.compliance.archive.models import ArchivedChat
from scrm.org.models import Branch, Staff
from scrm.org.roles import Role
from scrm.org.scoping import DataScope, ScopedQuerySet


class Rule(models.TextChoices):
    PROMISED_RETURN = "promised_return", _("Promised return")
    OFF_BOOK_SALE = "off_book_sale", _("Off-book sale (飞单)")
    STAFF_PII = "staff_pii", _("Personal information sent by staff")
    ABUSE = "abuse", _("Insult")
    AFTER_HOURS = "after_hours", _("Contact outside working hours")
    CUSTOMER_COMPLAINT = "customer_complaint", _("Customer complaint words")


class Severity(models.TextChoices):
    HIGH = "high", pgettext_lazy("severity", "High")
    MEDIUM = "medium", pgettext_lazy("severity", "Medium")
    LOW = "low", pgettext_lazy("severity", "Low")


class ViolationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("violation", "Open")
    CONFIRMED = "confirmed", pgettext_lazy("violation", "Confirmed")
    DISMISSED = "dismissed", pgettext_lazy("violation", "Dismissed")


class _ComplianceQueueQuerySet(ScopedQuerySet):
    """Compliance and HQ see all, a branch manager their subtree, an RM nothing of the queue."""

    scope_branch_field = "branch"
    scope_owner_field = "staff"

    def scope_condition(self, scope: DataScope) -> Q | None:
        if scope.role == Role.RM:
            return Q(pk__in=[])
        return super().scope_condition(scope)


class ViolationQuerySet(_ComplianceQueueQuerySet):
    pass


class Violation(models.Model):
    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices)
    # The library category of the hit that fired the rule ("" for rules outside the library).
    category = models.CharField(_("category"), max_length=24, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    # The library word, the pattern's name, or the rule's own term (a complaint word).
    entry = models.CharField(_("library entry"), max_length=64, blank=True)
    word_id = models.BigIntegerField(null=True, blank=True)
    # Personal information in these three is masked before they are stored.
    matched_text = models.CharField(_("matched text"), max_length=200)
    context_before = models.CharField(_("context before"), max_length=200, blank=True)
    context_after = models.CharField(_("context after"), max_length=200, blank=True)
    match_start = models.PositiveIntegerField(_("hit start"))
    match_end = models.PositiveIntegerField(_("hit end"))
    hit_count = models.PositiveIntegerField(_("hits in the message"), default=1)
    message_id = models.BigIntegerField(_("archived message"))
    message_sent_at = models.DateTimeField(_("message sent at"))
    chat = models.ForeignKey(ArchivedChat, on_delete=models.PROTECT, related_name="+", verbose_name=_("conversation"))
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("staff")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("customer")
    )
    # The staff member's branch when the violation was found: a later move does not move it.
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("branch")
    )
    status = models.CharField(_("status"), max_length=12, choices=ViolationStatus.choices, default=ViolationStatus.OPEN)
    assignee = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("assignee")
    )
    reviewer = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("reviewer")
    )
    review_reason = models.CharField(_("reason"), max_length=500, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected at"))
    library_version = models.PositiveBigIntegerField(_("library version"), default=0)

    objects = ViolationQuerySet.as_manager()

    class Meta:
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        constraints = [
            models.UniqueConstraint(fields=["message_id", "rule"], name="risk_violation_message_rule"),
        ]
        indexes = [
            models.Index(fields=["status", "severity", "-detected_at"], name="risk_violation_queue"),
            models.Index(fields=["staff", "status"], name="risk_violation_staff"),
            models.Index(fields=["branch", "status"], name="risk_violation_branch"),
            models.Index(fields=["chat", "message_sent_at"], name="risk_violation_chat"),
        ]

    def __str__(self) -> str:
        return f"{self.rule}@{self.message_id}"


class DeletionDirection(models.TextChoices):
    STAFF_DELETED_CUSTOMER = "staff_deleted_customer", _("The RM deleted the customer")
    CUSTOMER_DELETED_STAFF = "customer_deleted_staff", _("The customer deleted the RM")


class DeletionAlertQuerySet(_ComplianceQueueQuerySet):
    pass


class DeletionAlert(models.Model):
    """删人提醒: a WeCom relation an RM or a customer ended, as channels reported it."""

    relation_id = models.BigIntegerField(_("follow relation id"))
    direction = models.CharField(_("deleted by whom"), max_length=24, choices=DeletionDirection.choices)
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("staff")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("customer")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("branch")
    )
    userid = models.CharField(_("WeCom userid"), max_length=64)
    external_userid = models.CharField(_("external userid"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"))
    # Whether the branch managers are told (DELETION_ALERTS_* settings); it counts either way.
    notify = models.BooleanField(_("managers told"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeletionAlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("deletion alert")
        verbose_name_plural = _("deletion alerts")
        constraints = [
            models.UniqueConstraint(fields=["relation_id", "occurred_at"], name="risk_deletion_alert_once"),
        ]
        indexes = [models.Index(fields=["staff", "direction"], name="risk_deletion_staff")]

    def __str__(self) -> str:
        return f"{self.direction}:{self.relation_id}"


class ManagerDigest(models.Model):
    """One app message to one branch manager for one time window: what keeps WeCom's per-member limit."""

    manager = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    # The window's number: the time of the digest in whole windows since the epoch.
    window = models.BigIntegerField()
    violation_count = models.PositiveIntegerField(default=0)
    deletion_count = models.PositiveIntegerField(default=0)
    outbox_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["manager", "window"], name="risk_digest_once_per_window")]

    def __str__(self) -> str:
        return self.outbox_key


class ManagerNotice(models.Model):
    """Something a branch manager is to hear of (a high-severity violation, a deletion) until a digest tells them."""

    manager = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    violation = models.ForeignKey(Violation, on_delete=models.CASCADE, null=True, related_name="+")
    deletion = models.ForeignKey(DeletionAlert, on_delete=models.CASCADE, null=True, related_name="+")
    digest = models.ForeignKey(ManagerDigest, on_delete=models.SET_NULL, null=True, related_name="notices")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["manager", "violation"], name="risk_notice_violation_once"),
            models.UniqueConstraint(fields=["manager", "deletion"], name="risk_notice_deletion_once"),
            models.CheckConstraint(
                condition=Q(violation__isnull=False) ^ Q(deletion__isnull=False), name="risk_notice_one_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["manager"], condition=Q(digest__isnull=True), name="risk_notice_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.manager_id}:{self.violation_id or self.deletion_id}"


class RescanStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("rescan", "Running")
    FINISHED = "finished", pgettext_lazy("rescan", "Finished")


class RescanRun(models.Model):
    """A rescan of the archive with the library of one version, split into message id ranges."""

    library_version = models.PositiveBigIntegerField()
    first_message_id = models.BigIntegerField()
    last_message_id = models.BigIntegerField()
    chunk_size = models.PositiveIntegerField()
    total_chunks = models.PositiveIntegerField()
    # The first id of every range done: a retried range is counted once.
    done_chunks = ArrayField(models.BigIntegerField(), default=list, blank=True)
    violations_added = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=RescanStatus.choices, default=RescanStatus.RUNNING)
    started_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rescan v{self.library_version}"

    @property
    def progress_percent(self) -> int:
        if not self.total_chunks:
            return 100
        return min(100, len(self.done_chunks) * 100 // self.total_chunks)
