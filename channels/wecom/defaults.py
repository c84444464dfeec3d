"""The local sandbox corp: the development defaults shared by the product and the sandbox.

Both processes read the same WECOM_* variables; when none is set they agree on these
values, so ``make run`` works offline. Production refuses to start on them.
"""

CORP_ID = "wwscrmsandbox0001"
CORP_SECRET = "sandbox-corp-secret"  # noqa: S105 - a published development default
AGENT_ID = "1000002"
CALLBACK_TOKEN = "sandboxtoken"  # noqa: S105
# 43 characters of base64, as WeCom issues them (32 bytes once padded and decoded).
CALLBACK_AES_KEY = "1J5sa4mmUIK/ME1tdDalRmlqRGxUDE8det2v2aBXdY0"
SANDBOX_PORT = 8001
