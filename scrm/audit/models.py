"""The audit trail: one append-only table, each row chained to the one before."""

from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """The core's own actions; each app declares its others in its ``audit.py`` (scrm.audit.actions)."""

    LOGIN = "auth.login", _("Sign-in")
    LOGIN_FAILED = "auth.login_failed", _("Failed sign-in")
    LOGOUT = "auth.logout", _("Sign-out")
    PII_REVEAL = "pii.reveal", _("PII revealed")
    PII_KEY_ROTATION = "pii.key_rotation", _("Key rotation")
    EXPORT = "data.export", _("Export")
    STAFF_CREATED = "staff.created", _("Staff created")
    ROLE_CHANGED = "staff.role_changed", _("Role or scope changed")
    STAFF_DEPARTED = "staff.departed", _("Staff departed")
    APPROVAL = "approval.decided", _("Approval")
    CHAIN_CHECK = "audit.chain_check", _("Audit chain check requested")


class AuditEvent(models.Model):
    """One regulated action. Never updated or deleted: a database trigger refuses it.

    ``hash`` is an HMAC (under the key ``key_id`` names, ``scrm.audit.chain``) over this
    row's content and the previous row's hash, so altering or removing any row breaks the
    chain at that row (``manage.py verify_audit_log``); signed digests exported outside
    the database catch even a rewrite by a holder of the key. Rows carry no PII: masked
    values at most.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    # Plain columns rather than foreign keys: the trail must outlive the rows it names.
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    # Validated against the registered actions (scrm.audit.actions), not by choices, so
    # that a new action of any app needs no migration of this table. Indexed with the
    # sequence (Meta), which serves equality lookups as well.
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)
    ip_address = models.GenericIPAddressField(null=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which AUDIT_CHAIN_KEYS entry keyed the hash; empty for rows from before keys (plain SHA-256).
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            # The compliance console filters by actor, action or customer and pages by
            # sequence (keyset, newest first): each filter reads its own index in order.
            models.Index(fields=["actor_username", "sequence"], name="audit_actor_sequence"),
            models.Index(fields=["action", "sequence"], name="audit_action_sequence"),
            models.Index(
                KeyTextTransform("customer_no", "data"),
                "sequence",
                name="audit_customer_sequence",
                condition=models.Q(data__customer_no__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_username or '-'}"


class ChainCheckStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    INTACT = "intact", _("Intact")
    BROKEN = "broken", _("Broken")
    FAILED = "failed", _("Could not finish")


class ChainBreak(models.TextChoices):
    """Why a check found the chain broken, in words a compliance officer can read."""

    MISSING = "missing", _("A row is missing")
    PREV_HASH = "prev_hash", _("A row does not follow the previous one")
    UNKNOWN_KEY = "unknown_key", _("A row names a chain key that is not configured")
    DOWNGRADED = "downgraded", _("A row has no chain key after keyed rows")
    ALTERED = "altered", _("A row's content does not match its hash")
    SIGNATURE = "signature", _("A signed digest has no valid signature")
    REWRITTEN = "rewritten", _("A row differs from its signed digest")
    OTHER = "other", _("Other")


class ChainCheck(models.Model):
    """One verification of the chain and the signed digests: nightly on beat, or asked for on the console.

    Not part of the chain itself (a check changes nothing), so an ordinary table; the
    console shows the latest one.
    """

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    status = models.CharField(max_length=16, choices=ChainCheckStatus.choices, default=ChainCheckStatus.RUNNING)
    # Who asked for it; empty for the nightly run. Plain columns, like the trail's.
    requested_by_id = models.BigIntegerField(null=True)
    requested_by_username = models.CharField(max_length=150, blank=True)
    checked = models.PositiveBigIntegerField(default=0)
    digests_checked = models.PositiveIntegerField(default=0)
    broken_sequence = models.PositiveBigIntegerField(null=True)
    break_kind = models.CharField(max_length=16, choices=ChainBreak.choices, blank=True)
    # The verifier's own words (English, for operators and logs); the page shows break_kind.
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit chain check")
        verbose_name_plural = _("audit chain checks")

    def __str__(self) -> str:
        return f"chain check #{self.pk} {self.status}"
