"""Celery entry point for imports: id-based, idempotent, retried only when the database blinks."""

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from customers.imports.services import import_job_fail, import_job_run, import_job_sweep

# A lost connection or a restarting database: the next attempt starts the job afresh.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    bind=True,
    name="customers.import_run",
    max_retries=3,
    # Within the broker's visibility timeout (CELERY_TASK_TIME_LIMIT + 600 s).
    soft_time_limit=3300,
    time_limit=3600,
)
def import_run_task(self: Task, job_id: int) -> None:
    try:
        import_job_run(job_id=job_id)
    except TRANSIENT_ERRORS as error:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error
        import_job_fail(job_id=job_id, message=_("The database could not be reached; nothing was imported."))
        raise
    except SoftTimeLimitExceeded:
        import_job_fail(job_id=job_id, message=_("The import took too long and was stopped; nothing was imported."))
        raise
    except Exception:
        import_job_fail(job_id=job_id, message=_("The import stopped on an unexpected error; nothing was imported."))
        raise


@shared_task(name="customers.import_sweep", soft_time_limit=50, time_limit=60)
def import_sweep_task() -> int:
    """Beat, every minute: re-enqueue jobs whose worker died or whose task message was lost."""
    return len(import_job_sweep())
