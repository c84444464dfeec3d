"""Celery entry points for churn scoring: thin, id-based, safe to retry (on the bulk queue)."""

from celery import shared_task
from django.db import OperationalError

from risk.churn.services import churn_scoring_range_score, churn_scoring_run_start, churn_scoring_run_sweep


@shared_task(
    name="risk.churn_scoring_range",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1700,
    time_limit=1800,
)
def churn_scoring_range_task(range_id: int) -> None:
    churn_scoring_range_score(range_id=range_id)


@shared_task(name="risk.churn_score_all", soft_time_limit=300, time_limit=360)
def churn_score_all_task() -> int | None:
    """Nightly: score every customer with the promoted model; the run's id (None without a model)."""
    run = churn_scoring_run_start()
    return run.pk if run else None


@shared_task(name="risk.churn_scoring_sweep", soft_time_limit=50, time_limit=60)
def churn_scoring_sweep_task() -> int:
    """Beat, every minute: re-enqueue ranges whose worker died or whose task message was lost."""
    return len(churn_scoring_run_sweep())
