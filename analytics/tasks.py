"""Celery entry points of analytics: thin, id-based, safe to retry (on the bulk queue)."""

from celery import shared_task

from analytics.services import home_snapshot_refresh, home_snapshots_due


@shared_task(name="analytics.home_snapshots_refresh", soft_time_limit=50, time_limit=60)
def home_snapshots_refresh_task() -> int:
    """Beat, every ``HOME_FIGURES_REFRESH_SECONDS``: one recount task per scope someone looked at lately."""
    due = home_snapshots_due()
    for snapshot_id in due:
        home_snapshot_refresh_task.delay(snapshot_id)
    return len(due)


@shared_task(name="analytics.home_snapshot_refresh", soft_time_limit=1700, time_limit=1800)
def home_snapshot_refresh_task(snapshot_id: int) -> bool:
    return home_snapshot_refresh(snapshot_id=snapshot_id)
