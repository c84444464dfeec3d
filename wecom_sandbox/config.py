"""Settings of the sandbox corp, read from the same WECOM_* variables the product reads.

The defaults are the development corp. The product keeps the same values in its own
``channels/wecom/defaults.py`` (the sandbox imports nothing from the product), so the two
agree on the corp id, secret, token and EncodingAESKey with nothing set; a test checks it.
The tunables below them (token lifetime, limits) can also be changed at run time through
``POST /sandbox/config``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

CORP_ID = "wwscrmsandbox0001"
CORP_SECRET = "sandbox-corp-secret"  # noqa: S105 - a published development default
AGENT_ID = "1000002"
CALLBACK_TOKEN = "sandboxtoken"  # noqa: S105
# 43 characters of base64, as WeCom issues them (32 bytes once padded and decoded).
CALLBACK_AES_KEY = "1J5sa4mmUIK/ME1tdDalRmlqRGxUDE8det2v2aBXdY0"
SANDBOX_PORT = 8001
CALLBACK_URL = "http://127.0.0.1:8000/wecom/callback/"
PUBLIC_URL = f"http://127.0.0.1:{SANDBOX_PORT}"

# WeCom's published numbers (WECOM.md); each is a default, never a constant of the product.
TOKEN_TTL_SECONDS = 7200
RATE_LIMIT_PER_MINUTE = 10_000
CALLBACK_TIMEOUT_SECONDS = 5.0
CALLBACK_ATTEMPTS = 3
WELCOME_CODE_TTL_SECONDS = 20
OAUTH_CODE_TTL_SECONDS = 300
GROUPMSG_DAILY_QUOTA = 1
# The older documented rule (4 per customer per month); 0 leaves only the daily quota (WECOM.md §1).
GROUPMSG_MONTHLY_QUOTA = 0
GROUPMSG_REMIND_LIMIT = 3
CORP_TAG_LIMIT = 3000
CONTACT_WAY_USER_LIMIT = 100


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, not {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number, not {raw!r}") from exc


@dataclass(frozen=True)
class Corp:
    """Who the sandbox pretends to be; fixed for the life of the process."""

    corp_id: str = CORP_ID
    corp_secret: str = CORP_SECRET
    agent_id: str = AGENT_ID
    callback_token: str = CALLBACK_TOKEN
    callback_aes_key: str = CALLBACK_AES_KEY
    public_url: str = PUBLIC_URL

    @classmethod
    def from_env(cls) -> Corp:
        env = os.environ
        return cls(
            corp_id=env.get("WECOM_CORP_ID") or CORP_ID,
            corp_secret=env.get("WECOM_CORP_SECRET") or CORP_SECRET,
            agent_id=env.get("WECOM_AGENT_ID") or AGENT_ID,
            callback_token=env.get("WECOM_CALLBACK_TOKEN") or CALLBACK_TOKEN,
            callback_aes_key=env.get("WECOM_CALLBACK_AES_KEY") or CALLBACK_AES_KEY,
            public_url=(env.get("WECOM_SANDBOX_PUBLIC_URL") or PUBLIC_URL).rstrip("/"),
        )


@dataclass
class Tunables:
    """What tests change at run time; kept in the state file with everything else."""

    callback_url: str = CALLBACK_URL
    token_ttl: int = TOKEN_TTL_SECONDS
    rate_limit_per_minute: int = RATE_LIMIT_PER_MINUTE
    rate_limits: dict[str, int] = field(default_factory=dict)
    callback_timeout: float = CALLBACK_TIMEOUT_SECONDS
    callback_attempts: int = CALLBACK_ATTEMPTS
    callback_retry_delay: float = 0.0
    welcome_code_ttl: int = WELCOME_CODE_TTL_SECONDS
    oauth_code_ttl: int = OAUTH_CODE_TTL_SECONDS
    groupmsg_daily_quota: int = GROUPMSG_DAILY_QUOTA
    groupmsg_monthly_quota: int = GROUPMSG_MONTHLY_QUOTA
    groupmsg_remind_limit: int = GROUPMSG_REMIND_LIMIT
    corp_tag_limit: int = CORP_TAG_LIMIT
    contact_way_user_limit: int = CONTACT_WAY_USER_LIMIT
    # How long an uploaded media_id stays valid (WeCom: 3 days).
    media_ttl: int = 3 * 86400
    # App messages (message/send) one member receives a minute; WeCom drops the excess.
    app_message_member_limit: int = 30

    @classmethod
    def from_env(cls) -> Tunables:
        return cls(
            # Set but empty means "send no callbacks" (tests), so only an unset variable defaults.
            callback_url=os.environ.get("WECOM_SANDBOX_CALLBACK_URL", CALLBACK_URL),
            token_ttl=_env_int("WECOM_SANDBOX_TOKEN_TTL", TOKEN_TTL_SECONDS),
            rate_limit_per_minute=_env_int("WECOM_SANDBOX_RATE_LIMIT_PER_MINUTE", RATE_LIMIT_PER_MINUTE),
            callback_timeout=_env_float("WECOM_SANDBOX_CALLBACK_TIMEOUT", CALLBACK_TIMEOUT_SECONDS),
            callback_attempts=_env_int("WECOM_SANDBOX_CALLBACK_ATTEMPTS", CALLBACK_ATTEMPTS),
        )
