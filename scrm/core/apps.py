from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting pieces: errors, queues, the page shell, health checks and the database roles."""

    name = "scrm.core"
    label = "core"

    def ready(self) -> None:
        from celery.signals import task_prerun
        from django.core.signals import request_started

        from scrm.core import checks  # noqa: F401  (registers the system checks)

        # What a request or task wrote decides whether its heavy reads may use the replica.
        request_started.connect(_replica_writes_forget, dispatch_uid="scrm.core.replica_writes_forget")
        task_prerun.connect(_replica_writes_forget, dispatch_uid="scrm.core.replica_writes_forget")


def _replica_writes_forget(**kwargs: object) -> None:
    from scrm.core.db_routing import replica_writes_forget

    replica_writes_forget()
