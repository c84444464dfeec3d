"""A real Celery worker process on a queue of its own, against the test database and media root."""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import Task
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_start(queue: str, **extra_env: str) -> subprocess.Popen[bytes]:
    """A worker process (in a process group of its own) consuming ``queue``, against the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@/{db['NAME']}?host={db['HOST']}",
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # The run's own digest folder: the checkout's var/ may hold a `make run`'s digests.
        "AUDIT_DIGEST_LOCATION": str(settings.STORAGES["audit_digests"]["OPTIONS"]["location"]),
        # Whatever the worker itself enqueues (a retry, a follow-up) stays on the test's queue.
        "CELERY_ROUTE_EVERYTHING_TO": queue,
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "scrm", "worker", "-Q", queue, "-c", "1", "--pool", "solo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def worker_kill(worker: subprocess.Popen[bytes]) -> None:
    """kill -9 the worker's whole process group: no shutdown, no ack, no cleanup."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def worker_stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker_kill(worker)


def queue_new() -> str:
    """A fresh queue name: no other worker can take the test's tasks."""
    return f"test-{uuid.uuid4().hex[:8]}"


@contextmanager
def celery_worker(**extra_env: str) -> Iterator[str]:
    """Start a worker consuming a fresh queue (no other worker can take the test's task); yield the queue.

    ``extra_env`` adds settings the worker needs, e.g. ``WECOM_API_BASE_URL`` of a test's sandbox.
    """
    queue = queue_new()
    worker = worker_start(queue, **extra_env)
    try:
        yield queue
    finally:
        worker_stop(worker)


@contextmanager
def task_routed(task: Task, queue: str) -> Iterator[None]:
    """Send ``task`` to ``queue`` however it is enqueued (e.g. by a view's on_commit).

    A task's own ``queue`` option outranks CELERY_TASK_ROUTES, and Celery caches a
    task's options on first use: both are set for the duration, then restored.
    """
    had_queue = "queue" in task.__dict__
    saved = task.__dict__.get("queue"), task._exec_options
    task.queue, task._exec_options = queue, None
    try:
        yield
    finally:
        if had_queue:
            task.queue = saved[0]
        else:
            del task.queue
        task._exec_options = saved[1]
