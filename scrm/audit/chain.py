"""The hash chain: what exactly is hashed, in one place for writer and verifier."""

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def event_hash(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_username: str,
    action: str,
    target_type: str,
    target_id: str,
    data: dict[str, Any],
    ip_address: str | None,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        [
            sequence,
            occurred_at.isoformat(timespec="microseconds"),
            actor_id,
            actor_username,
            action,
            target_type,
            target_id,
            data,
            ip_address,
            prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
