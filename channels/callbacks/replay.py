"""Replay protection: each signed callback is accepted once within its time window.

A replay is a captured request sent again, byte for byte: the attacker cannot change
the timestamp, the nonce or the ciphertext without the token, because
``msg_signature`` covers all of them. So the key is the nonce *with* the signature.
Keying on the nonce alone would also refuse two genuine, distinct events that happen
to draw the same nonce — WeCom's nonces are short random numbers, and at a thousand
events a second over a ten-minute window such draws do happen.

The key must outlive the window in which the timestamp is still accepted (a replay
inside that window is what this store catches; one outside it is refused for its age),
so the TTL is twice the window, and at least ten minutes. With the window off
(``WECOM_CALLBACK_MAX_AGE_SECONDS = 0``) a nonce is kept for a day.
"""

from __future__ import annotations

from scrm.core.redis import redis_client

_KEY_PREFIX = "scrm:wecom:callback:nonce:"
_NO_WINDOW_TTL_SECONDS = 24 * 3600
_MIN_WINDOW_SECONDS = 300


def nonce_ttl_seconds(max_age_seconds: int) -> int:
    """How long a used nonce is remembered for a given timestamp window (0 = no window)."""
    if max_age_seconds <= 0:
        return _NO_WINDOW_TTL_SECONDS
    return max(max_age_seconds, _MIN_WINDOW_SECONDS) * 2


def _key(nonce: str, msg_signature: str) -> str:
    return f"{_KEY_PREFIX}{nonce}:{msg_signature}"


def nonce_claim(*, nonce: str, msg_signature: str, max_age_seconds: int) -> bool:
    """Record the nonce as used; False when it already was (a replay). One Redis round trip."""
    return bool(redis_client().set(_key(nonce, msg_signature), b"1", nx=True, ex=nonce_ttl_seconds(max_age_seconds)))


def nonce_release(*, nonce: str, msg_signature: str) -> None:
    """Forget a claimed nonce whose request could not be stored, so that WeCom's retry of it is accepted."""
    redis_client().delete(_key(nonce, msg_signature))
