"""Consent tests start with no rate-limit counters left by an earlier test or run."""

from collections.abc import Iterator

import pytest

from scrm.core.redis import redis_client


def rate_limit_counters_clear() -> None:
    client = redis_client()
    for key in client.scan_iter("consent:page:*"):
        client.delete(key)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    rate_limit_counters_clear()
    yield
    rate_limit_counters_clear()
