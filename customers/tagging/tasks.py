"""Celery entry points for tagging: thin, id-based, safe to retry."""

from celery import shared_task
from django.db import OperationalError

from customers.tagging.services import (
    tag_bulk_job_run,
    tag_bulk_job_sweep,
    tag_rule_range_evaluate,
    tag_rule_run_start,
    tag_rule_run_sweep,
)


@shared_task(
    name="customers.tag_rule_range_evaluate",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1700,
    time_limit=1800,
)
def tag_rule_range_evaluate_task(range_id: int) -> None:
    tag_rule_range_evaluate(range_id=range_id)


@shared_task(name="customers.tag_rules_run_all", soft_time_limit=300, time_limit=360)
def tag_rules_run_all_task() -> int:
    """Nightly (and on demand): re-evaluate every active rule over all customers."""
    return tag_rule_run_start().pk


@shared_task(name="customers.tag_rule_run_sweep", soft_time_limit=50, time_limit=60)
def tag_rule_run_sweep_task() -> int:
    """Beat, every minute: re-enqueue ranges whose worker died or whose task message was lost."""
    return len(tag_rule_run_sweep())


@shared_task(
    name="customers.tag_bulk_job_run",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1700,
    time_limit=1800,
)
def tag_bulk_job_run_task(job_id: int) -> None:
    """Tag or untag the customers a search found (bulk queue); resumes where a retry left off."""
    tag_bulk_job_run(job_id=job_id)


@shared_task(name="customers.tag_bulk_job_sweep", soft_time_limit=50, time_limit=60)
def tag_bulk_job_sweep_task() -> int:
    """Beat, every minute: re-enqueue bulk tagging jobs whose worker died or whose message was lost."""
    return len(tag_bulk_job_sweep())
