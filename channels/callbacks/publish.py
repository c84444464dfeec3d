"""One callback task message, published with one Redis LPUSH on a kept connection.

``Task.delay`` costs about 0.35 ms of CPU per message on the development machine: Celery
routes and builds the message, and kombu's Redis transport makes a new redis-py client
(copying some 170 response callbacks) twice per publish, once for the bindings lookup
(a round trip of its own) and once for the LPUSH. At a thousand callbacks a second that
is a third of a core. This module builds the same message Celery would — the headers
come from Celery's own ``as_task_v2``, once per process — and pushes it onto the queue's
list itself, one round trip on a pooled client.

The message is what kombu's Redis transport stores for a publish to the default
exchange with the queue's name as routing key (priority 0, the list named after the
queue). A real Celery worker consuming these messages is part of the tests
(``tests/channels/callbacks/test_worker.py``). With a broker that is not Redis the
task is sent through Celery as before.
"""

from __future__ import annotations

import base64
import json
import uuid
from functools import cache
from typing import Any

import redis
from celery import Task
from django.conf import settings
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

# Celery's own publish retries take well under a second; so do these (connection errors
# and time-outs: a stale pooled connection is replaced, a Redis that is down is given up
# on). A hung Redis costs at most 3 × 1 s + 0.4 s, inside WeCom's 5 s; a message sent
# twice after a time-out is harmless (the row's lock and status run it once).
_RETRY = Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2)
_SOCKET_TIMEOUT_SECONDS = 1.0
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}


def _plain_redis_broker(url: str) -> bool:
    """A Redis broker whose queues are lists named after them (no key prefix configured for kombu)."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    return url.split("://", 1)[0] in {"redis", "rediss"} and not options.get("global_keyprefix")


@cache
def _broker_client(url: str) -> redis.Redis:
    """A client on the Celery broker (its pool is per process, and redis-py renews it after a fork)."""
    return redis.Redis.from_url(
        url,
        retry=_RETRY,
        socket_timeout=_SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=_SOCKET_TIMEOUT_SECONDS,
    )


_headers: dict[str, dict[str, Any]] = {}


def _headers_template(task: Task) -> dict[str, Any]:
    """The protocol-2 headers Celery writes for this task, built once with a placeholder id."""
    if task.name not in _headers:
        placeholder = "00000000-0000-0000-0000-000000000000"
        built = task.app.amqp.as_task_v2(
            placeholder,
            task.name,
            args=(0,),
            kwargs={},
            time_limit=task.time_limit,
            soft_time_limit=task.soft_time_limit,
            root_id=placeholder,
            ignore_result=True,
        )
        _headers[task.name] = dict(built.headers)
    return _headers[task.name]


def _queue_of(task: Task, args: tuple[object, ...]) -> str:
    """The queue Celery would route this task to: its own ``queue`` option first, then the routes."""
    options = {"queue": task.queue} if getattr(task, "queue", None) else {}
    route = task.app.amqp.router.route(options, task.name, args, {})
    return str(route["queue"].name)


def task_publish(task: Task, *args: int | str) -> None:
    """Enqueue ``task(*args)`` for a worker; raises (redis or kombu errors) when the broker cannot take it.

    Only for tasks without results, countdowns or keyword arguments: what the callback
    inbox sends.
    """
    broker_url = str(settings.CELERY_BROKER_URL)
    if not _plain_redis_broker(broker_url):
        task.apply_async(args, ignore_result=True)
        return
    queue = _queue_of(task, args)
    task_id = str(uuid.uuid4())
    headers = _headers_template(task).copy()
    headers.update(id=task_id, root_id=task_id, argsrepr=repr(args))
    body = json.dumps([list(args), {}, _EMBED]).encode()
    message = {
        "body": base64.b64encode(body).decode("ascii"),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": headers,
        "properties": {
            "correlation_id": task_id,
            "reply_to": None,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }
    _broker_client(broker_url).lpush(queue, json.dumps(message))
