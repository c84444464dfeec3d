"""Opening an archive record's random key: RSA (PKCS#1 v1.5) with the corp's private key of its version.

WeCom encrypts each record's random key with the public key the corp uploaded in the admin
console, and names that key's version in ``publickey_ver``. The private keys live in PEM
files named by ``WECOM_ARCHIVE_PRIVATE_KEYS`` (version → path). To rotate: generate a new
pair, add the new version's PEM to the setting (keeping the old ones), then upload the new
public key in WeCom; drop an old version once five days have passed and the cursor has read
past its last record.
"""

from __future__ import annotations

import base64
import binascii
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings


class RecordKeyError(ValueError):
    """A record's random key cannot be opened: unknown version, wrong key or damaged ciphertext."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@cache
def _private_key(path: str) -> RSAPrivateKey:
    with open(path, "rb") as file:
        key = serialization.load_pem_private_key(file.read(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError(f"{path} is not an RSA private key")
    return key


def archive_private_key(version: int) -> RSAPrivateKey:
    """The private key of ``version``; RecordKeyError("unknown_key") when none is configured or readable."""
    path = settings.WECOM_ARCHIVE_PRIVATE_KEYS.get(int(version))
    if not path:
        raise RecordKeyError("unknown_key", f"no private key for publickey_ver {version}")
    try:
        return _private_key(str(path))
    except (OSError, ValueError) as error:
        raise RecordKeyError("unknown_key", f"the private key of version {version} does not load") from error


def archive_keys_forget() -> None:
    """Read the key files again on next use (after a rotation, and in tests)."""
    _private_key.cache_clear()


def random_key_decrypt(*, version: int, encrypt_random_key: str) -> bytes:
    """The record's random key; RecordKeyError when it does not open with the key of its version."""
    key = archive_private_key(version)
    try:
        cipher = base64.b64decode(encrypt_random_key, validate=True)
    except (binascii.Error, ValueError) as error:
        raise RecordKeyError("bad_key", "encrypt_random_key is not base64") from error
    try:
        return key.decrypt(cipher, padding.PKCS1v15())
    except ValueError as error:  # wrong key or damaged ciphertext: OpenSSL cannot tell them apart
        raise RecordKeyError("bad_key", "the random key does not decrypt with this private key") from error
