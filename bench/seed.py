"""Seeding the bench database fast: millions of customers with holdings, WeCom contacts and relations.

``seed_demo`` (``customers.demo``) stays the product's way to make a demo bank: one
transaction, one process, every index kept up to date row by row. That costs about a
minute per million and grows with the table (8.8 M onto 1.2 M took 812 s, mostly
random inserts into the blind-index btrees once they outgrow the cache). The bench
needs 10 M in minutes, so here, for the bench database only:

* the demo bank itself (organisation, catalogue) still comes from ``seed_demo``;
* the customers and holdings are drawn by ``customers.demo.DemoCustomerDrawer``, the same
  generator ``seed_demo`` uses (names, phones, GB 11643 ID numbers, PII sealed by
  ``scrm.pii``), in ``BENCH_SEED_WORKERS`` processes side by side, each COPYing its own
  chunks on its own connection and issuing ID numbers from its own share of the slots;
* WeCom contacts (60 % of owned customers, matched to their customer) and one live
  relation with the owner RM each are written set-based by PostgreSQL, one statement
  per id range, two ranges side by side;
* when a load adds at least half of what the tables hold, their secondary indexes,
  unique keys and foreign keys are dropped first and rebuilt after (rebuilding re-checks
  every unique and foreign key, so nothing is trusted that PostgreSQL did not check);
  the statements to rebuild them are kept in a table of the bench database, so an
  interrupted seed repairs itself on the next run;
* then VACUUM ANALYZE.

This bypasses what the product's write path guarantees row by row (one transaction, the
advisory lock, checks as rows arrive), which is why it lives in ``bench/`` and not in the
``customers`` app: it is right only for a database nobody else writes to while it runs.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from bench.cpu import CpuSplit

CHUNK = 100_000
CONTACT_PERCENT = 60  # of owned customers, by a hash of the id
WORKERS = int(os.environ.get("BENCH_SEED_WORKERS", str(os.cpu_count() or 2)))
# Drop and rebuild the secondary indexes when the load adds at least this share of what the tables hold:
# measured at 1.3 M, keeping the indexes up to date cost ~50 s per million added, rebuilding ~18 s per million held.
REBUILD_WHEN_GROWING_BY = 0.5
KEPT = "bench_seed_dropped"  # statements that rebuild what was dropped, in order


def _tables() -> dict[str, str]:
    from channels.models import ExternalContact, FollowRelation
    from customers.models import Customer, ProductHolding

    return {
        "customers": Customer._meta.db_table,
        "holdings": ProductHolding._meta.db_table,
        "contacts": ExternalContact._meta.db_table,
        "relations": FollowRelation._meta.db_table,
    }


def _connect() -> Any:
    import psycopg
    from django.db import connection

    return psycopg.connect(**connection.get_connection_params(), autocommit=True)


# --- Indexes dropped around the load ----------------------------------------------------

_SECONDARY = """
    SELECT conrelid::regclass::text, quote_ident(conname), contype, pg_get_constraintdef(oid),
           CASE contype WHEN 'u' THEN pg_get_indexdef(conindid) END
    FROM pg_constraint WHERE conrelid = %(table)s::regclass AND contype IN ('u', 'f')
    UNION ALL
    SELECT %(table)s, i.indexrelid::regclass::text, 'i', pg_get_indexdef(i.indexrelid), NULL
    FROM pg_index i
    WHERE i.indrelid = %(table)s::regclass AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('u', 'p', 'x'))
