from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, hash-chained audit trail."""

    name = "scrm.audit"
    label = "audit"
    verbose_name = "Audit"
