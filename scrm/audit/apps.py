from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, hash-chained audit trail."""

    name = "scrm.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from scrm.audit.actions import audit_actions_register
        from scrm.audit.models import AuditAction

        audit_actions_register(AuditAction)
