from typing import Any

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Content and scripts, campaigns, WeCom dispatch, RM tasks and SOPs."""

    name = "campaigns"

    def demo_seed(self, *, actor: Any) -> str:
        """Called by ``seed_demo`` with a new demo bank (customers may not import campaigns)."""
        from campaigns.demo import demo_scripts_create

        created = demo_scripts_create(actor=actor)
        return f"{created} demo scripts" if created else ""
