"""Gunicorn for the bench's HTTP sections: the product served on a free loopback port."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gunicorn_start(
    application: str, port: int, *, workers: int, threads: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start gunicorn (gthread) serving ``application`` and wait until ``/healthz`` answers."""
    environment = {**os.environ, "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "scrm.settings", **(env or {})}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        application,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=environment)  # noqa: S603 - our own interpreter and arguments
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            return server
        except OSError:
            time.sleep(0.2)
    gunicorn_stop(server)
    raise RuntimeError("gunicorn did not answer in 60 s")


def gunicorn_stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
