"""Callback acknowledgement: N signed, encrypted, distinct events through the real endpoint over HTTP.

    BENCH_ONLY=callbacks make bench        # BENCH_CALLBACK_EVENTS=5000, BENCH_CALLBACK_CONCURRENCY=16

The bench starts gunicorn on a free port against the bench database, and a pool of
threads, each with its own keep-alive HTTP connection, posts the events the way WeCom
does (query ``msg_signature/timestamp/nonce``, XML envelope body). Every request does
the whole accept path: signature, decryption, timestamp window, nonce in Redis, the
inbox INSERT, and the task message pushed to Redis. The tasks are routed to a queue of the
bench's own that nobody consumes (so the figure is the acknowledgement alone, and no
development worker picks up ids from another database); the queue and the bench's
inbox rows are deleted afterwards.

Target (issue item 3): ≥ 1,000 events/s acknowledged, p99 ≤ 100 ms. Client and server
share the machine, so the client's own CPU counts against the server here.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.server import free_port, gunicorn_start, gunicorn_stop
from bench.stats import percentile

ROOT = Path(__file__).resolve().parent.parent
EVENTS = int(os.environ.get("BENCH_CALLBACK_EVENTS", "5000"))
CONCURRENCY = int(os.environ.get("BENCH_CALLBACK_CONCURRENCY", "16"))
SERVER_WORKERS = int(os.environ.get("BENCH_CALLBACK_SERVER_WORKERS", str((os.cpu_count() or 2) * 2)))
SERVER_THREADS = int(os.environ.get("BENCH_CALLBACK_SERVER_THREADS", "4"))
WARMUP = 200
IN_PROCESS_EVENTS = 1000
TARGET_RATE = 1000.0
TARGET_P99_MS = 100.0


def wsgi_application() -> Any:
    """Gunicorn factory (``bench.callbacks:wsgi_application()``): the product, tasks on the bench queue."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from channels.callbacks import tasks

    # A task's own queue outranks CELERY_TASK_ROUTES (see tests/support/celery_worker.py).
    tasks.callback_process_task.queue = os.environ["BENCH_CALLBACK_QUEUE"]
    return application


def _event_xml(corp_id: str, run: str, serial: int, create_time: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        "<ChangeType><![CDATA[add_external_contact]]></ChangeType>"
        f"<UserID><![CDATA[bench_rm_{serial % 50}]]></UserID>"
        f"<ExternalUserID><![CDATA[wmBENCH{run}{serial:07d}]]></ExternalUserID>"
        f"<State><![CDATA[bench-{run}]]></State><WelcomeCode><![CDATA[WC{serial}]]></WelcomeCode></xml>"
    )


def _requests(count: int, run: str, first_serial: int) -> list[tuple[str, bytes]]:
    """(path with query, body) per event, signed and encrypted with the configured token and key."""
    from django.conf import settings

    from channels.wecom.crypto import CallbackCrypto

    crypto = CallbackCrypto(
        token=settings.WECOM_CALLBACK_TOKEN,
        encoding_aes_key=settings.WECOM_CALLBACK_AES_KEY,
        receive_id=settings.WECOM_CORP_ID,
    )
    now = int(time.time())
    built = []
    for serial in range(first_serial, first_serial + count):
        signed = crypto.encrypt_callback(
            _event_xml(settings.WECOM_CORP_ID, run, serial, now), timestamp=str(now), nonce=uuid.uuid4().hex[:10]
        )
        query = urlencode({"msg_signature": signed.msg_signature, "timestamp": signed.timestamp, "nonce": signed.nonce})
        built.append((f"/wecom/callback/?{query}", signed.body.encode()))
    return built


