"""kill -9 of the worker running a customer import: the job still finishes, each row imported exactly once."""

import time
from pathlib import Path

import pytest

from customers.imports.tasks import import_run_task, import_sweep_task
from customers.models import Customer, ImportJob, JobStatus, TimelineEvent, TimelineKind
from tests.conftest import World
from tests.customers.imports.extracts import csv_write, customer_row, job_uploaded
from tests.faults.support import held, lock_waiters, sweep_until, wait_until
from tests.support.celery_worker import queue_new, worker_kill, worker_start, worker_stop

ROWS = 3000

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_job_whose_worker_was_killed_in_its_final_transaction_is_run_again_by_the_sweep(
    world: World, tmp_path: Path
) -> None:
    owner = world.rm_bj.employee_no
    path = csv_write(tmp_path / "extract.csv", [customer_row(n, owner=owner) for n in range(1, ROWS + 1)])
    job = job_uploaded(path, actor=world.hq_admin)
    queue = queue_new()

    # The upsert waits behind another session's lock, so the kill lands inside the
    # import's one writing transaction, with every row staged and none committed.
    with held("LOCK TABLE customers_customer IN SHARE MODE"):
        doomed = worker_start(queue)
        import_run_task.apply_async(args=[job.pk], queue=queue)
        wait_until(lambda: lock_waiters() > 0, timeout=30, what="the import is blocked in its upsert")
        assert ImportJob.objects.get(pk=job.pk).status == JobStatus.RUNNING
        worker_kill(doomed)

    # The killed worker's task message is stranded with it (late ack, hour-long
    # visibility timeout): only the product's own sweep gets the job going again.
    survivor = worker_start(queue)
    try:
        time.sleep(2)
        assert ImportJob.objects.get(pk=job.pk).status == JobStatus.RUNNING  # a new worker alone does not see it
        sweeps = sweep_until(
            import_sweep_task,
            queue,
            lambda: ImportJob.objects.get(pk=job.pk).status not in (JobStatus.QUEUED, JobStatus.RUNNING),
            timeout=40,
            what="the import has finished",
        )
    finally:
        worker_stop(survivor)

    job.refresh_from_db()
    assert sweeps >= 1
    assert (job.status, job.processed_rows, job.created_count, job.updated_count, job.error_count) == (
        JobStatus.SUCCEEDED,
        ROWS,
        ROWS,
        0,
        0,
    )
    imported = Customer.objects.filter(customer_no__startswith="K")
    assert imported.count() == ROWS
    assert imported.values("customer_no").distinct().count() == ROWS
    assert TimelineEvent.objects.filter(kind=TimelineKind.IMPORTED, data__import_job=job.pk).count() == ROWS
    # Once finished, another sweep finds nothing to do.
    assert import_sweep_task.apply().get() == 0
