"""The callback's short path: one statement, no session, a kept connection that recovers, Celery's own message."""

import base64
import json
import time
import uuid

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from channels.callbacks import tasks
from channels.callbacks.publish import task_publish
from channels.models import CallbackInbox
from scrm.core.redis import redis_client
from tests.channels.callbacks.signing import contact_event, encrypt, post
from tests.support.celery_worker import task_routed


def _event(external_user_id: str) -> str:
    return contact_event(external_user_id=external_user_id, create_time=int(time.time()))


@pytest.mark.django_db
def test_a_callback_costs_one_statement_and_touches_no_session(client: Client) -> None:
    client.cookies["sessionid"] = "not-a-session"  # a stray cookie is not even looked up

    with CaptureQueriesContext(connection) as queries:
        response = post(client, encrypt(_event("wmLEAN1")))

    assert (response.status_code, response.content) == (200, b"")
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["INSERT"]
    assert "Set-Cookie" not in str(response.headers)
    assert "Cookie" not in response.get("Vary", "")
    assert CallbackInbox.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_that_died_is_replaced_and_the_event_stored(client: Client) -> None:
    assert post(client, encrypt(_event("wmLEAN2"))).status_code == 200
    backend_pid = connection.connection.info.backend_pid
    # As if PostgreSQL had restarted between two callbacks: the kept connection is dead.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    finally:
        other.close()

    response = post(client, encrypt(_event("wmLEAN3")))

    assert (response.status_code, response.content) == (200, b"")
    assert CallbackInbox.objects.count() == 2
    assert connection.connection.info.backend_pid != backend_pid


def _waiting(queue: str) -> dict:
    raw = redis_client().lpop(queue)
    assert raw is not None
    return json.loads(raw)


def test_the_published_message_is_the_one_celery_would_send() -> None:
    queue = f"test-published-{uuid.uuid4().hex[:8]}"
    try:
        with task_routed(tasks.callback_process_task, queue):
            tasks.callback_process_task.apply_async((41,), ignore_result=True)
            celery_sent = _waiting(queue)
            task_publish(tasks.callback_process_task, 42)
            ours = _waiting(queue)
    finally:
        redis_client().delete(queue)

    assert sorted(ours) == sorted(celery_sent)
    assert sorted(ours["properties"]) == sorted(celery_sent["properties"])
    route = {"exchange": "", "routing_key": queue}
    assert ours["properties"]["delivery_info"] == celery_sent["properties"]["delivery_info"] == route
    varying = {"id", "root_id", "argsrepr"}
    assert {k: v for k, v in ours["headers"].items() if k not in varying} == {
        k: v for k, v in celery_sent["headers"].items() if k not in varying
    }
    assert ours["headers"]["id"] == ours["headers"]["root_id"] == ours["properties"]["correlation_id"]
    assert ours["headers"]["argsrepr"] == "(42,)"
    celery_body = json.loads(base64.b64decode(celery_sent["body"]))
    assert json.loads(base64.b64decode(ours["body"])) == [[42], *celery_body[1:]]
