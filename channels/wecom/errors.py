"""What can go wrong talking to WeCom, as types a caller can act on.

* ``WeComTransientError``: nothing happened on WeCom's side; try again later.
* ``WeComOutcomeUnknownError``: the request left, no answer came back; ask WeCom what
  happened before sending again.
* everything else: WeCom refused the request; sending it again will not help.
"""

from __future__ import annotations

# errcodes WeCom documents, with what they mean for the person reading the error.
ERRCODE_DESCRIPTIONS: dict[int, str] = {
    -1: "system busy",
    40001: "invalid corp secret",
    40003: "invalid userid",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40058: "invalid parameter",
    40068: "invalid tag id",
    40071: "tag name already exists",
    40096: "invalid external userid",
    40097: "welcome code invalid or expired",
    40098: "member has no customer-contact permission",
    41001: "access_token missing",
    41051: "the customer has already started chatting (welcome code used)",
    42001: "access_token expired",
    45009: "API frequency limit reached",
    45033: "API concurrency limit reached",
    47001: "malformed request body",
    48002: "API not authorised for this app",
    60011: "no permission for this member or department",
    60020: "server address not in the app's trusted IPs",
    60111: "userid not found",
    84061: "no such relation between member and customer",
}

RATE_LIMIT_CODES = frozenset({45009, 45033})
BUSY_CODES = frozenset({-1})
TOKEN_CODES = frozenset({40014, 42001, 41001})


class WeComError(Exception):
    """WeCom answered with a non-zero errcode (or could not be reached)."""

    def __init__(self, api: str, errcode: int | None, errmsg: str = "") -> None:
        self.api = api
        self.errcode = errcode
        self.errmsg = errmsg
        meaning = ERRCODE_DESCRIPTIONS.get(errcode, "error") if errcode is not None else "no answer"
        detail = f" ({errmsg})" if errmsg else ""
        super().__init__(f"WeCom {api}: {errcode} {meaning}{detail}")


class WeComTransientError(WeComError):
    """Not applied by WeCom; the same call may be sent again later."""


class WeComRateLimitedError(WeComTransientError):
    """45009/45033 from WeCom, or our own per-API budget is spent."""


class WeComBusyError(WeComTransientError):
    """-1 system busy, or the connection could not be made."""


class WeComOutcomeUnknownError(WeComError):
    """The request went out but no answer came back (a timeout). Check before re-sending."""


class WeComAuthError(WeComError):
    """The corp id or secret is wrong, or a fresh token was refused again."""


class WeComRequestError(WeComError):
    """WeCom refused this request (bad parameter, no permission, used welcome code, ...)."""


def error_for(api: str, errcode: int, errmsg: str) -> WeComError:
    """The typed exception for a WeCom answer."""
    if errcode in RATE_LIMIT_CODES:
        return WeComRateLimitedError(api, errcode, errmsg)
    if errcode in BUSY_CODES:
        return WeComBusyError(api, errcode, errmsg)
    if errcode in TOKEN_CODES or errcode in (40001, 40013):
        return WeComAuthError(api, errcode, errmsg)
    return WeComRequestError(api, errcode, errmsg)
