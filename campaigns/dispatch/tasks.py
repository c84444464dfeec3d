"""Celery entry points for campaign dispatch: ids in, idempotent, safe to run twice or after a crash."""

import logging

from celery import shared_task

from campaigns.dispatch import services
from scrm.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)


@shared_task(name="campaigns.dispatch_due", soft_time_limit=50, time_limit=60)
def campaigns_dispatch_due_task() -> int:
    """Beat, every minute: one dispatch task per scheduled campaign whose occurrence may be due."""
    due = services.campaigns_due_ids()
    for campaign_id in due:
        campaign_dispatch_task.delay(campaign_id)
    return len(due)


@shared_task(name="campaigns.dispatch", soft_time_limit=3300, time_limit=3600)
def campaign_dispatch_task(campaign_id: int) -> int | None:
    """Plan the campaign's due occurrence; a second run finds it claimed and does nothing."""
    try:
        occurrence = services.campaign_dispatch(campaign_id)
    except ApplicationError as error:
        # Its segment no longer compiles (a tag it names was deleted): nothing was written, the
        # campaign stays scheduled, and the builder's audience panel says why.
        logger.warning("campaign %s not dispatched: %s", campaign_id, error.message)
        return None
    return occurrence.pk if occurrence else None


@shared_task(name="campaigns.reconcile_sweep", soft_time_limit=50, time_limit=60)
def occurrences_reconcile_sweep_task() -> int:
    """Beat, every minute: copy finished WeCom tasks onto their recipients, close finished occurrences."""
    closed = 0
    for occurrence_id in services.occurrences_to_reconcile_ids():
        occurrence = services.occurrence_reconcile(occurrence_id)
        closed += bool(occurrence and occurrence.status == "dispatched")
    return closed


@shared_task(name="campaigns.results_poll", soft_time_limit=600, time_limit=660)
def campaign_results_poll_task() -> int:
    """Beat, every 10 minutes: each recipient's outcome while the result window is open; then complete."""
    changed = sum(services.occurrence_results_fetch(pk) for pk in services.occurrences_in_result_window_ids())
    services.campaigns_complete_due()
    return changed


@shared_task(name="campaigns.results_fetch", soft_time_limit=600, time_limit=660)
def campaign_results_fetch_task(campaign_id: int) -> int:
    """On request (the campaign page's refresh): close what the outbox finished, read WeCom's outcomes now."""
    for occurrence_id in services.occurrences_to_reconcile_ids(campaign_id=campaign_id):
        services.occurrence_reconcile(occurrence_id)
    return sum(
        services.occurrence_results_fetch(pk)
        for pk in services.occurrences_in_result_window_ids(campaign_id=campaign_id)
    )
