"""Celery tasks of the violation workflow; they take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from risk.compliance.violations import services


@shared_task(name="risk.violations_scan")
def violations_scan_task(message_ids: list[int]) -> int:
    return services.violations_scan(message_ids)


@shared_task(name="risk.violations_rescan_range")
def violations_rescan_range_task(run_id: int, first_id: int, last_id: int) -> int:
    return services.violations_rescan_range(run_id=run_id, first_id=first_id, last_id=last_id)


@shared_task(name="risk.violations_rescan_if_library_changed")
def violations_rescan_if_library_changed_task() -> int | None:
    """Beat, every minute: a library change starts a rescan of the archive."""
    run = services.violations_rescan_if_library_changed()
    return run.pk if run is not None else None


@shared_task(name="risk.manager_digests_send")
def manager_digests_send_task() -> int:
    """Beat, every minute: branch managers' digests of what is new in their subtree, one a window at most."""
    return services.manager_digests_send()
