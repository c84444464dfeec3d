"""WeChat Work: the corp, the callback secrets, and how hard the gateway may push.

Outside production every value defaults to the local WeCom sandbox (wecom_sandbox),
so the product runs end to end offline; a real corp is configuration only.
"""

from django.core.exceptions import ImproperlyConfigured

from channels.wecom import defaults as sandbox
from scrm.settings.environment import IS_PRODUCTION, env, secret

# Not secrets, but production must name the bank's own corp and app (secret() enforces that).
WECOM_CORP_ID: str = secret("WECOM_CORP_ID", dev_default=sandbox.CORP_ID)
WECOM_CORP_SECRET: str = secret("WECOM_CORP_SECRET", dev_default=sandbox.CORP_SECRET)
WECOM_AGENT_ID: str = secret("WECOM_AGENT_ID", dev_default=sandbox.AGENT_ID)
WECOM_CALLBACK_TOKEN: str = secret("WECOM_CALLBACK_TOKEN", dev_default=sandbox.CALLBACK_TOKEN)
WECOM_CALLBACK_AES_KEY: str = secret("WECOM_CALLBACK_AES_KEY", dev_default=sandbox.CALLBACK_AES_KEY)
# A callback older than this is refused; 0 turns the window off (replaying recorded traffic).
WECOM_CALLBACK_MAX_AGE_SECONDS: int = env.int("WECOM_CALLBACK_MAX_AGE_SECONDS", default=300)
# A genuine message of a type the product does not process (a member texting the app, an
# event WeCom added) is always acknowledged; "store" keeps it in the inbox, "drop" does not.
WECOM_CALLBACK_NOT_HANDLED: str = env.str("WECOM_CALLBACK_NOT_HANDLED", default="store")
if WECOM_CALLBACK_NOT_HANDLED not in {"store", "drop"}:
    raise ImproperlyConfigured("WECOM_CALLBACK_NOT_HANDLED must be store or drop")

# Where customers' phones reach the product: links in welcome messages (e.g. {verify_link}).
PUBLIC_BASE_URL: str = (
    env.str("PUBLIC_BASE_URL")
    if IS_PRODUCTION
    else env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{env.int('SCRM_PORT', default=8000)}")
)
WECOM_SANDBOX_PORT: int = env.int("WECOM_SANDBOX_PORT", default=sandbox.SANDBOX_PORT)
# The sandbox's control API, for the demo pages; empty against a real corp.
WECOM_SANDBOX_URL: str = env.str(
    "WECOM_SANDBOX_URL", default="" if IS_PRODUCTION else f"http://127.0.0.1:{WECOM_SANDBOX_PORT}"
)
if IS_PRODUCTION and WECOM_SANDBOX_URL:
    # The sandbox signs anyone in as any member of staff; a bank's corp never has one.
    raise ImproperlyConfigured("WECOM_SANDBOX_URL must not be set in production")
WECOM_API_BASE_URL: str = env.str(
    "WECOM_API_BASE_URL",
    default="https://qyapi.weixin.qq.com/cgi-bin/" if IS_PRODUCTION else f"{WECOM_SANDBOX_URL}/cgi-bin/",
)
WECOM_HTTP_TIMEOUT_SECONDS: float = env.float("WECOM_HTTP_TIMEOUT_SECONDS", default=5.0)
# A media upload carries up to 20 MB: it gets longer than an ordinary call.
WECOM_MEDIA_UPLOAD_TIMEOUT_SECONDS: float = env.float("WECOM_MEDIA_UPLOAD_TIMEOUT_SECONDS", default=30.0)
# WeCom's published limit is per corp and API: 10,000 calls a minute (WECOM.md §6).
WECOM_RATE_LIMIT_PER_MINUTE: int = env.int("WECOM_RATE_LIMIT_PER_MINUTE", default=10_000)
# Rate-limited (45009) and busy (-1) answers are retried this many times, backing off.
WECOM_RETRY_ATTEMPTS: int = env.int("WECOM_RETRY_ATTEMPTS", default=4)
WECOM_RETRY_BACKOFF_SECONDS: float = env.float("WECOM_RETRY_BACKOFF_SECONDS", default=0.5)
# How long a claimed outbox call may stay in flight before it counts as abandoned (its
# worker died) and is verified with WeCom: by default the longest a send can take, plus
# a margin for the token lock. Must exceed that, or a live send would be verified early.
WECOM_OUTBOX_LEASE_SECONDS: float = env.float(
    "WECOM_OUTBOX_LEASE_SECONDS",
    default=max(WECOM_HTTP_TIMEOUT_SECONDS, WECOM_MEDIA_UPLOAD_TIMEOUT_SECONDS) * (WECOM_RETRY_ATTEMPTS + 2) + 30,
)
# Identity verification H5 (客户认证): attempts per contact and per client address per hour.
WECOM_VERIFY_ATTEMPTS_PER_HOUR: int = env.int("WECOM_VERIFY_ATTEMPTS_PER_HOUR", default=5)
# Per-API overrides of the above, e.g. "externalcontact/send_welcome_msg=3000,externalcontact/get=6000".
WECOM_RATE_LIMITS_PER_MINUTE: dict[str, int] = env.dict("WECOM_RATE_LIMITS_PER_MINUTE", cast={"value": int}, default={})
# Tencent's JS-SDK (jweixin) as the bank serves it to the sidebar inside WeCom; outside
# WeCom the sidebar uses its sandbox shim instead.
WECOM_JSSDK_URL: str = env.str("WECOM_JSSDK_URL", default="")

# Temporary media (media/upload, media/upload_attachment), WECOM.md §5. WeCom's limits
# (doc 90389 and 95098): image jpg/png ≤ 10 MB, video mp4 ≤ 10 MB, file ≤ 20 MB, every
# file > 5 bytes; moments accept images and videos only. They change, so they are settings.
_MB = 1024 * 1024
WECOM_MEDIA_IMAGE_MAX_BYTES: int = env.int("WECOM_MEDIA_IMAGE_MAX_BYTES", default=10 * _MB)
WECOM_MEDIA_VIDEO_MAX_BYTES: int = env.int("WECOM_MEDIA_VIDEO_MAX_BYTES", default=10 * _MB)
WECOM_MEDIA_FILE_MAX_BYTES: int = env.int("WECOM_MEDIA_FILE_MAX_BYTES", default=20 * _MB)
WECOM_MEDIA_MOMENT_IMAGE_MAX_BYTES: int = env.int("WECOM_MEDIA_MOMENT_IMAGE_MAX_BYTES", default=10 * _MB)
WECOM_MEDIA_MOMENT_VIDEO_MAX_BYTES: int = env.int("WECOM_MEDIA_MOMENT_VIDEO_MAX_BYTES", default=10 * _MB)
WECOM_MEDIA_MIN_BYTES: int = env.int("WECOM_MEDIA_MIN_BYTES", default=6)
# A media_id lives 3 days; one this close to its end is uploaded again before it is handed out.
WECOM_MEDIA_TTL_SECONDS: int = env.int("WECOM_MEDIA_TTL_SECONDS", default=3 * 86_400)
WECOM_MEDIA_REFRESH_MARGIN_SECONDS: int = env.int("WECOM_MEDIA_REFRESH_MARGIN_SECONDS", default=6 * 3600)
