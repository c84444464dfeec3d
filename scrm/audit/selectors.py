"""Reading and verifying the audit trail."""

from dataclasses import dataclass

from django.db.models import QuerySet

from scrm.audit.chain import GENESIS_HASH, event_hash
from scrm.audit.models import AuditEvent


@dataclass(frozen=True)
class ChainVerification:
    checked: int
    # The first row that does not fit the chain, and why; None when intact.
    broken_sequence: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_sequence is None


def audit_chain_verify(*, batch_size: int = 5000) -> ChainVerification:
    """Walk the whole chain in sequence order and report the first broken row.

    A row is broken when its content no longer matches its hash (altered), when its
    prev_hash is not its predecessor's hash, or when a sequence number is missing
    (removed).
    """
    prev_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    hashed_fields = (
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
    rows = AuditEvent.objects.order_by("sequence").values(*hashed_fields, "hash")
    for row in rows.iterator(chunk_size=batch_size):
        sequence = row["sequence"]
        if sequence != expected_sequence:
            return ChainVerification(checked, expected_sequence, f"row {expected_sequence} is missing")
        if row["prev_hash"] != prev_hash:
            return ChainVerification(checked, sequence, "prev_hash does not match the previous row's hash")
        stored_hash = row["hash"]
        if event_hash(**{name: row[name] for name in hashed_fields}) != stored_hash:
            return ChainVerification(checked, sequence, "content does not match its hash")
        prev_hash = stored_hash
        expected_sequence += 1
        checked += 1
    return ChainVerification(checked)


def audit_events_recent(*, limit: int = 100) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.order_by("-sequence")[:limit]
