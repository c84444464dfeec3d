"""The inbox drained by a real Celery worker process, through the broker, against the test database."""

import datetime
import time

import pytest
from django.test import Client
from django.utils import timezone

from channels.callbacks import services, tasks
from channels.models import CallbackInbox, InboxStatus
from tests.channels.callbacks.signing import contact_event, encrypt, post
from tests.support.celery_worker import celery_worker, task_routed


def _wait_for(inbox_id: int, status: str, timeout: float = 60) -> CallbackInbox:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inbox = CallbackInbox.objects.get(pk=inbox_id)
        if inbox.status == status:
            return inbox
        time.sleep(0.2)
    raise AssertionError(f"inbox {inbox_id} is {inbox.status}, not {status}, after {timeout} s")


def _handled_event() -> str:
    # A customer deleting a member nobody knows: handled, and the handler changes nothing.
    return contact_event(change_type="del_follow_user", external_user_id="wmNOBODY", create_time=int(time.time()))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_acknowledged_callback_is_processed_by_a_worker(client: Client) -> None:
    with celery_worker() as queue, task_routed(tasks.callback_process_task, queue):
        response = post(client, encrypt(_handled_event()))
        assert (response.status_code, response.content) == (200, b"")
        inbox = _wait_for(CallbackInbox.objects.get().pk, InboxStatus.PROCESSED)

    assert (inbox.attempts, inbox.deliveries, inbox.error) == (1, 1, "")
    assert inbox.processed_at is not None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_sweep_hands_a_row_whose_message_was_lost_to_a_worker() -> None:
    xml = contact_event(external_user_id="wmLOST", create_time=1700000000).replace(
        "change_external_contact", "change_contact"
    )
    inbox = CallbackInbox.objects.create(digest="f" * 64, event="change_contact", body=xml)
    CallbackInbox.objects.filter(pk=inbox.pk).update(received_at=timezone.now() - datetime.timedelta(minutes=2))

    with celery_worker() as queue, task_routed(tasks.callback_process_task, queue):
        assert services.callback_sweep() == [inbox.pk]
        inbox = _wait_for(inbox.pk, InboxStatus.PROCESSED)

    assert inbox.attempts == 1
