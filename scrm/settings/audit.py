"""Keys that make the audit trail tamper-evident even to someone who can write its table.

AUDIT_CHAIN_KEYS is a comma-separated list of ``id:base64key`` entries (at least 32
random bytes each). Every row's hash is an HMAC under the first key and names its key,
so a key is rotated by putting a new one first; listed keys keep old rows verifying.
AUDIT_SIGNING_KEY is the base64 of a 32-byte Ed25519 private key: it signs the digests
exported outside the database (the ``audit_digests`` storage, in base.py).
AUDIT_VERIFY_KEY, the matching public key, lets an outside party verify them without
the private key.
"""

from scrm.settings.environment import env, secret

AUDIT_CHAIN_KEYS = secret(
    "AUDIT_CHAIN_KEYS",
    # Demo-only key (base64 of 32 fixed bytes); production refuses to start without its own.
    dev_default="dev1:ZGV2LW9ubHktYXVkaXQtY2hhaW4ta2V5LTMyYnl0ZXM=",
)
AUDIT_SIGNING_KEY = secret(
    "AUDIT_SIGNING_KEY",
    # Demo-only Ed25519 seed (32 fixed bytes).
    dev_default="ZGV2LW9ubHktYXVkaXQtc2lnbmluZy1rZXktMzJieXQ=",
)
AUDIT_VERIFY_KEY: str = env.str("AUDIT_VERIFY_KEY", default="")
