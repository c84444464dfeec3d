"""The Celery router for outbox sends: each runs on the queue its operation declares.

Sends carry their operation's name as the ``operation`` keyword so that the route is
read off ``Operation.queue`` without a database query; everything else is routed by
the pattern table in ``scrm/settings/celery.py``.
"""

from __future__ import annotations

from typing import Any

SEND_TASKS = frozenset({"channels.outbox_send", "channels.outbox_send_batch"})


def outbox_send_route(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **extra: Any) -> Any:
    """``{"queue": ...}`` for an outbox send, None (the next router decides) for any other task."""
    if name not in SEND_TASKS:
        return None
    from channels.outbox.operations import OPERATIONS  # routing runs after Django is set up

    operation = OPERATIONS.get((kwargs or {}).get("operation", ""))
    return None if operation is None else {"queue": operation.queue.value}
