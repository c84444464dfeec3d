from django.apps import AppConfig


class OrgConfig(AppConfig):
    """The 总-分-支-网点 hierarchy, staff and data scope."""

    name = "scrm.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from scrm.audit.actions import audit_actions_register
        from scrm.org.audit import OrgAuditAction

        audit_actions_register(OrgAuditAction)
