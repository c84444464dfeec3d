"""Writing the audit trail. Call ``audit_record`` inside the transaction of the change it records."""

import json
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from scrm.audit.actions import audit_action_is_registered
from scrm.audit.chain import GENESIS_HASH, chain_keys, digest_sign, event_hash
from scrm.audit.models import AuditAction, AuditEvent, ChainBreak, ChainCheck, ChainCheckStatus
from scrm.audit.selectors import (
    ChainVerification,
    audit_chain_verify,
    audit_digest_last_sequence,
    audit_digest_storage,
    chain_check_running,
)

# Serialises appends so each row sees its true predecessor; held to the end of the
# caller's transaction, so the chain order is the commit order.
_CHAIN_LOCK_KEY = 0x5C3A_0D17


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Append one event to the chain. ``data`` must hold no PII (masked values at most).

    ``action`` is a registered action (``scrm.audit.actions``); any other is refused, so a
    misspelt action never reaches the trail.
    """
    if not audit_action_is_registered(action):
        raise ValueError(f"unregistered audit action {action!r}")
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    actor_id = None
    if actor is not None and actor.is_authenticated:
        actor_id, actor_username = actor.pk, actor.get_username()
    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor_id": actor_id,
        "actor_username": actor_username,
        "action": str(action),
        "target_type": target_type,
        "target_id": target_id,
        "data": data or {},
        "ip_address": client_ip(request),
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
        sequence = last["sequence"] + 1 if last else 1
        prev_hash = last["hash"] if last else GENESIS_HASH
        keys = chain_keys()
        digest = event_hash(sequence=sequence, prev_hash=prev_hash, key=keys.keys[keys.current_id], **fields)
        return AuditEvent.objects.create(
            sequence=sequence, prev_hash=prev_hash, hash=digest, key_id=keys.current_id, **fields
        )


def audit_digest_export() -> str | None:
    """Sign the hashes of the rows since the last exported digest and store them outside the database.

    One file per export, named by its last sequence number, so a retried export writes the
    same file or nothing; returns the file's name, or None when no row is new.
    """
    since = audit_digest_last_sequence()
    rows = list(
        AuditEvent.objects.filter(sequence__gt=since).order_by("sequence").values_list("sequence", "hash")[:100_000]
    )
    if not rows:
        return None
    statement = {
        "first_sequence": rows[0][0],
        "last_sequence": rows[-1][0],
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "hashes": [[sequence, digest] for sequence, digest in rows],
    }
    name = f"audit-digest-{rows[-1][0]:012d}.json"
    storage = audit_digest_storage()
    if not storage.exists(name):
        storage.save(name, ContentFile(json.dumps(digest_sign(statement), indent=1).encode()))
    return name


# --- Chain checks ------------------------------------------------------------------------

# The verifier's reasons, told apart by their wording (scrm.audit.selectors), first match wins.
_BREAK_KINDS = (
    ("no valid signature", ChainBreak.SIGNATURE),
    ("the row was rewritten", ChainBreak.REWRITTEN),
    ("is missing", ChainBreak.MISSING),
    ("prev_hash", ChainBreak.PREV_HASH),
    ("not configured", ChainBreak.UNKNOWN_KEY),
    ("downgraded", ChainBreak.DOWNGRADED),
    ("does not match its hash", ChainBreak.ALTERED),
)


def _break_kind(reason: str) -> str:
    return next((str(kind) for text, kind in _BREAK_KINDS if text in reason), str(ChainBreak.OTHER))


def chain_check_request(
    *, actor: AbstractBaseUser | AnonymousUser, request: HttpRequest | None = None
) -> tuple[ChainCheck, bool]:
    """A check asked for on the console: a new running row, audited and handed to a worker after
    the commit; or the one already running. Returns the check and whether it is new.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY + 1])
        running = chain_check_running()
        if running is not None:
            return running, False
        check = ChainCheck.objects.create(
            started_at=timezone.now(),
            requested_by_id=actor.pk if actor.is_authenticated else None,
            requested_by_username=actor.get_username() if actor.is_authenticated else "",
        )
        audit_record(actor=actor, action=AuditAction.CHAIN_CHECK, target=check, request=request)
        transaction.on_commit(partial(_chain_check_enqueue, check.pk))
    return check, True


def _chain_check_enqueue(check_id: int) -> None:
    from scrm.audit.tasks import audit_verify_chain_task  # the task module imports this one

    audit_verify_chain_task.delay(check_id)


def chain_check_run(*, check_id: int | None = None) -> ChainCheck:
    """Verify the chain and the digests and record the outcome on ``check_id`` (a new row when None).

    Run twice for the same check, the second run finds it finished and verifies nothing.
    """
    if check_id is None:
        check = ChainCheck.objects.create(started_at=timezone.now())
    else:
        check = ChainCheck.objects.get(pk=check_id)
        if check.status != ChainCheckStatus.RUNNING:
            return check
    try:
        result: ChainVerification = audit_chain_verify()
    except Exception:
        ChainCheck.objects.filter(pk=check.pk).update(status=ChainCheckStatus.FAILED, finished_at=timezone.now())
        raise
    check.status = ChainCheckStatus.INTACT if result.ok else ChainCheckStatus.BROKEN
    check.finished_at = timezone.now()
    check.checked = result.checked
    check.digests_checked = result.digests_checked
    check.broken_sequence = result.broken_sequence
    check.reason = result.reason[:300]
    check.break_kind = "" if result.ok else _break_kind(result.reason)
    check.save(
        update_fields=[
            "status",
            "finished_at",
            "checked",
            "digests_checked",
            "broken_sequence",
            "reason",
            "break_kind",
        ]
    )
    return check
