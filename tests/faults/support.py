"""What the fault suite does to the real processes: hold a lock, kill, stop and start services, sweep."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from celery import Task
from django.conf import settings
from django.db import connection, connections

from scrm import embedded


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s, still not: {what}")
        time.sleep(every)


@contextmanager
def held(sql: str, params: tuple[object, ...] = ()) -> Iterator[None]:
    """Run ``sql`` (a LOCK or SELECT … FOR UPDATE) in a transaction of another session, held for the block."""
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], dbname=db["NAME"], user=db["USER"]) as other:
        other.execute(sql, params)
        yield
        other.rollback()


def lock_waiters() -> int:
    """Sessions waiting for a lock right now (a worker blocked behind ``held``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        (count,) = cursor.fetchone()
    return int(count)


def sweep_until(sweeps: Task | list[Task], queue: str, done: Callable[[], bool], *, timeout: float, what: str) -> int:
    """Run the sweep task(s) on the worker of ``queue`` as beat would (every minute; here every
    moment) until ``done``. Returns how many rounds it took."""
    tasks = sweeps if isinstance(sweeps, list) else [sweeps]
    deadline = time.monotonic() + timeout
    rounds = 0
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s and {rounds} sweeps, still not: {what}")
        for task in tasks:
            task.apply_async(queue=queue).get(timeout=30)
        rounds += 1
        time.sleep(0.2)
    return rounds


def _pgdata() -> Path:
    return Path(settings.VAR_DIR) / "postgres"


@contextmanager
def postgres_stopped() -> Iterator[None]:
    """The embedded PostgreSQL down for the block (fast shutdown: every session is cut), then up again."""
    connections.close_all()
    embedded._stop_postgres(_pgdata())
    try:
        yield
    finally:
        _start_postgres(_pgdata())
        connections.close_all()


def _start_postgres(pgdata: Path) -> None:
    """``pg_ctl start`` as pgserver starts it: no TCP, the socket in the data directory."""
    from pgserver import _commands  # type: ignore[import-untyped]

    user = "pgserver" if os.geteuid() == 0 else None
    arguments = ["-w", "-o", '-h ""', "-o", f"-k {pgdata}", "-l", str(pgdata / "log"), "start"]
    _commands.pg_ctl(arguments, pgdata=pgdata, user=user, timeout=30)  # type: ignore[attr-defined]


def _redis_dir() -> Path:
    return Path(settings.VAR_DIR) / "redis"


@contextmanager
def redis_stopped() -> Iterator[None]:
    """The embedded Redis down for the block (SIGTERM: it writes its append-only file), then up again."""
    pidfile = _redis_dir() / "redis.pid"
    pid = int(pidfile.read_text().strip())
    embedded._stop_redis(_redis_dir())
    wait_until(lambda: not _alive(pid), timeout=10, what="Redis has exited")
    try:
        yield
    finally:
        embedded._ensure_redis(_redis_dir())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
