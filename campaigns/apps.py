from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Content and scripts, campaigns, WeCom dispatch, RM tasks and SOPs."""

    name = "campaigns"

    def ready(self) -> None:
        from campaigns.audit import CampaignAuditAction, ContentAuditAction
        from scrm.audit.actions import audit_actions_register

        audit_actions_register(ContentAuditAction)
        audit_actions_register(CampaignAuditAction)
