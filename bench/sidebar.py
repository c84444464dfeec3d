"""The sidebar's customer card and the 360 API under load, over real HTTP, as RMs.

    BENCH_ONLY=sidebar_load make bench     # BENCH_SIDEBAR_RATE=100, BENCH_SIDEBAR_SECONDS=20

Gunicorn serves the product (``scrm.wsgi``, DEBUG off) against the bench database. Up to
100 RMs (``BENCH_SIDEBAR_RMS``), each signed in with a session of their own, ask for one
of their own customers: the sidebar card of a WeCom contact they serve
(``/sidebar/contact/<external_userid>/``) and ``/api/customers/<no>/360/``.

Two loads, for each endpoint:

- **open loop** at ``BENCH_SIDEBAR_RATE`` requests/s (100: a hundred RMs asking once a
  second) for ``BENCH_SIDEBAR_SECONDS``: requests leave on a fixed schedule whatever the
  answers do, and each latency counts from its scheduled start, so a slow server shows as
  queueing instead of hiding it (no coordinated omission). Target: p99 ≤ 50 ms.
- **saturated**: ``BENCH_SIDEBAR_CONNECTIONS`` (100) closed-loop keep-alive connections for
  ``BENCH_SIDEBAR_SATURATE_SECONDS``; requests/s answered. Target: ≥ 600 requests/s.

The client shares the machine's 2 cores with gunicorn, PostgreSQL and Redis, so its own
CPU counts against the server here.
"""

from __future__ import annotations

import http.client
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.server import free_port, gunicorn_start, gunicorn_stop
from bench.stats import percentile

RATE = float(os.environ.get("BENCH_SIDEBAR_RATE", "100"))
SECONDS = float(os.environ.get("BENCH_SIDEBAR_SECONDS", "20"))
RMS = int(os.environ.get("BENCH_SIDEBAR_RMS", "100"))
CONNECTIONS = int(os.environ.get("BENCH_SIDEBAR_CONNECTIONS", "100"))
SATURATE_SECONDS = float(os.environ.get("BENCH_SIDEBAR_SATURATE_SECONDS", "10"))
SERVER_WORKERS = int(os.environ.get("BENCH_SIDEBAR_SERVER_WORKERS", str((os.cpu_count() or 2) * 2)))
SERVER_THREADS = int(os.environ.get("BENCH_SIDEBAR_SERVER_THREADS", "4"))
TARGET_P99_MS = 50.0
TARGET_RATE = 600.0


@dataclass(frozen=True)
class Ask:
    """One RM's request: their session cookie and a path to one of their own customers."""

    cookie: str
    path: str


def _asks() -> dict[str, list[Ask]]:
    """For each RM with a served contact: a session, the contact's card and the customer's 360."""
    from django.conf import settings
    from django.db.models import F
    from django.test import Client

    from channels.models import FollowRelation, RelationStatus
    from scrm.org.models import Role, StaffStatus

    relations = (
        FollowRelation.objects.filter(
            status=RelationStatus.ACTIVE,
            staff__role=Role.RM,
            staff__status=StaffStatus.ACTIVE,
            staff__user__isnull=False,
            contact__customer__owner_id=F("staff_id"),
        )
        .select_related("staff__user", "contact__customer")
        .order_by("staff_id", "id")
        .distinct("staff_id")[:RMS]
    )
    asks: dict[str, list[Ask]] = {"sidebar_card": [], "customer_360": []}
    for relation in relations:
        client = Client()
        client.force_login(relation.staff.user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        asks["sidebar_card"].append(Ask(cookie, f"/sidebar/contact/{relation.contact.external_userid}/"))
        asks["customer_360"].append(Ask(cookie, f"/api/customers/{relation.contact.customer.customer_no}/360/"))
    return asks


class _Connections:
    """Keep-alive connections to the server, one per thread at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: queue.SimpleQueue[http.client.HTTPConnection] = queue.SimpleQueue()

    def get(self, ask: Ask) -> int:
        try:
            connection = self.idle.get_nowait()
        except queue.Empty:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", ask.path, headers={"Cookie": ask.cookie, "Accept-Language": "zh-hans"})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            return 599
        self.idle.put(connection)
        return response.status


def _open_loop(connections: _Connections, asks: list[Ask]) -> dict[str, object]:
    total = int(RATE * SECONDS)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    started = time.perf_counter()

    def one(index: int) -> None:
        scheduled = started + index / RATE
        status = connections.get(asks[index % len(asks)])
        elapsed = (time.perf_counter() - scheduled) * 1000
        with lock:
            latencies.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1

    with ThreadPoolExecutor(max_workers=64) as pool:
        for index in range(total):
            delay = started + index / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, index)
    wall = time.perf_counter() - started
    return {
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "requests": len(latencies),
        "offered_per_s": RATE,
        "achieved_per_s": round(len(latencies) / wall, 1),
        "statuses": statuses,
    }


def _saturated(connections: _Connections, asks: list[Ask]) -> dict[str, object]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.perf_counter() + SATURATE_SECONDS

    def loop(offset: int) -> None:
        index = offset
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            status = connections.get(asks[index % len(asks)])
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
            index += CONNECTIONS

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(offset,)) for offset in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "connections": CONNECTIONS,
        "statuses": statuses,
    }


def measure() -> list[dict[str, object]]:
    asks = _asks()
    if not asks["sidebar_card"]:
        raise RuntimeError("no RM serves a WeCom contact of their own customer: seed contacts first")
    port = free_port()
    server = gunicorn_start("scrm.wsgi:application", port, workers=SERVER_WORKERS, threads=SERVER_THREADS)
    measurements: list[dict[str, object]] = []
    try:
        connections = _Connections(port)
        for name, endpoint_asks in asks.items():
            for ask in endpoint_asks[:5]:  # each worker's first request (imports, templates) is not the cost
                connections.get(ask)
            opened = _open_loop(connections, endpoint_asks)
            saturated = _saturated(connections, endpoint_asks)
            server_setup = f"gunicorn {SERVER_WORKERS} workers x {SERVER_THREADS} threads (gthread)"
            common = {"rms": len(endpoint_asks), "server": server_setup}
            p99 = float(opened["p99_ms"])  # type: ignore[arg-type]
            rate = float(saturated["requests_per_s"])  # type: ignore[arg-type]
            measurements += [
                {
                    "name": f"{name}_open_loop_{RATE:.0f}_per_s",
                    "value": p99,
                    "unit": "ms p99",
                    "target": f"p99 ≤ {TARGET_P99_MS:.0f} ms at {RATE:.0f} requests/s (issue 13)",
                    "met": p99 <= TARGET_P99_MS and set(opened["statuses"]) == {200},  # type: ignore[arg-type]
                    "detail": opened | common,
                },
                {
                    "name": f"{name}_saturated",
                    "value": rate,
                    "unit": "req/s",
                    "target": f"≥ {TARGET_RATE:.0f} requests/s (issue 13)",
                    "met": rate >= TARGET_RATE and set(saturated["statuses"]) == {200},  # type: ignore[arg-type]
                    "detail": saturated | common,
                },
            ]
    finally:
        gunicorn_stop(server)
    return measurements
