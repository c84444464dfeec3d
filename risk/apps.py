from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Compliance (sensitive words, archived chats, violations) and churn models."""

    name = "risk"

    def ready(self) -> None:
        from risk.audit import ComplianceAuditAction
        from scrm.audit.actions import audit_actions_register

        audit_actions_register(ComplianceAuditAction)
