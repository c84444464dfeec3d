from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Scoped dashboards, charts and exports."""

    name = "analytics"