"""
# Rebuilt in stages; within the parallel ones, statements run side by side on WORKERS connections:
# 0 every index, unique ones included (CREATE INDEX takes a lock other builds share), in parallel;
# 1 the unique constraints adopt their index (instant); 2 the foreign keys come back NOT VALID
# (instant); 3 each is validated (one anti-join; the lock it takes lets other validations run).
_PARALLEL_STAGES = {0, 3}


def _rebuild_statements(
    table: str, name: str, kind: str, definition: str, unique_index: str | None
) -> list[tuple[int, str]]:
    if kind == "i":
        return [(0, definition)]
    if kind == "u" and "DEFERRABLE" not in definition and unique_index:
        return [(0, unique_index), (1, f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}")]
    if kind == "u":
        return [(1, f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")]
    return [
        (2, f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID"),
        (3, f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}"),
    ]


def _run_kept(position: int, statement: str) -> float:
    started = time.perf_counter()
    with _connect() as connection:
        connection.execute(statement)
        connection.execute(f"DELETE FROM {KEPT} WHERE position = %s", [position])  # noqa: S608 - our own table
    return round(time.perf_counter() - started, 2)


def _restore_dropped(connection: Any) -> dict[str, float]:
    """Rebuild whatever an earlier seed dropped, stage by stage; seconds per statement."""
    connection.execute(f"CREATE TABLE IF NOT EXISTS {KEPT} (position serial, stage int, statement text)")
    ordered = f"SELECT stage, position, statement FROM {KEPT} ORDER BY stage, position"  # noqa: S608
    kept = connection.execute(ordered).fetchall()
    seconds: dict[str, float] = {}
    for stage in sorted({row[0] for row in kept}):
        statements = [(position, statement) for row_stage, position, statement in kept if row_stage == stage]
        width = WORKERS if stage in _PARALLEL_STAGES else 1
        with ThreadPoolExecutor(max_workers=width) as pool:
            for (_, statement), taken in zip(
                statements, pool.map(lambda row: _run_kept(*row), statements), strict=True
            ):
                seconds[statement] = taken
    return seconds


def _drop_secondary(connection: Any, tables: list[str]) -> int:
    """Drop the tables' secondary indexes, unique keys and foreign keys, keeping what rebuilds them."""
    with connection.transaction():
        found = [row for table in tables for row in connection.execute(_SECONDARY, {"table": table})]
        for row in found:
            for stage, statement in _rebuild_statements(*row):
                connection.execute(f"INSERT INTO {KEPT} (stage, statement) VALUES (%s, %s)", [stage, statement])  # noqa: S608
        # Foreign keys first: a unique key may be what one of them leans on.
        for table, name, kind, _, _ in sorted(found, key=lambda row: row[2] != "f"):
            connection.execute(f"DROP INDEX {name}" if kind == "i" else f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    return len(found)


# --- Customers and holdings, in worker processes -------------------------------------------


def _load_part(part: int, parts: int, seed: int, chunks: list[tuple[int, int]]) -> tuple[int, int]:
    """Draw and COPY this process's chunks (first serial, size); customers and holdings written."""
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from customers.demo import DemoCustomerDrawer, demo_customer_ids_reserve

    drawer = DemoCustomerDrawer(seed=[seed, part], today=timezone.localdate(), part=part, parts=parts)
    customers = holdings = 0
    for first_serial, size in chunks:
        with transaction.atomic(), connection.cursor() as django_cursor:
            cursor = django_cursor.connection.cursor()  # psycopg's own, for COPY
            ids = demo_customer_ids_reserve(cursor, count=size)
            holdings += drawer.copy(cursor, ids=ids, first_serial=first_serial)
            customers += size
    return customers, holdings


def _load_customers(count: int, seed: int, first_serial: int) -> tuple[int, int]:
    chunks = [(first_serial + start, min(CHUNK, count - start)) for start in range(0, count, CHUNK)]
    parts = max(1, min(WORKERS, len(chunks)))
    with ProcessPoolExecutor(max_workers=parts, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_load_part, part, parts, seed, chunks[part::parts]) for part in range(parts)]
        done = [future.result() for future in futures]
    return sum(c for c, _ in done), sum(h for _, h in done)


# --- Contacts and relations, set-based -----------------------------------------------------


def _link_range(first_id: int, last_id: int) -> int:
    """A matched WeCom contact for CONTACT_PERCENT % of the owned customers in the range, with its relation.

    One statement: the contacts' INSERT hands its new ids straight to the relations'
    (no second look for them in the contact table, whose indexes may be gone).
    """
    tables = _tables()
    with _connect() as connection:
        return connection.execute(
            f"""WITH linked AS (
                    SELECT c.id, c.gender, c.opened_on, s.id AS staff_id, s.wecom_userid
                    FROM {tables["customers"]} c JOIN org_staff s ON s.id = c.owner_id
                    WHERE c.id BETWEEN %(first)s AND %(last)s AND s.wecom_userid IS NOT NULL
                      AND (c.id * 2654435761) %% 100 < %(percent)s
                ), contacts AS (
                    INSERT INTO {tables["contacts"]} (external_userid, name, contact_type, avatar, gender, corp_name,
                        unionid, customer_id, match_method, matched_at, created_at, updated_at)
                    SELECT 'wmSEED' || lpad(to_hex(l.id), 12, '0'), '', 1, '',
                           CASE l.gender WHEN 'M' THEN 1 WHEN 'F' THEN 2 ELSE 0 END, '',
                           'oSEED' || lpad(to_hex(l.id), 12, '0'), l.id, 'self_verified', now(), now(), now()
                    FROM linked l
                    RETURNING id, customer_id
                )
                -- Added some time between the customer's opening (at most ~4 years ago) and now;
                -- welcomed a minute later.
                INSERT INTO {tables["relations"]} (contact_id, userid, staff_id, remark, description, add_way, state,
                    status, added_at, welcomed_at, deleted_by, mirrored_tag_ids, updated_at)
                SELECT x.id, l.wecom_userid, l.staff_id, '', '', 1, '', 'active', a.added,
                       a.added + interval '1 minute', '', '{{}}', now()
                FROM contacts x JOIN linked l ON l.id = x.customer_id
                CROSS JOIN LATERAL (
                    SELECT greatest(l.opened_on, current_date - 1500)::timestamptz
                           + (now() - greatest(l.opened_on, current_date - 1500)::timestamptz)
                             * ((l.id * 40503) %% 1000 / 1000.0) AS added
                ) a""",  # noqa: S608 - the models' own tables
            {"first": first_id, "last": last_id, "percent": CONTACT_PERCENT},
        ).rowcount


