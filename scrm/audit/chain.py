"""The chain: what exactly is hashed and signed, in one place for writer and verifier.

Each row's hash is HMAC-SHA256 under a key the database never sees (``AUDIT_CHAIN_KEYS``),
over the row's canonical content and its predecessor's hash; the row names its key, so
keys rotate without re-hashing. Someone who can write the table but lacks the key cannot
recompute the chain after a rewritten row. Rows written before keys existed carry no key
id and a plain SHA-256; a keyless row after a keyed one is a downgrade and is refused.

Periodically the newest rows' hashes are exported as a digest signed with Ed25519
(``AUDIT_SIGNING_KEY``) to storage outside the database, so that even a holder of the
chain key who rewrites rows and every hash after them is caught by the signed copy.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS_HASH = "0" * 64
_MIN_KEY_BYTES = 32


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


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
    key: bytes | None,
) -> str:
    """HMAC-SHA256 of the row under ``key``; plain SHA-256 only for rows from before keys (``key=None``)."""
    canonical = canonical_json(
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
        ]
    )
    if key is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainKeys:
    current_id: str
    keys: dict[str, bytes]


def chain_keys() -> ChainKeys:
    return _chain_keys(settings.AUDIT_CHAIN_KEYS)


@cache
def _chain_keys(spec: str) -> ChainKeys:
    keys: dict[str, bytes] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id or len(key_id) > 16:
            raise ImproperlyConfigured("AUDIT_CHAIN_KEYS entries must look like 'id:base64key' (id ≤ 16 characters)")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise ImproperlyConfigured(f"audit chain key {key_id!r} is not valid base64") from error
        if len(raw) < _MIN_KEY_BYTES:
            raise ImproperlyConfigured(f"audit chain key {key_id!r} must be at least {_MIN_KEY_BYTES} bytes")
        if key_id in keys:
            raise ImproperlyConfigured(f"audit chain key id {key_id!r} is listed twice")
        keys[key_id] = raw
    if not keys:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEYS is empty")
    return ChainKeys(current_id=next(iter(keys)), keys=keys)


# --- Signed digests ----------------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(settings.AUDIT_SIGNING_KEY)


@cache
def _signing_key(encoded: str) -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(encoded, validate=True)
        return Ed25519PrivateKey.from_private_bytes(seed)
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY must be the base64 of a 32-byte Ed25519 private key") from error


def verify_key() -> Ed25519PublicKey:
    """The public key digests are checked with: AUDIT_VERIFY_KEY when given, else the signing key's own."""
    if not settings.AUDIT_VERIFY_KEY:
        return signing_key().public_key()
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(settings.AUDIT_VERIFY_KEY, validate=True))
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured("AUDIT_VERIFY_KEY must be the base64 of a 32-byte Ed25519 public key") from error


def digest_sign(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement with its Ed25519 signature over its canonical JSON."""
    signature = signing_key().sign(canonical_json(statement))
    return {"statement": statement, "signature": base64.b64encode(signature).decode()}


def digest_signature_valid(document: dict[str, Any]) -> bool:
    try:
        verify_key().verify(base64.b64decode(document["signature"]), canonical_json(document["statement"]))
    except (InvalidSignature, KeyError, TypeError, ValueError, binascii.Error):
        return False
    return True