def _drive(port: int, requests: list[tuple[str, bytes]], concurrency: int) -> tuple[list[float], dict[int, int], float]:
    """Post every request from ``concurrency`` keep-alive connections; latencies (ms), statuses, wall seconds."""
    shares = [requests[index::concurrency] for index in range(concurrency)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def client(share: list[tuple[str, bytes]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        codes: dict[int, int] = {}
        start.wait()
        for path, body in share:
            began = time.perf_counter()
            connection.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - began) * 1000)
            codes[response.status] = codes.get(response.status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for code, seen in codes.items():
                statuses[code] = statuses.get(code, 0) + seen

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(client, share) for share in shares]
        start.wait()
        began = time.perf_counter()
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - began
    return latencies, statuses, elapsed


def _in_process_ms(count: int, run: str, first_serial: int) -> float:
    """Milliseconds per event through the accept service alone, one at a time, in this process.

    No HTTP, no middleware: what one core spends per event in the product's own code
    plus its PostgreSQL and Redis round trips, for capacity planning.
    """
    from urllib.parse import parse_qs, urlsplit

    from channels.callbacks import services, tasks

    prepared = _requests(count, run, first_serial)
    saved = tasks.callback_process_task.__dict__.get("queue")
    tasks.callback_process_task.queue = os.environ["BENCH_CALLBACK_QUEUE"]
    try:
        began = time.perf_counter()
        for path, body in prepared:
            query = {key: values[0] for key, values in parse_qs(urlsplit(path).query).items()}
            services.callback_receive(
                body=body, msg_signature=query["msg_signature"], timestamp=query["timestamp"], nonce=query["nonce"]
            )
        return (time.perf_counter() - began) * 1000 / count
    finally:
        if saved is None:
            del tasks.callback_process_task.queue
        else:
            tasks.callback_process_task.queue = saved


def _tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants so far (Linux /proc; 0 elsewhere)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(cpu.get(pid, 0.0) for pid in tree)


def measure() -> list[dict[str, Any]]:
    """The two callback measurements, as dicts of bench.run.Measurement's fields."""
    from django.core.management import call_command

    from channels.models import CallbackInbox
    from scrm.core.redis import redis_client

    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:6]
    queue = f"bench-callbacks-{run}"
    port = free_port()
    server = gunicorn_start(
        "bench.callbacks:wsgi_application()",
        port,
        workers=SERVER_WORKERS,
        threads=SERVER_THREADS,
        env={"BENCH_CALLBACK_QUEUE": queue},
    )
    try:
        _drive(port, _requests(WARMUP, run, 0), CONCURRENCY)
        events = _requests(EVENTS, run, WARMUP)
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        server_cpu, client_cpu = _tree_cpu_seconds(server.pid), time.process_time()
        latencies, statuses, elapsed = _drive(port, events, CONCURRENCY)
        # CPU per event of the web processes and of the load generator (this process's threads).
        server_cpu = _tree_cpu_seconds(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        gunicorn_stop(server)
    os.environ["BENCH_CALLBACK_QUEUE"] = queue
    service_ms = _in_process_ms(IN_PROCESS_EVENTS, run, WARMUP + EVENTS)
    stored = CallbackInbox.objects.filter(body__contains=f"<State><![CDATA[bench-{run}]]></State>").count()
    stored -= WARMUP + IN_PROCESS_EVENTS
    enqueued = redis_client().llen(queue) - WARMUP - IN_PROCESS_EVENTS
    redis_client().delete(queue)
    CallbackInbox.objects.filter(body__contains=f"<State><![CDATA[bench-{run}]]></State>").delete()

    rate = EVENTS / elapsed
    p99 = percentile(latencies, 0.99)
    detail: dict[str, object] = {
        "events": EVENTS,
        "seconds": round(elapsed, 2),
        "client_connections": CONCURRENCY,
        "gunicorn": f"{SERVER_WORKERS} workers x {SERVER_THREADS} threads (gthread)",
        "statuses": {str(code): seen for code, seen in sorted(statuses.items())},
        "inbox_rows_stored": stored,
        "tasks_enqueued": enqueued,
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p90_ms": round(percentile(latencies, 0.9), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(latencies), 1),
        "web_cpu_ms_per_event": round(server_cpu * 1000 / EVENTS, 3),
        "load_generator_cpu_ms_per_event": round(client_cpu * 1000 / EVENTS, 3),
        # Other work on a shared machine slows every figure here: the load average says how much.
        "load_average_at_start": None if load_before is None else round(load_before, 2),
    }
    all_ok = statuses.get(200, 0) == EVENTS and stored == EVENTS
    return [
        {
            "name": "callback_ack_throughput",
            "value": round(rate),
            "unit": "events/s",
            "target": f"≥ {TARGET_RATE:,.0f} events/s acknowledged",
            "met": all_ok and rate >= TARGET_RATE,
            "detail": detail,
        },
        {
            "name": "callback_ack_latency",
            "value": round(p99, 1),
            "unit": "ms p99",
            "target": f"p99 ≤ {TARGET_P99_MS:.0f} ms at that load",
            "met": all_ok and p99 <= TARGET_P99_MS,
            "detail": {
                "p50_ms": detail["p50_ms"],
                "p90_ms": detail["p90_ms"],
                "p95_ms": detail["p95_ms"],
                "max_ms": detail["max_ms"],
                "accept_service_ms_per_event_one_thread": round(service_ms, 2),
            },
        },
    ]
