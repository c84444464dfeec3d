"""The read replica (scrm.core.db_routing) on the embedded server: what its checks cost, how far it lags.

Starts the embedded hot standby (``scrm.embedded.ensure_replica``), points a ``replica`` alias
at the bench database on it, and measures:

* the router's health check (one query on the replica), p50/p99 — what a heavy read pays
  at most every ``DATABASE_REPLICA_CHECK_SECONDS``;
* commit on the primary → replayed on the replica, p50/p99/max, idle: what the
  read-your-writes wait (``CATCH_UP_WAIT_SECONDS``) must cover;
* the lag the router reports while the primary writes ``BENCH_REPLICA_LOAD_ROWS`` rows in
  big transactions, and how long after the last commit the replica has it all;
* head office's cold home figures on the primary and on the replica (same machine, so the
  same order of time: the gain of a replica is the primary's cores it leaves free).

Figures from this machine are from 2 shared cores, primary and replica on the same disk.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from pathlib import Path

from bench.stats import percentile

LOAD_ROWS = int(os.environ.get("BENCH_REPLICA_LOAD_ROWS", "2000000"))
CHECKS = 2000
COMMITS = 300


def _alias_on_replica(var_dir: Path) -> None:
    from django.db import DEFAULT_DB_ALIAS, connections

    from scrm.core.db_routing import REPLICA_DB_ALIAS
    from scrm.embedded import REPLICA_DIRECTORY, REPLICA_PORT

    settings_dict = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    settings_dict |= {"HOST": str(var_dir / REPLICA_DIRECTORY), "PORT": str(REPLICA_PORT)}
    connections.settings[REPLICA_DB_ALIAS] = settings_dict


def _replayed(primary: object, replica: object) -> None:
    with primary.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (lsn,) = cursor.fetchone()
    with replica.cursor() as cursor:  # type: ignore[attr-defined]
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return


def measure() -> list[dict[str, object]]:
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, connections

    from analytics.selectors import home_figures, home_figures_forget
    from scrm.core import db_routing
    from scrm.embedded import ensure_replica
    from scrm.org.models import Role, Staff, StaffStatus

    var_dir = Path(settings.VAR_DIR).resolve()
    started = time.perf_counter()
    ensure_replica(var_dir, timeout=600)
    start_seconds = time.perf_counter() - started
    _alias_on_replica(var_dir)
    primary, replica = connections[DEFAULT_DB_ALIAS], connections[db_routing.REPLICA_DB_ALIAS]
    _replayed(primary, replica)

    checks = []
    for _ in range(CHECKS):
        began = time.perf_counter()
        db_routing.replica_state(max_age=0)
        checks.append((time.perf_counter() - began) * 1000)

    with primary.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_replica_probe")
        cursor.execute("CREATE TABLE bench_replica_probe (id bigserial PRIMARY KEY, payload text)")
    delays = []
    for _ in range(COMMITS):
        with primary.cursor() as cursor:
            cursor.execute("INSERT INTO bench_replica_probe (payload) VALUES ('x')")
        began = time.perf_counter()
        _replayed(primary, replica)
        delays.append((time.perf_counter() - began) * 1000)

    lags: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        try:
            while not stop.is_set():
                state = db_routing.replica_state(max_age=0)
                lags.append(state.lag_seconds or 0.0)
                time.sleep(0.05)
        finally:
            connections.close_all()

    watcher = threading.Thread(target=watch)
    watcher.start()
    began = time.perf_counter()
    batch = max(1, LOAD_ROWS // 10)
    for _ in range(10):
        with primary.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_replica_probe (payload) SELECT repeat('y', 100) FROM generate_series(1, %s)",
                [batch],
            )
    load_seconds = time.perf_counter() - began
    began = time.perf_counter()
    _replayed(primary, replica)
    catch_up_ms = (time.perf_counter() - began) * 1000
    stop.set()
    watcher.join()
    with primary.cursor() as cursor:
        cursor.execute("DROP TABLE bench_replica_probe")

    hq = Staff.objects.filter(role=Role.HQ_ADMIN, status=StaffStatus.ACTIVE, user__isnull=False).first()
    cold: dict[str, float] = {}
    if hq is not None:
        for where in ("primary", "replica"):
            samples = []
            for _ in range(3):
                home_figures_forget(user=hq.user)
                db_routing.replica_writes_forget()
                db_routing.replica_state_forget()
                began = time.perf_counter()
                if where == "primary":
                    with db_routing.reads_from_primary():
                        home_figures(user=hq.user)
                else:
                    home_figures(user=hq.user)
                samples.append((time.perf_counter() - began) * 1000)
            cold[where] = round(percentile(samples, 0.5), 1)

    return [
        {
            "name": "replica_health_check",
            "value": round(percentile(checks, 0.99), 3),
            "unit": "ms p99",
            "target": "cheap enough to run every couple of seconds",
            "met": None,
            "detail": {"p50_ms": round(percentile(checks, 0.5), 3), "checks": CHECKS},
        },
        {
            "name": "replica_commit_to_replayed",
            "value": round(percentile(delays, 0.99), 2),
            "unit": "ms p99",
            "target": f"within the read-your-writes wait ({db_routing.CATCH_UP_WAIT_SECONDS * 1000:.0f} ms)",
            "met": percentile(delays, 0.99) <= db_routing.CATCH_UP_WAIT_SECONDS * 1000,
            "detail": {
                "p50_ms": round(percentile(delays, 0.5), 2),
                "max_ms": round(max(delays), 2),
                "commits": COMMITS,
                "replica_start_seconds": round(start_seconds, 1),
            },
        },
        {
            "name": "replica_lag_under_bulk_write",
            "value": round(max(lags, default=0.0), 2),
            "unit": "s max",
            "target": f"below DATABASE_REPLICA_MAX_LAG_SECONDS ({settings.DATABASE_REPLICA_MAX_LAG_SECONDS:g} s)",
            "met": max(lags, default=0.0) < settings.DATABASE_REPLICA_MAX_LAG_SECONDS,
            "detail": {
                "rows_written": batch * 10,
                "write_seconds": round(load_seconds, 1),
                "lag_p50_s": round(percentile(lags, 0.5), 2) if lags else None,
                "samples": len(lags),
                "replayed_after_last_commit_ms": round(catch_up_ms, 0),
                "hq_home_figures_cold_ms": cold,
            },
        },
    ]
