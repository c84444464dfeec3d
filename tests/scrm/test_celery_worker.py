"""A real Celery worker process, on the real Redis broker, runs a task against the test database."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from scrm.audit.models import AuditAction
from scrm.audit.services import audit_record
from scrm.audit.tasks import audit_verify_chain
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]


def worker_database_url() -> str:
    db = connection.settings_dict
    return f"postgresql://{db['USER']}@/{db['NAME']}?host={db['HOST']}"


@pytest.fixture
def worker_queue(world: World) -> Iterator[str]:
    """Start a worker on a queue of its own, so no other worker can take the test's task."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "REDIS_URL": settings.REDIS_URL}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "scrm", "worker", "-Q", queue, "-c", "1", "--pool", "solo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_completes_a_task(world: World, worker_queue: str) -> None:
    for action in (AuditAction.LOGIN, AuditAction.EXPORT, AuditAction.LOGOUT):
        audit_record(actor=world.hq_admin.user, action=action)

    result = audit_verify_chain.apply_async(queue=worker_queue)

    assert result.get(timeout=60) == {"ok": True, "checked": 3, "broken_sequence": None}
    assert result.status == "SUCCESS"


def test_queues_and_delivery_guarantees_are_configured() -> None:
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert set(settings.CELERY_TASK_QUEUES_NAMES) == {"realtime", "dispatch", "bulk"}
    assert settings.CELERY_BEAT_SCHEDULE["audit-verify-chain-nightly"]["task"] == "audit.verify_chain"
