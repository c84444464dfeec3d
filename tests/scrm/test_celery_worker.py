"""A real Celery worker process, on the real Redis broker, runs a task against the test database."""

import pytest
from django.conf import settings

from scrm.audit.models import AuditAction
from scrm.audit.services import audit_record
from scrm.audit.tasks import audit_verify_chain_task
from scrm.celery import app
from tests.conftest import World
from tests.support.celery_worker import celery_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_completes_a_task(world: World) -> None:
    for action in (AuditAction.LOGIN, AuditAction.EXPORT, AuditAction.LOGOUT):
        audit_record(actor=world.hq_admin.user, action=action)

    with celery_worker() as queue:
        result = audit_verify_chain_task.apply_async(queue=queue)

        assert result.get(timeout=60) == {"ok": True, "checked": 3, "broken_sequence": None}
    assert result.status == "SUCCESS"


def test_queues_and_delivery_guarantees_are_configured() -> None:
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert {queue.name for queue in settings.CELERY_TASK_QUEUES} == {"realtime", "dispatch", "bulk"}
    assert settings.CELERY_BEAT_SCHEDULE["audit-verify-chain-nightly"]["task"] == "audit.verify_chain"
    assert app.amqp.router.route({}, "customers.tag_rules_run_all")["queue"].name == "bulk"


def test_every_task_the_beat_schedules_is_known_to_a_worker() -> None:
    app.loader.import_default_modules()  # what a worker imports at start: the autodiscovered tasks modules

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled - set(app.tasks) == set()
