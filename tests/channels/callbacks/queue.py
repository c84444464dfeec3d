"""Read the task messages waiting on a throwaway Celery queue (Redis broker), then drop the queue."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from celery import Task

from scrm.core.redis import redis_client
from tests.support.celery_worker import task_routed


@contextmanager
def captured(task: Task) -> Iterator[list[list[object]]]:
    """Route ``task`` to a queue nobody consumes; after the block, the list holds each message's args."""
    queue = f"test-captured-{uuid.uuid4().hex[:8]}"
    messages: list[list[object]] = []
    try:
        with task_routed(task, queue):
            yield messages
    finally:
        for raw in reversed(redis_client().lrange(queue, 0, -1)):  # LPUSHed: newest first
            envelope = json.loads(raw)
            args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
            messages.append(args)
        redis_client().delete(queue)
