from celery import shared_task

from customers.lifecycle.services import lifecycle_stages_recompute


@shared_task(name="customers.lifecycle_recompute", soft_time_limit=1700, time_limit=1800)
def lifecycle_recompute_task() -> int:
    """Nightly: bring every customer's lifecycle stage up to date (idempotent)."""
    return lifecycle_stages_recompute()
