"""会话存档 (chat archive): where the records come from, the keys that open them, and how long they stay.

The archive is read through Tencent's Finance SDK (a C library) when
WECOM_FINANCE_SDK_PATH names it; otherwise, outside production, from the local sandbox
over HTTP. docs/risk.md ("Chat archive") explains keys, rotation and retention.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from channels.wecom import defaults as sandbox
from scrm.settings.base import VAR_DIR
from scrm.settings.environment import IS_PRODUCTION, env, from_env_or_file
from scrm.settings.wecom import WECOM_SANDBOX_URL

# Tencent's libWeWorkFinanceSdk_C.so; when set, the archive is read through it (ctypes).
# Unset in production means the bank has no chat archive: ingestion does nothing.
WECOM_FINANCE_SDK_PATH: str = env.str("WECOM_FINANCE_SDK_PATH", default="")
# The 会话存档 Secret of the corp (the SDK's Init takes the corp id and this secret).
WECOM_ARCHIVE_SECRET: str = from_env_or_file("WECOM_ARCHIVE_SECRET") or ("" if IS_PRODUCTION else sandbox.CORP_SECRET)
if WECOM_FINANCE_SDK_PATH and not WECOM_ARCHIVE_SECRET:
    raise ImproperlyConfigured("WECOM_FINANCE_SDK_PATH is set: WECOM_ARCHIVE_SECRET (or _FILE) must be set too")
# The sandbox's Finance SDK stand-in, used when no SDK path is set; empty against a real corp.
WECOM_ARCHIVE_SANDBOX_URL: str = env.str(
    "WECOM_ARCHIVE_SANDBOX_URL", default=f"{WECOM_SANDBOX_URL.rstrip('/')}/finance/" if WECOM_SANDBOX_URL else ""
)
if IS_PRODUCTION and WECOM_ARCHIVE_SANDBOX_URL:
    raise ImproperlyConfigured("WECOM_ARCHIVE_SANDBOX_URL must not be set in production")
WECOM_ARCHIVE_TIMEOUT_SECONDS: float = env.float("WECOM_ARCHIVE_TIMEOUT_SECONDS", default=10.0)

# The corp's archive private keys by version (publickey_ver), as "1=/run/secrets/archive_v1.pem,2=...".
# Keep every version whose records may still be unread (WeCom keeps them five days) when rotating.
# Outside production the demo's key is generated on first run under var/archive/.
ARCHIVE_KEY_DIR = VAR_DIR / "archive"
_keys = env.dict("WECOM_ARCHIVE_PRIVATE_KEYS", default={})
try:
    WECOM_ARCHIVE_PRIVATE_KEYS: dict[int, str] = {int(version): str(path) for version, path in _keys.items()}
except ValueError as error:
    raise ImproperlyConfigured("WECOM_ARCHIVE_PRIVATE_KEYS is version=path,... with integer versions") from error
if not WECOM_ARCHIVE_PRIVATE_KEYS and not IS_PRODUCTION:
    WECOM_ARCHIVE_PRIVATE_KEYS = {1: str(ARCHIVE_KEY_DIR / "private_key_v1.pem")}

# GetChatData's limit per call (WeCom allows 1..1000) and how many pages one run reads at most.
ARCHIVE_PAGE_LIMIT: int = env.int("ARCHIVE_PAGE_LIMIT", default=1000)
if not 1 <= ARCHIVE_PAGE_LIMIT <= 1000:
    raise ImproperlyConfigured("ARCHIVE_PAGE_LIMIT must be 1..1000 (the Finance SDK's limit)")
ARCHIVE_MAX_PAGES_PER_RUN: int = env.int("ARCHIVE_MAX_PAGES_PER_RUN", default=200)
# Threads decrypting a page (RSA releases the GIL): the number of cores by default.
ARCHIVE_DECRYPT_THREADS: int = env.int("ARCHIVE_DECRYPT_THREADS", default=os.cpu_count() or 2)
# WeCom forgets records after five days: the lag alarm warns, then turns critical, before that.
ARCHIVE_LAG_WARN_HOURS: float = env.float("ARCHIVE_LAG_WARN_HOURS", default=72.0)
ARCHIVE_LAG_CRITICAL_HOURS: float = env.float("ARCHIVE_LAG_CRITICAL_HOURS", default=96.0)
# How long a WeCom agree status (msgaudit/check_single_agree) is trusted before asking again.
ARCHIVE_AGREE_CACHE_SECONDS: int = env.int("ARCHIVE_AGREE_CACHE_SECONDS", default=3600)
# Months of archived messages kept (whole monthly partitions are dropped after that), and
# how many months ahead partitions are created.
ARCHIVE_RETENTION_MONTHS: int = env.int("ARCHIVE_RETENTION_MONTHS", default=60)
if ARCHIVE_RETENTION_MONTHS < 1:
    raise ImproperlyConfigured("ARCHIVE_RETENTION_MONTHS must be at least 1")
ARCHIVE_PARTITION_MONTHS_AHEAD: int = env.int("ARCHIVE_PARTITION_MONTHS_AHEAD", default=3)
