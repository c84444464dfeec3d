from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    """The append-only, hash-chained audit trail."""

    name = "scrm.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from scrm.audit.actions import audit_actions_register
        from scrm.audit.models import AuditAction

        audit_actions_register(AuditAction)
        post_migrate.connect(_audit_table_append_only, sender=self, dispatch_uid="audit_table_append_only")


def _audit_table_append_only(using: str, **kwargs: Any) -> None:
    """Beyond the triggers: the application role itself holds only SELECT and INSERT on the trail."""
    from scrm.audit.models import AuditEvent
    from scrm.core.database_roles import application_privileges_append_only

    application_privileges_append_only(AuditEvent._meta.db_table, using)
