"""Transfer tasks; ids in, safe to repeat."""

from uuid import UUID

from celery import shared_task

from channels.transfers.services import transfer_results_poll, transfers_start


@shared_task(name="channels.transfers_start", autoretry_for=(Exception,), retry_backoff=10, max_retries=5)
def transfers_start_task(batch_id: str) -> int:
    return transfers_start(UUID(batch_id))


@shared_task(name="channels.transfer_results_poll")
def transfer_results_poll_task() -> int:
    """Beat, every five minutes: settle moves whose outcome WeCom now knows."""
    return transfer_results_poll()
