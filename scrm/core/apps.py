from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting pieces: errors, queues, the page shell, health checks and the database roles."""

    name = "scrm.core"
    label = "core"

    def ready(self) -> None:
        from scrm.core import checks  # noqa: F401  (registers the system checks)
