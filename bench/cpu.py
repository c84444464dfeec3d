"""CPU seconds spent by the bench's own processes and by the PostgreSQL server, from /proc (Linux).

On a shared machine wall-clock time depends on what else runs; CPU seconds do much less,
so sections report both, and where the time went: in the bench's processes (workers) or
in the database server (every backend, plus the writer, WAL writer and autovacuum).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as handle:
        text = handle.read()
    return text[text.rindex(")") + 2 :].split()  # fields from the state on; the name may hold spaces


def _own_and_reaped(pid: int) -> float:
    fields = _stat(pid)  # utime, stime, cutime, cstime are fields 14-17 of the line (11-14 here)
    return sum(int(value) for value in fields[11:15]) / _TICKS


def _own(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICKS


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine (else None)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        parent = int(_stat(backend)[1])
        return parent if "postgres" in open(f"/proc/{parent}/comm").read() else None
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def postgres_cpu_seconds(postmaster: int | None) -> float | None:
    """CPU the server has used so far: the postmaster, its exited children and its live ones."""
    if postmaster is None:
        return None
    total = _own_and_reaped(postmaster)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat(int(entry))[1]) == postmaster:
                    total += _own(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue  # gone meanwhile
    return total


def bench_cpu_seconds() -> float:
    """CPU of this process and of its children that have exited (worker pools once shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class CpuSplit:
    """CPU seconds between ``start()`` and ``stop()``: the bench's processes and PostgreSQL's."""

    postmaster: int | None = None
    _bench: float = 0.0
    _postgres: float | None = None
    bench_seconds: float = 0.0
    postgres_seconds: float | None = None

    def start(self) -> CpuSplit:
        self.postmaster = postmaster_pid()
        self._bench, self._postgres = bench_cpu_seconds(), postgres_cpu_seconds(self.postmaster)
        return self

    def stop(self) -> CpuSplit:
        self.bench_seconds = round(bench_cpu_seconds() - self._bench, 1)
        now = postgres_cpu_seconds(self.postmaster)
        self.postgres_seconds = None if now is None or self._postgres is None else round(now - self._postgres, 1)
        return self

    def as_detail(self, wall_seconds: float) -> dict[str, object]:
        postgres = self.postgres_seconds or 0.0
        total = self.bench_seconds + postgres
        return {
            "cpu_seconds_bench_processes": self.bench_seconds,
            "cpu_seconds_postgres": self.postgres_seconds,
            "postgres_share_of_cpu": round(postgres / total, 2) if total else None,
            "cores_busy_on_average": round(total / wall_seconds, 2) if wall_seconds else None,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        }
