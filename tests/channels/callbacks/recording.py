"""Handlers for tests, put into the handler table: they record what they were given."""

from __future__ import annotations

from channels.wecom.events import WeComEvent

CALLS: list[WeComEvent] = []
FAILURES_LEFT: list[int] = [0]


def record(event: WeComEvent) -> None:
    CALLS.append(event)


def fail_then_record(event: WeComEvent) -> None:
    """Fails while FAILURES_LEFT is positive, like WeCom answering busy, then works."""
    if FAILURES_LEFT[0] > 0:
        FAILURES_LEFT[0] -= 1
        raise RuntimeError("WeCom is busy (-1)")
    CALLS.append(event)
