from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Content and scripts, campaigns, WeCom dispatch, RM tasks and SOPs."""

    name = "campaigns"
