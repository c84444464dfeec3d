"""The local WeCom sandbox as a subprocess, and a tiny HTTP server that receives its callbacks.

``running_sandbox()`` starts ``python -m wecom_sandbox`` on a free port with a state
file of its own and yields a ``SandboxControl`` for it; ``callback_receiver()`` stands in
for the product's callback URL when a test wants to see exactly what WeCom would post.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from wecom_sandbox.client import SandboxControl

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_sandbox(
    *, state_file: Path | None = None, directory: Path | None = None, host: str = "127.0.0.1", **env: str
) -> Iterator[SandboxControl]:
    """A sandbox process for the duration; ``env`` overrides WECOM_* settings (e.g. the callback URL).

    ``state_file`` keeps the snapshot somewhere the test chooses (to restart on it);
    ``directory`` is the staff file the sandbox loads and watches; ``host`` the address it listens on.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="wecom-sandbox-") as tmp:
        arguments = ["--host", host, "--port", str(port), "--log-level", "WARNING"]
        arguments += ["--state", str(state_file or Path(tmp) / "state.json")]
        if directory is not None:
            arguments += ["--directory", str(directory)]
        variables = {
            **os.environ,
            "WECOM_SANDBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "WECOM_SANDBOX_CALLBACK_URL": "",
            **env,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "wecom_sandbox", *arguments],
            cwd=ROOT,
            env=variables,
        )
        try:
            control = SandboxControl(f"http://127.0.0.1:{port}")
            _wait_until_answering(control, process)
            yield control
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_answering(control: SandboxControl, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {process.returncode} before answering")
        try:
            control.config()
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("the sandbox did not answer in time")


@dataclass
class ReceivedCallback:
    query: dict[str, str]
    body: str


@dataclass
class CallbackReceiver:
    """What a receiver got, and how it answers: ``statuses`` are used in turn, then ``status``."""

    url: str
    received: list[ReceivedCallback] = field(default_factory=list)
    status: int = 200
    statuses: list[int] = field(default_factory=list)
    delay_seconds: float = 0.0

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedCallback]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)


@contextmanager
def callback_receiver() -> Iterator[CallbackReceiver]:
    """An HTTP server on a free port that records each POST and answers as configured."""
    lock = threading.Lock()
    receiver: CallbackReceiver

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            with lock:
                receiver.received.append(ReceivedCallback(query=query, body=body))
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.status
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = CallbackReceiver(url=f"http://127.0.0.1:{server.server_address[1]}/wecom/callback/")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
