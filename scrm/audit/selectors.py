"""Reading and verifying the audit trail."""

import datetime
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import Storage, storages
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from scrm.audit.actions import audit_action_is_registered
from scrm.audit.chain import GENESIS_HASH, chain_keys, digest_signature_valid, event_hash
from scrm.audit.models import AuditAction, AuditEvent, ChainCheck, ChainCheckStatus
from scrm.core.exceptions import ApplicationError

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


# --- The compliance console: the log, filtered and paged by keyset ------------------------

AUDIT_LOG_PAGE_SIZE = 50
_ACTOR_MAX_LENGTH = 150
_CUSTOMER_NO_MAX_LENGTH = 32


@dataclass(frozen=True)
class AuditLogFilters:
    """What the console narrows the trail to; every field optional."""

    actor: str = ""  # the actor's username, exactly
    action: str = ""  # a registered action value
    customer_no: str = ""  # the customer number the row's data names
    since: datetime.date | None = None  # first day included (local time)
    until: datetime.date | None = None  # last day included

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (for the next page's link, the export and its audit row)."""
        params = {
            "actor": self.actor,
            "action": self.action,
            "customer": self.customer_no,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in params.items() if value}


def _date(value: str, *, field: str) -> datetime.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ApplicationError(_("Enter a valid date, such as 2026-12-01."), {"field": field}) from None


def audit_log_filters_parse(*, params: Mapping[str, str], fixed_action: str = "") -> AuditLogFilters:
    """The console's query parameters checked; a clear error (ApplicationError) for anything unusable."""
    actor = params.get("actor", "").strip()
    if len(actor) > _ACTOR_MAX_LENGTH:
        raise ApplicationError(_("The user name is too long."), {"field": "actor"})
    action = fixed_action or params.get("action", "").strip()
    if action and not audit_action_is_registered(action):
        raise ApplicationError(_("Choose an action from the list."), {"field": "action"})
    customer_no = params.get("customer", "").strip()
    if len(customer_no) > _CUSTOMER_NO_MAX_LENGTH or any(ord(char) < 32 for char in customer_no):
        raise ApplicationError(_("Enter a valid customer number."), {"field": "customer"})
    since = _date(params.get("since", ""), field="since")
    until = _date(params.get("until", ""), field="until")
    if since and until and since > until:
        raise ApplicationError(_("The start date must not be after the end date."), {"field": "since"})
    return AuditLogFilters(actor=actor, action=action, customer_no=customer_no, since=since, until=until)


def audit_log_cursor_parse(value: str | None) -> int | None:
    """The ``before`` cursor: the sequence number the next page starts below; junk is refused."""
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ApplicationError(_("The page link is not valid."), {"field": "before"})
    return int(value)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_log_filtered(*, filters: AuditLogFilters, using: str = DEFAULT_DB_ALIAS) -> QuerySet[AuditEvent]:
    """The rows the filters select, newest first; each filter has an index ending in ``sequence``."""
    rows = AuditEvent.objects.using(using)
    if filters.actor:
        rows = rows.filter(actor_username=filters.actor)
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.customer_no:
        rows = rows.filter(data__customer_no=filters.customer_no)
    if filters.since:
        rows = rows.filter(occurred_at__gte=_local_midnight(filters.since))
    if filters.until:
        rows = rows.filter(occurred_at__lt=_local_midnight(filters.until + datetime.timedelta(days=1)))
    return rows.order_by("-sequence")


@dataclass(frozen=True)
class AuditLogPage:
    rows: list[AuditEvent]
    # The cursor of the next (older) page; None on the last page.
    next_before: int | None


def audit_log_page(
    *,
    filters: AuditLogFilters,
    before: int | None = None,
    limit: int = AUDIT_LOG_PAGE_SIZE,
    using: str = DEFAULT_DB_ALIAS,
) -> AuditLogPage:
    """One page of the filtered trail below sequence ``before``: keyset paging, never OFFSET.

    A page reads ``limit + 1`` rows of one index in order, however deep it is, and rows
    appended meanwhile never shift the pages (they sort above the first).
    """
    rows = audit_log_filtered(filters=filters, using=using)
    if before is not None:
        rows = rows.filter(sequence__lt=before)
    found = list(rows[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return AuditLogPage(rows=found, next_before=found[-1].sequence if more and found else None)


def audit_log_iter(
    *,
    filters: AuditLogFilters,
    limit: int,
    before: int | None = None,
    chunk_size: int = 2000,
    using: str = DEFAULT_DB_ALIAS,
) -> Iterator[AuditEvent]:
    """Up to ``limit`` filtered rows below ``before``, newest first, read in keyset chunks (for the export)."""
    left = limit
    while left > 0:
        page = audit_log_page(filters=filters, before=before, limit=min(chunk_size, left), using=using)
        yield from page.rows
        left -= len(page.rows)
        if page.next_before is None:
            return
        before = page.next_before


def audit_log_count(*, filters: AuditLogFilters, limit: int) -> int:
    """How many rows the filters select, counting no further than ``limit``."""
    return audit_log_filtered(filters=filters).order_by()[:limit].count()


def pii_reveals_recent(*, limit: int = 10) -> list[AuditEvent]:
    """The newest reveals of full personal information (who saw which customer's which field, and why)."""
    return list(AuditEvent.objects.filter(action=AuditAction.PII_REVEAL).order_by("-sequence")[:limit])


# --- Chain checks --------------------------------------------------------------------------

# A check still "running" after the task's hard time limit died with its worker.
CHAIN_CHECK_STALE_AFTER = datetime.timedelta(minutes=31)


def chain_check_latest() -> ChainCheck | None:
    return ChainCheck.objects.order_by("-started_at", "-id").first()


def chain_check_latest_finished() -> ChainCheck | None:
    return ChainCheck.objects.exclude(status=ChainCheckStatus.RUNNING).order_by("-finished_at", "-id").first()


def chain_check_running() -> ChainCheck | None:
    return (
        ChainCheck.objects.filter(
            Q(status=ChainCheckStatus.RUNNING), started_at__gte=timezone.now() - CHAIN_CHECK_STALE_AFTER
        )
        .order_by("-started_at")
        .first()
    )
