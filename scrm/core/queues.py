"""Celery queue names, in one place."""

from enum import StrEnum


class Queue(StrEnum):
    # WeCom callbacks and welcome messages: seconds matter (a welcome code lives 20 s).
    REALTIME = "realtime"
    # Outbound WeCom sends through the outbox.
    DISPATCH = "dispatch"
    # Imports, batch tagging, churn scoring, nightly checks.
    BULK = "bulk"
