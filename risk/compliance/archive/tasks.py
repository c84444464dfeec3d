"""Celery tasks of the chat archive, on the bulk queue (beat: ingestion every minute, partitions daily)."""

from __future__ import annotations

from celery import shared_task

from risk.compliance.archive.services import archive_ingest, archive_partitions_ensure


# A run overlapping the next minute's is harmless: that one finds the lock taken and returns.
@shared_task(name="risk.archive_ingest", soft_time_limit=240, time_limit=300)
def archive_ingest_task() -> dict[str, object]:
    """Read the archive from the cursor; a second run while one is going returns at once (busy)."""
    result = archive_ingest()
    return {"pages": result.pages, "stored": result.stored, "busy": result.busy, "lag_level": result.lag_level}


@shared_task(name="risk.archive_partitions_ensure")
def archive_partitions_ensure_task() -> dict[str, list[str]]:
    result = archive_partitions_ensure()
    return {"created": result.created, "dropped": result.dropped}
