from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting pieces: errors, queues, the page shell and health checks."""

    name = "scrm.core"
    label = "core"
