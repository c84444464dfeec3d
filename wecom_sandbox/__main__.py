"""``python -m wecom_sandbox``: run the local WeCom sandbox until interrupted."""

from __future__ import annotations

import argparse
import logging
import threading
from pathlib import Path

from wecom_sandbox.config import SANDBOX_PORT, Corp, Tunables
from wecom_sandbox.server import SandboxServer
from wecom_sandbox.state import SandboxState

logger = logging.getLogger("wecom_sandbox")


def _watch_directory(state: SandboxState, stop: threading.Event) -> None:
    """Reload the staff directory file when it changes, so editing it needs no restart."""
    while not stop.wait(1.0):
        try:
            if state.reload_directory_if_changed():
                logger.info("directory reloaded from %s", state.directory)
        except Exception:
            logger.exception("directory reload failed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wecom_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=SANDBOX_PORT)
    parser.add_argument("--state", type=Path, help="JSON snapshot written after each change, read on start")
    parser.add_argument("--directory", type=Path, help='staff file {"departments": [...], "users": [...]}')
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")

    state = SandboxState(corp=Corp.from_env(), tunables=Tunables.from_env(), path=args.state, directory=args.directory)
    server = SandboxServer((args.host, args.port), state)
    stop = threading.Event()
    threading.Thread(target=_watch_directory, args=(state, stop), daemon=True, name="directory-watch").start()
    logger.info(
        "WeCom sandbox for corp %s on http://%s:%s/ (callbacks to %s)",
        state.corp.corp_id,
        args.host,
        server.server_address[1],
        state.config["callback_url"],
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()


if __name__ == "__main__":
    main()
