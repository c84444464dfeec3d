"""The one Redis connection pool for locks, counters and shared caches outside Django's cache."""

from functools import cache

import redis
from django.conf import settings


@cache
def redis_client() -> redis.Redis:
    """A client on settings.REDIS_URL; its pool is shared by every caller in the process."""
    return redis.Redis.from_url(settings.REDIS_URL)
