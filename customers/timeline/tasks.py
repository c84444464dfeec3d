"""Celery tasks of the timeline, on the bulk queue (beat: partition upkeep daily)."""

from celery import shared_task

from customers.timeline.services import timeline_partitions_ensure


@shared_task(name="customers.timeline_partitions_ensure", soft_time_limit=1700, time_limit=1800)
def timeline_partitions_ensure_task() -> list[str]:
    """Daily: the months ahead exist and DEFAULT is emptied into months of their own (idempotent)."""
    return timeline_partitions_ensure()
