"""Taking a snapshot of WeCom's member directory (userid → name), kept in the cache."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from channels.wecom.errors import WeComError
from channels.wecom.gateway import wecom

logger = logging.getLogger(__name__)


def snapshot_key() -> str:
    """One snapshot per corp and WeCom address (a sandbox's directory is not production's)."""
    where = hashlib.sha256(settings.WECOM_API_BASE_URL.encode()).hexdigest()[:8]
    return f"channels:directory:{where}:{settings.WECOM_CORP_ID}:snapshot"


# Long enough to browse the staff pages; a refresh is one click away.
SNAPSHOT_SECONDS = 30 * 60


def directory_snapshot_refresh() -> dict[str, Any] | None:
    """Read every member under the root department from WeCom and keep the answer.

    Returns the snapshot, or None when WeCom could not be read (the old snapshot stays)."""
    try:
        members = wecom().department_users(1)
    except WeComError as error:
        logger.warning("directory snapshot failed: %s", error.__class__.__name__)
        return None
    snapshot = {
        "taken_at": timezone.now().isoformat(),
        "members": {str(member["userid"]): str(member.get("name", "")) for member in members},
    }
    cache.set(snapshot_key(), snapshot, SNAPSHOT_SECONDS)
    return snapshot