def _link(first_id: int, last_id: int) -> int:
    step = max(1, (last_id - first_id + 1 + WORKERS - 1) // WORKERS)
    ranges = [(start, min(last_id, start + step - 1)) for start in range(first_id, last_id + 1, step)]
    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        return sum(pool.map(lambda bounds: _link_range(*bounds), ranges))


# --- The whole seed ------------------------------------------------------------------------


class _Step:
    """Wall and CPU seconds (bench processes, PostgreSQL) of one step of the seed."""

    def __init__(self, steps: dict[str, object], name: str) -> None:
        self._steps, self._name = steps, name
        self._started, self._cpu = time.perf_counter(), CpuSplit().start()

    def next(self, name: str | None) -> _Step:
        self._cpu.stop()
        self._steps[self._name] = {
            "wall": round(time.perf_counter() - self._started, 1),
            "cpu_bench": self._cpu.bench_seconds,
            "cpu_postgres": self._cpu.postgres_seconds,
        }
        return _Step(self._steps, name) if name else self


def _rows(connection: Any, table: str) -> int:
    # The planner's estimate is enough to decide on a rebuild, and free at 10 M.
    estimate = connection.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
    return max(0, estimate.fetchone()[0])


def seed_customers(count: int, *, seed: int = 20261123) -> dict[str, object]:
    """Grow the bench database to ``count`` customers (a no-op when it holds that many); what it did, timed."""
    from django.core.management import call_command

    from customers.demo import demo_next_customer_serial
    from customers.models import Customer
    from scrm.org.demo import demo_org_exists

    call_command("migrate", verbosity=0)
    tables = _tables()
    with _connect() as connection:
        repaired = _restore_dropped(connection)
        existing = Customer.objects.count()
        if existing >= count:
            return {"customers": existing, "seeded_now": 0}
        started = time.perf_counter()
        cpu = CpuSplit().start()
        steps: dict[str, object] = {}
        if repaired:
            steps["rebuilt_after_an_interrupted_seed"] = round(sum(repaired.values()), 1)
        if not demo_org_exists():
            call_command("seed_demo", customers=0, seed=seed, stdout=io.StringIO())  # its report is not the bench's
        adding = count - existing
        rebuild = adding >= REBUILD_WHEN_GROWING_BY * max(1, _rows(connection, tables["customers"]))
        step = _Step(steps, "drop_indexes")
        dropped = _drop_secondary(connection, list(tables.values())) if rebuild else 0

        step = step.next("customers_and_holdings")
        first_id = connection.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {tables['customers']}").fetchone()[0]  # noqa: S608
        added, holdings = _load_customers(adding, seed + existing, demo_next_customer_serial())
        last_id = connection.execute(f"SELECT max(id) FROM {tables['customers']}").fetchone()[0]  # noqa: S608

        step = step.next("contacts_and_relations")
        contacts = _link(first_id, last_id)

        step = step.next("rebuild_indexes_and_keys")
        rebuilt = _restore_dropped(connection)

        step = step.next("vacuum_analyze")
        for table in tables.values():
            connection.execute(f"VACUUM ANALYZE {table}")
        step.next(None)
    seconds = time.perf_counter() - started
    cpu.stop()
    return {
        "customers": existing + added,
        "seeded_now": added,
        "holdings_now": holdings,
        "contacts_now": contacts,
        "seed_seconds": round(seconds, 1),
        "seconds_per_million": round(seconds * 1_000_000 / added, 1),
        "seed_workers": WORKERS,
        "indexes_and_keys_rebuilt": dropped,
        "slowest_rebuilds_seconds": dict(sorted(rebuilt.items(), key=lambda item: -item[1])[:8]),
        "steps_seconds": steps,
        **cpu.as_detail(seconds),
    }
