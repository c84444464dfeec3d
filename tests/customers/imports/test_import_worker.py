"""An upload processed by a real Celery worker process, through the broker, against the test database."""

from pathlib import Path

import pytest

from customers.imports.tasks import import_run_task
from customers.models import Customer, ImportMode, JobStatus, TimelineEvent, TimelineKind
from tests.conftest import World
from tests.customers.imports.extracts import csv_write, customer_row, job_uploaded
from tests.support.celery_worker import celery_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_an_import_to_completion(world: World, tmp_path: Path) -> None:
    owner = world.rm_bj.employee_no
    path = csv_write(tmp_path / "extract.csv", [customer_row(n, owner=owner) for n in range(1, 101)])
    job = job_uploaded(path, actor=world.hq_admin, mode=ImportMode.ALL_OR_NOTHING)

    with celery_worker() as queue:
        result = import_run_task.apply_async(args=[job.pk], queue=queue)
        result.get(timeout=120)

    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count, job.error_count) == (JobStatus.SUCCEEDED, 100, 100, 0)
    assert Customer.objects.filter(customer_no__startswith="K").count() == 100
    assert TimelineEvent.objects.filter(kind=TimelineKind.IMPORTED, data__import_job=job.pk).count() == 100
