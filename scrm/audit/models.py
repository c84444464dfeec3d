"""The audit trail: one append-only table, each row chained to the one before."""

from django.db import models
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
    # that a new action of any app needs no migration of this table.
    action = models.CharField(max_length=64, db_index=True)
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
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_username or '-'}"
