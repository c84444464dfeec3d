from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Compliance (sensitive words, archived chats, violations) and churn models."""

    name = "risk"

    def ready(self) -> None:
        from channels.contacts.events import FollowRelationDeleted
        from risk.audit import ComplianceAuditAction
        from risk.compliance.archive import checks  # noqa: F401  (registers the Finance SDK check)
        from risk.compliance.violations.subscribers import deletion_alert_on_relation_deleted
        from scrm.audit.actions import audit_actions_register
        from scrm.core import events

        audit_actions_register(ComplianceAuditAction)
        events.subscribe(FollowRelationDeleted, deletion_alert_on_relation_deleted)
