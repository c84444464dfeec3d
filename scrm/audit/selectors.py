"""Reading and verifying the audit trail."""

import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import Storage, storages
from django.db.models import QuerySet

from scrm.audit.chain import GENESIS_HASH, chain_keys, digest_signature_valid, event_hash
from scrm.audit.models import AuditEvent

_DIGEST_NAME = re.compile(r"^audit-digest-(\d{12})\.json$")
_HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "data",
    "ip_address",
    "prev_hash",
)


@dataclass(frozen=True)
class ChainVerification:
    checked: int
    # The first row that does not fit the chain, and why; None when intact.
    broken_sequence: int | None = None
    reason: str = ""
    digests_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.broken_sequence is None


def audit_digest_storage() -> Storage:
    return storages["audit_digests"]


def audit_digest_names() -> list[str]:
    """The exported digests, oldest first (their names sort by last sequence)."""
    storage = audit_digest_storage()
    try:
        _, files = storage.listdir("")
    except FileNotFoundError:
        return []
    return sorted(name for name in files if _DIGEST_NAME.match(name))


def audit_digest_last_sequence() -> int:
    names = audit_digest_names()
    match = _DIGEST_NAME.match(names[-1]) if names else None
    return int(match.group(1)) if match else 0


def audit_chain_verify(*, batch_size: int = 5000) -> ChainVerification:
    """The whole trail checked twice: the keyed chain row by row, then against every signed digest.

    A row is broken when its content no longer matches its keyed hash (altered), when its
    prev_hash is not its predecessor's hash, when a sequence number is missing (removed),
    when it names a key that is not configured, or when it has no key after a keyed row
    (downgraded). Then each digest exported outside the database must carry a valid
    signature and list exactly the hashes the table holds: a row rewritten by someone
    who also recomputed every hash after it differs from the signed copy, and is named.
    """
    chain = _chain_verify(batch_size)
    if not chain.ok:
        return chain
    return _digests_verify(chain.checked)


def _chain_verify(batch_size: int) -> ChainVerification:
    keys = chain_keys().keys
    prev_hash, expected_sequence, checked, keyed_seen = GENESIS_HASH, 1, 0, False
    rows = AuditEvent.objects.order_by("sequence").values(*_HASHED_FIELDS, "hash", "key_id")
    for row in rows.iterator(chunk_size=batch_size):
        sequence, key_id = row["sequence"], row["key_id"]
        if sequence != expected_sequence:
            return ChainVerification(checked, expected_sequence, f"row {expected_sequence} is missing")
        if row["prev_hash"] != prev_hash:
            return ChainVerification(checked, sequence, "prev_hash does not match the previous row's hash")
        if key_id and key_id not in keys:
            return ChainVerification(checked, sequence, f"hashed with key {key_id!r}, which is not configured")
        if not key_id and keyed_seen:
            return ChainVerification(checked, sequence, "has no chain key after keyed rows (downgraded)")
        keyed_seen = keyed_seen or bool(key_id)
        expected = event_hash(key=keys[key_id] if key_id else None, **{name: row[name] for name in _HASHED_FIELDS})
        if expected != row["hash"]:
            return ChainVerification(checked, sequence, "content does not match its hash")
        prev_hash = row["hash"]
        expected_sequence += 1
        checked += 1
    return ChainVerification(checked)


def _digests_verify(checked: int) -> ChainVerification:
    storage = audit_digest_storage()
    digests = 0
    for name in audit_digest_names():
        with storage.open(name, "rb") as file:
            try:
                document: dict[str, Any] = json.loads(file.read())
            except ValueError:
                document = {}
        if not digest_signature_valid(document):
            first = _digest_first_sequence(document)
            return ChainVerification(checked, first, f"signed digest {name} has no valid signature", digests)
        exported = {int(sequence): digest for sequence, digest in document["statement"]["hashes"]}
        stored = dict(
            AuditEvent.objects.filter(sequence__in=list(exported)).order_by("sequence").values_list("sequence", "hash")
        )
        for sequence in sorted(exported):
            if sequence not in stored:
                return ChainVerification(checked, sequence, f"row {sequence} is missing (it is in {name})", digests)
            if stored[sequence] != exported[sequence]:
                exported_at = document["statement"].get("exported_at", "")
                reason = f"hash differs from the signed digest {name} exported at {exported_at}: the row was rewritten"
                return ChainVerification(checked, sequence, reason, digests)
        digests += 1
    return ChainVerification(checked, digests_checked=digests)


def _digest_first_sequence(document: dict[str, Any]) -> int:
    try:
        return int(document["statement"]["first_sequence"])
    except (KeyError, TypeError, ValueError):
        return 0


def audit_events_recent(*, limit: int = 100) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.order_by("-sequence")[:limit]
