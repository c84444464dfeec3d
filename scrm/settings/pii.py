"""Keys for personal information (JR/T 0171): encryption at rest and blind indexes.

PII_ENCRYPTION_KEYS is a comma-separated list of ``id:base64key`` entries (32-byte
AES-256 keys). The first key encrypts; every listed key decrypts, so a new key is
rotated in by putting it first and running ``manage.py rotate_pii_keys``.
PII_BLIND_INDEX_KEY is the HMAC key for exact lookups by phone and ID number.
"""

from scrm.settings.environment import secret

PII_ENCRYPTION_KEYS = secret(
    "PII_ENCRYPTION_KEYS",
    # Demo-only key: base64 of 32 fixed bytes; production refuses to start without its own.
    dev_default="dev1:ZGV2LW9ubHktcGlpLWtleS1kby1ub3QtdXNlLTMyYnk=",
)
PII_BLIND_INDEX_KEY = secret("PII_BLIND_INDEX_KEY", dev_default="dev-only-blind-index-key")
