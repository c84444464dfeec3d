from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Compliance (sensitive words, archived chats, violations) and churn models."""

    name = "risk"
