"""The local sandbox corp: the product's development defaults (scrm/settings/wecom.py).

The sandbox (``wecom_sandbox/config.py``) keeps the same values itself, since it imports
nothing from the product, and reads the same WECOM_* variables; when none is set the two
agree, so ``make run`` works offline. A test checks they stay equal. Production refuses
to start on them.
"""

CORP_ID = "wwscrmsandbox0001"
CORP_SECRET = "sandbox-corp-secret"  # noqa: S105 - a published development default
AGENT_ID = "1000002"
CALLBACK_TOKEN = "sandboxtoken"  # noqa: S105
# 43 characters of base64, as WeCom issues them (32 bytes once padded and decoded).
CALLBACK_AES_KEY = "1J5sa4mmUIK/ME1tdDalRmlqRGxUDE8det2v2aBXdY0"
SANDBOX_PORT = 8001
