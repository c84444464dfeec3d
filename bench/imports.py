"""The customer import's time, stage by stage (``BENCH_ONLY=import_stages``).

Runs the same import as the ``import`` section (``BENCH_IMPORT_ROWS`` new customers from
CSV, all or nothing) with timers around each stage of the product's own code: reading,
trimming, validation, sealing, the stage's ``COPY``, the whole-file checks, the upsert
statement and the commit. Besides wall time it reads the CPU seconds of this process and
of its PostgreSQL backend from ``/proc``: on a shared, loaded machine the wall time of a
stage swings threefold between runs, its CPU time much less.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu() -> float:
    from django.db import connection

    if connection.connection is None:
        return 0.0
    fields = Path(f"/proc/{connection.connection.info.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


class _Stages:
    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}

    def clock(self) -> tuple[float, float, float]:
        return time.perf_counter(), time.process_time(), _backend_cpu()

    def add(self, stage: str, started: tuple[float, float, float]) -> None:
        totals = self.seconds.setdefault(stage, [0.0, 0.0, 0.0])
        for position, (now, then) in enumerate(zip(self.clock(), started, strict=True)):
            totals[position] += now - then

    def timed(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = self.clock()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(stage, started)

        return timed


def measure() -> list[dict[str, object]]:
    from bench import run
    from customers.imports import reading, services, staging

    stages = _Stages()
    patched: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)
        patched.append((owner, name, original))
        setattr(owner, name, stages.timed(stage, original))

    original_chunks = reading.Extract.chunks

    def chunks(self: reading.Extract, *args: Any, **kwargs: Any) -> Iterator[reading.Chunk]:
        produced = original_chunks(self, *args, **kwargs)
        while True:
            started = stages.clock()
            chunk = next(produced, None)
            stages.add("read CSV", started)
            if chunk is None:
                return
            yield chunk

    patch(services, "cells_tidy", "trim cells")
    patch(staging, "_sealed_pii_of", "look up the customers already stored")
    patch(staging, "_seal_names", "seal names")
    patch(staging, "_seal_indexed", "seal phones and ID numbers, blind indexes")
    patch(staging, "surname_index_many", "surname index")
    patch(staging, "_copy", "COPY into the stage")
    patch(staging.Staging, "add", "stage a chunk (all of the above but reading)")
    patch(staging.Staging, "loaded", "whole-file checks")
    patch(staging.Staging, "reject_repeated_keys", "whole-file checks")
    patch(staging.CustomerStaging, "upsert", "upsert statement")
    patch(services, "_job_complete", "write transaction (upsert, outcome, commit)")
    patch(services, "import_job_run", "job")
    checks = dict(services.CHECKS)
    services.CHECKS.update({kind: stages.timed("validate", check) for kind, check in checks.items()})
    reading.Extract.chunks = chunks  # type: ignore[method-assign]
    try:
        imported = run.bench_import()
    finally:
        reading.Extract.chunks = original_chunks  # type: ignore[method-assign]
        services.CHECKS.update(checks)
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)

    seconds = stages.seconds
    write, upsert = seconds["write transaction (upsert, outcome, commit)"], seconds["upsert statement"]
    seconds["commit (deferred checks) and outcome"] = [whole - part for whole, part in zip(write, upsert, strict=True)]
    del seconds["write transaction (upsert, outcome, commit)"]
    measurements = [
        {
            "name": f"import stage: {stage}",
            "value": round(wall, 2),
            "unit": "s",
            "target": "",
            "met": None,
            "detail": {"python_cpu_s": round(python, 2), "database_cpu_s": round(database, 2)},
        }
        for stage, (wall, python, database) in sorted(seconds.items(), key=lambda item: -item[1][0])
    ]
    return [{key: getattr(measurement, key) for key in vars(measurement)} for measurement in imported] + measurements
