"""Redis down while WeCom calls: events are still stored and acknowledged, and none is handled twice."""

import pytest
from django.test import Client

from channels.models import CallbackInbox, InboxStatus
from scrm.core.redis import redis_client
from tests.channels.callbacks.signing import contact_event, encrypt, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """The product's Redis client pointed at a port nothing listens on."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    redis_client.cache_clear()
    yield
    redis_client.cache_clear()


def test_without_the_nonce_store_events_are_accepted_and_replays_still_collapse(
    client: Client, redis_down, django_capture_on_commit_callbacks
) -> None:
    callback = encrypt(contact_event(external_user_id="wmOUT", create_time=1700000000))

    with django_capture_on_commit_callbacks() as enqueued:
        first = post(client, callback)
        replay = post(client, callback)

    assert (first.status_code, replay.status_code) == (200, 200)
    inbox = CallbackInbox.objects.get()
    assert (inbox.deliveries, inbox.status) == (2, InboxStatus.RECEIVED)
    assert len(enqueued) == 2  # both ask for the one row; its lock and status run it once


def test_a_broker_that_cannot_take_the_task_still_gets_the_event_stored_for_the_sweep(
    client: Client, settings, django_capture_on_commit_callbacks
) -> None:
    # The task is published straight to the broker's list: a port nothing listens on.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, encrypt(contact_event(external_user_id="wmOUT", create_time=1700000000)))

    assert (response.status_code, response.content) == (200, b"")
    assert CallbackInbox.objects.get().status == InboxStatus.RECEIVED
