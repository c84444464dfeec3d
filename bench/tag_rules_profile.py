"""Where one range of a tag rule run spends its time, on the bench database.

    BENCH_CUSTOMERS=500000 .venv/bin/python -m bench.tag_rules_profile

Seeds nothing: run ``BENCH_ONLY=tag_rules`` once first. Takes the bench's 20 rules and
range size, and for the middle range of a fresh run measures, each in a transaction
that is rolled back, the parts of the range statement one by one (wall time and the
server process's CPU time, which a loaded machine disturbs less), then prints
``EXPLAIN (ANALYZE, BUFFERS)`` of the whole statement.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from bench.run import CUSTOMERS, WORKERS, _configure_environment, _django, _ensure_rules


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    _configure_environment()
    _django()
    _ensure_rules()
    from django.db import connection, transaction
    from django.utils import timezone

    from customers.models import TagRuleRun
    from customers.rules import customer_rows_sql
    from customers.tagging.services import _compile_run, _range_statement, tag_rule_run_start

    range_size = max(50_000, CUSTOMERS // (WORKERS * 4))
    run = tag_rule_run_start(range_size=range_size)
    ranges = list(run.ranges.order_by("start_id"))
    middle = ranges[len(ranges) // 2]
    bounds = (middle.start_id, middle.end_id)
    compiled = _compile_run(run)
    on = run.evaluation_date
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def measured(label: str, work: Callable[[Any], None], before: tuple[str, list[Any]] | None = None) -> None:
        timings = []
        for _ in range(3):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    if before is not None:
                        cursor.execute(*before)
                    cpu, wall = _cpu_seconds(pid), time.perf_counter()
                    work(cursor)
                    timings.append((time.perf_counter() - wall, _cpu_seconds(pid) - cpu))
                transaction.set_rollback(True)
        wall, cpu = min(timings, key=lambda t: t[1])
        print(f"{label:60} wall {wall:6.3f} s   server cpu {cpu:6.3f} s")

    def count(sql: str, params: list[Any]) -> Callable[[Any], None]:
        # count(x) of a row forces every column of it to be computed (count(*) would let the
        # planner drop the feature joins and the CASE expressions).
        return lambda cursor: cursor.execute(f"SELECT count(x) FROM ({sql}) x", params)  # noqa: S608

    print(f"range {bounds} of {len(ranges)}, {len(compiled.conditions)} rules")
    measured(
        "customers of the range",
        count("SELECT c.id FROM customers_customer c WHERE c.id BETWEEN %s AND %s", list(bounds)),
    )
    rows, params = customer_rows_sql(on=on, holdings=True, tags=False, id_range=bounds)
    measured(
        "… with the holdings aggregate",
        count(
            f"SELECT hf.product_types, hf.next_maturity FROM {rows} WHERE c.id BETWEEN %s AND %s",  # noqa: S608
            [*params, *bounds],
        ),
    )
    rows, params = customer_rows_sql(on=on, holdings=False, tags=True, id_range=bounds)
    measured(
        "… with the tags aggregate",
        count(f"SELECT tf.tag_ids FROM {rows} WHERE c.id BETWEEN %s AND %s", [*params, *bounds]),  # noqa: S608
    )
    sql, params = _range_statement(compiled, on=on, bounds=bounds, now=timezone.now())
    evaluated = sql.split("),\nchanged AS")[0].removeprefix("\nWITH evaluated AS (")
    differs = sql.split("changed AS (SELECT * FROM evaluated WHERE ")[1].split(")")[0]
    measured(
        "… all rules evaluated, nothing written",
        count(f"SELECT id FROM ({evaluated}) e WHERE {differs}", params[:-7]),  # noqa: S608
    )
    measured("the range statement (diff and writes)", lambda cursor: cursor.execute(sql, params))
    # The first run: the range's rule tags taken off first (not timed), so that every tag is new.
    forget = (
        "DELETE FROM customers_customertag WHERE customer_id BETWEEN %s AND %s AND tag_id = ANY(%s::bigint[])",
        [*bounds, compiled.rule_tag_ids],
    )
    without_timeline = re.sub(
        r"events AS \(INSERT INTO .*?\)\nSELECT \(SELECT count",
        "events AS (SELECT 1)\nSELECT (SELECT count",
        sql,
        flags=re.S,
    )

    def first_run(statement: str, statement_params: list[Any], *, checks: bool) -> Callable[[Any], None]:
        def work(cursor: Any) -> None:
            if checks:  # the foreign-key checks otherwise wait for a commit that never comes
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(statement, statement_params)

        return work

    for label, work in (
        ("first run: links and timeline events, with the FK checks", first_run(sql, params, checks=True)),
        ("first run: links and timeline events, no FK checks", first_run(sql, params, checks=False)),
        ("first run: links only, no FK checks", first_run(without_timeline, params[:-1], checks=False)),
    ):
        measured(label, work, before=forget)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))
        transaction.set_rollback(True)
    TagRuleRun.objects.filter(pk=run.pk).delete()


if __name__ == "__main__":
    main()
