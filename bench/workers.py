"""One bulk batch with one worker process, then with two sharing its id ranges: the speed-up, and what bounds it.

The batch is a full re-evaluation of the bench's 20 tag rules (``tag_rules``' rules, in
steady state) over the seeded customers, split into id ranges as ``tag_rule_run_start``
splits it for the ``bulk`` queue. The worker processes are separate, already-running
interpreters with their own database connections, as Celery workers are, and take the
next range whenever they are free, as workers do from a queue. Each count of workers
runs ``BENCH_WORKERS_ROUNDS`` times (default 2), alternating, and the fastest is kept:
on a machine others share, the slow runs are the ones something else interfered with.

What bounds the speed-up is reported alongside: the CPU seconds the worker processes
and the PostgreSQL server spent (from /proc, bench/cpu.py), how many cores that kept
busy on average, and the machine's load average. The database shares the same cores,
so on this machine two workers can at most use the two cores, whoever does the work.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench.cpu import CpuSplit

ROUNDS = int(os.environ.get("BENCH_WORKERS_ROUNDS", "2"))
RANGES_PER_RUN = 16  # enough ranges for two workers to share evenly, few enough that each is a real batch


def _setup() -> None:
    import django

    django.setup()


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_setup)


def _evaluate(range_id: int) -> float:
    """Evaluate one range in this worker process; the CPU seconds the process spent on it."""
    from customers.tagging.services import tag_rule_range_evaluate

    started = time.process_time()
    tag_rule_range_evaluate(range_id=range_id)
    return time.process_time() - started


def _ensure_steady_rules() -> None:
    """The tag_rules section's rules, applied once, so the timed runs write only differences."""
    from bench.run import _ensure_rules
    from customers.models import TagRuleRun
    from customers.tagging.services import tag_rule_run_start

    _ensure_rules()
    run = tag_rule_run_start(range_size=_range_size())
    with _pool(2) as pool:
        list(pool.map(_evaluate, run.ranges.values_list("id", flat=True), chunksize=1))
    assert TagRuleRun.objects.get(pk=run.pk).ranges_done == run.ranges_total


def _range_size() -> int:
    from django.db.models import Max, Min

    from customers.models import Customer

    bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
    return max(10_000, -(-(bounds["high"] - bounds["low"] + 1) // RANGES_PER_RUN))


def _timed(pool: ProcessPoolExecutor, workers: int) -> dict[str, Any]:
    from customers.models import TagRuleRun
    from customers.tagging.services import tag_rule_run_start

    run = tag_rule_run_start(range_size=_range_size())
    range_ids = list(run.ranges.order_by("start_id").values_list("id", flat=True))
    cpu = CpuSplit().start()
    started = time.perf_counter()
    worker_cpu = sum(pool.map(_evaluate, range_ids, chunksize=1))
    seconds = time.perf_counter() - started
    cpu.stop()
    run = TagRuleRun.objects.get(pk=run.pk)
    postgres = cpu.postgres_seconds
    total = worker_cpu + (postgres or 0.0)
    return {
        "workers": workers,
        "seconds": round(seconds, 2),
        "ranges": len(range_ids),
        "ranges_done": run.ranges_done,
        "cpu_seconds_workers": round(worker_cpu, 1),
        "cpu_seconds_postgres": postgres,
        "postgres_share_of_cpu": round(postgres / total, 2) if postgres is not None and total else None,
        "cores_busy_on_average": round(total / seconds, 2) if postgres is not None else None,
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }


def measure() -> list[dict[str, Any]]:
    from customers.models import Customer

    _ensure_steady_rules()
    pools = {count: _pool(count) for count in (1, 2)}
    try:
        for count, pool in pools.items():
            list(pool.map(_setup_done, range(count)))  # interpreters started and Django loaded before timing
        rounds = [_timed(pools[count], count) for _ in range(ROUNDS) for count in (1, 2)]
    finally:
        for pool in pools.values():
            pool.shutdown()
    best = {count: min((r for r in rounds if r["workers"] == count), key=lambda r: r["seconds"]) for count in (1, 2)}
    one, two = best[1], best[2]
    speed_up = one["seconds"] / two["seconds"]
    cores = os.cpu_count() or 1
    busy = two["cores_busy_on_average"]
    bound = (
        f"with two workers {busy} of {cores} cores were busy on average, {two['postgres_share_of_cpu']:.0%} of that "
        f"CPU in PostgreSQL (the rule statements run there), load average {two['load_average_1m_at_end']} at the end"
        if busy is not None and two["postgres_share_of_cpu"] is not None
        else "PostgreSQL is not on this machine: its CPU was not measured"
    )
    common = {"customers": Customer.objects.count(), "rules": 20, "ranges": one["ranges"], "rounds": rounds}
    return [
        {
            "name": "bulk batch (20 rules), 1 worker process",
            "value": one["seconds"],
            "unit": "s",
            "target": "evidence for adding worker hosts; no DESIGN number",
            "met": None,
            "detail": {k: v for k, v in one.items() if k != "workers"},
        },
        {
            "name": "bulk batch (20 rules), 2 worker processes",
            "value": two["seconds"],
            "unit": "s",
            "target": "evidence for adding worker hosts; no DESIGN number",
            "met": None,
            "detail": {k: v for k, v in two.items() if k != "workers"},
        },
        {
            "name": "bulk batch speed-up, 2 workers over 1",
            "value": round(speed_up, 2),
            "unit": "×",
            "target": f"≤ 2× on {cores} cores shared with the database",
            "met": None,
            "detail": {**common, "bound": bound},
        },
    ]


def _setup_done(_: int) -> None:
    """A short wait: mapping it over a pool makes every process start (and run ``_setup``) before timing."""
    time.sleep(0.5)
