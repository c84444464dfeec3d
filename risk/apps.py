from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Compliance (sensitive words, archived chats, violations) and churn models."""

    name = "risk"

    def ready(self) -> None:
        from risk.audit import ComplianceAuditAction
        from risk.compliance.archive import checks  # noqa: F401  (registers the Finance SDK check)
        from scrm.audit.actions import audit_actions_register

        audit_actions_register(ComplianceAuditAction)
