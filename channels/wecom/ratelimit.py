"""A token bucket per (corp, API) in Redis, shared by every process that calls WeCom.

WeCom counts calls per corp and API (10,000 a minute by default, WECOM.md §6). Each
call takes one token; the bucket refills continuously, so bursts up to the minute's
budget pass and a steady overload is smoothed instead of earning 45009s.
"""

from __future__ import annotations

import time

from django.conf import settings

from scrm.core.redis import redis_client

# Returns the seconds to wait (0 when a token was taken). Atomic in Redis.
_TAKE_FROM_BUCKET = """
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local bucket = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_second)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / per_second
end
redis.call('HSET', key, 'tokens', tokens, 'at', now)
redis.call('EXPIRE', key, math.ceil(capacity / per_second) + 60)
return tostring(wait)
"""


def per_minute_limit(api: str) -> int:
    return int(settings.WECOM_RATE_LIMITS_PER_MINUTE.get(api, settings.WECOM_RATE_LIMIT_PER_MINUTE))


def take(corp_id: str, api: str, *, max_wait: float) -> bool:
    """Take one call from the API's budget, waiting up to ``max_wait`` seconds; False if none came."""
    limit = per_minute_limit(api)
    script = redis_client().register_script(_TAKE_FROM_BUCKET)
    deadline = time.monotonic() + max_wait
    while True:
        wait = float(script(keys=[f"wecom:rate:{corp_id}:{api}"], args=[limit, limit / 60, time.time()]))
        if wait == 0:
            return True
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(wait)
