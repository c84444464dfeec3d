"""Writes of the violation workflow: scanning messages, review, rescans, manager digests, deletion alerts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels.outbox.services import outbox_submit
from risk.audit import ComplianceAuditAction
from risk.compliance import selectors as library_selectors
from risk.compliance.archive.models import ArchivedMessage, SenderKind
from risk.compliance.matcher import library_current
from risk.compliance.violations.masking import text_pii_masked
from risk.compliance.violations.models import (
    DeletionAlert,
    DeletionDirection,
    ManagerDigest,
    ManagerNotice,
    RescanRun,
    RescanStatus,
    Severity,
    Violation,
    ViolationStatus,
)
from risk.compliance.violations.rules import MessageFacts, RuleSettings, rules_evaluate
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Role, Staff, StaffStatus

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500
_INSERT_BATCH = 500
# The app message WeCom takes is at most 2,048 bytes; a digest is far shorter.
DIGEST_OPERATION = "message_send"

# --- Scanning --------------------------------------------------------------------------

_MESSAGE_FIELDS = (
    "id",
    "sent_at",
    "sender_kind",
    "sender_id",
    "text",
    "chat_id",
    "chat__kind",
    "chat__staff_id",
    "chat__customer_id",
    "chat__staff__branch_id",
)


def _with_sender_staff(messages: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each message as (id, sent_at, sender_kind, text, chat_id, chat_kind, staff_id, customer_id, branch_id).

    A message a member of staff sent counts against that member (in a group chat, not
    necessarily the chat's owner); anything else against the chat's staff member.
    """
    senders = {row[3] for row in messages if row[2] == SenderKind.STAFF}
    staff_of = {
        userid: (staff_id, branch_id)
        for userid, staff_id, branch_id in Staff.objects.filter(wecom_userid__in=senders).values_list(
            "wecom_userid", "id", "branch_id"
        )
    }
    rows = []
    for message_id, sent_at, kind, sender_id, text, chat_id, chat_kind, staff_id, customer_id, branch_id in messages:
        if kind == SenderKind.STAFF and sender_id in staff_of:
            staff_id, branch_id = staff_of[sender_id]
        rows.append((message_id, sent_at, kind, text, chat_id, chat_kind, staff_id, customer_id, branch_id))
    return rows


_VIOLATION_COLUMNS = (
    "rule",
    "category",
    "severity",
    "entry",
    "word_id",
    "matched_text",
    "context_before",
    "context_after",
    "match_start",
    "match_end",
    "hit_count",
    "message_id",
    "message_sent_at",
    "chat_id",
    "staff_id",
    "customer_id",
    "branch_id",
    "status",
    "review_reason",
    "detected_at",
    "library_version",
)


def _violation_rows(messages: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rules' hits on each message, as rows of ``_VIOLATION_COLUMNS``; PII in the stored text masked."""
    library = library_current()
    config = RuleSettings.from_settings()
    context = settings.VIOLATION_CONTEXT_CHARACTERS
    now = timezone.now()
    rows: list[tuple[Any, ...]] = []
    for message_id, sent_at, sender_kind, text, chat_id, chat_kind, staff_id, customer_id, branch_id in messages:
        hits = library.check(text)
        found = rules_evaluate(MessageFacts(text, sender_kind, sent_at, chat_kind), hits, config)
        if not found:
            continue
        masked = text_pii_masked(text)
        for hit in found:
            rows.append(
                (
                    hit.rule.value,
                    hit.category,
                    hit.severity,
                    hit.entry[:64],
                    hit.word_id,
                    masked[hit.start : hit.end][:200],
                    masked[max(0, hit.start - context) : hit.start][-200:],
                    masked[hit.end : hit.end + context][:200],
                    hit.start,
                    hit.end,
                    hit.hit_count,
                    message_id,
                    sent_at,
                    chat_id,
                    staff_id,
                    customer_id,
                    branch_id,
                    ViolationStatus.OPEN.value,
                    "",
                    now,
                    library.version,
                )
            )
    return rows


def _violations_insert(rows: list[tuple[Any, ...]]) -> list[tuple[int, str]]:
    """Insert the rows, skipping (message, rule) pairs already found; (id, severity) of the new ones."""
    inserted: list[tuple[int, str]] = []
    columns = ", ".join(_VIOLATION_COLUMNS)
    placeholders = "(" + ", ".join(["%s"] * len(_VIOLATION_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _INSERT_BATCH):
            batch = rows[start : start + _INSERT_BATCH]
            values = ", ".join([placeholders] * len(batch))
            cursor.execute(
                f"INSERT INTO risk_violation ({columns}) VALUES {values} "  # noqa: S608 - fixed columns
                "ON CONFLICT (message_id, rule) DO NOTHING RETURNING id, severity",
                [value for row in batch for value in row],
            )
            inserted.extend(cursor.fetchall())
    return inserted


def _notices_for_violations(violation_ids: list[int]) -> None:
    """Each high-severity violation, to be told to every active branch manager above its branch."""
    if not violation_ids or not settings.VIOLATION_MANAGER_ALERTS:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO risk_managernotice (manager_id, violation_id, created_at)
            SELECT manager.id, violation.id, now()
            FROM risk_violation violation
            JOIN org_branch branch ON branch.id = violation.branch_id
            JOIN org_staff manager ON manager.role = %s AND manager.status = %s
            JOIN org_branch manager_branch ON manager_branch.id = manager.branch_id
                 AND branch.path LIKE manager_branch.path || '%%'
            WHERE violation.id = ANY(%s) AND violation.severity = %s
            ON CONFLICT DO NOTHING
            """,
            [Role.BRANCH_MANAGER.value, StaffStatus.ACTIVE.value, violation_ids, Severity.HIGH.value],
        )


def _scan(messages: Sequence[tuple[Any, ...]]) -> int:
    rows = _violation_rows(_with_sender_staff(messages))
    if not rows:
        return 0
    with transaction.atomic():
        inserted = _violations_insert(rows)
        _notices_for_violations([violation_id for violation_id, severity in inserted if severity == Severity.HIGH])
    return len(inserted)


def violations_scan(message_ids: Sequence[int]) -> int:
    """Run the rules over these archived messages; returns how many violations are new.

    Safe to call again for the same messages (ingestion's retry, a rescan): a message's
    violation of a rule is stored once (ON CONFLICT DO NOTHING on (message, rule)).
    """
    ids = sorted({int(message_id) for message_id in message_ids})
    if not ids:
        return 0
    messages = ArchivedMessage.objects.filter(id__in=ids).exclude(text="").values_list(*_MESSAGE_FIELDS)
    return _scan(list(messages))


def violations_scan_range(*, first_id: int, last_id: int) -> int:
    """Run the rules over the messages with ids from ``first_id`` to ``last_id`` (both included)."""
    messages = (
        ArchivedMessage.objects.filter(id__gte=first_id, id__lte=last_id).exclude(text="").values_list(*_MESSAGE_FIELDS)
    )
    return _scan(list(messages))


# --- Rescans ---------------------------------------------------------------------------


def _rescan_enqueue(run_id: int, ranges: list[tuple[int, int]]) -> None:
    from risk.compliance.violations.tasks import violations_rescan_range_task

    for first_id, last_id in ranges:
        violations_rescan_range_task.delay(run_id, first_id, last_id)


def violations_rescan_start(*, actor: Staff | None, request: HttpRequest | None = None) -> RescanRun:
    """Rescan the whole archive with the current library, in id ranges the bulk workers share.

    A rescan already running is returned instead of a second one.
    """
    with transaction.atomic():
        running = RescanRun.objects.select_for_update().filter(status=RescanStatus.RUNNING).order_by("-id").first()
        if running is not None:
            return running
        _token, version = library_selectors.library_version_current()
        bounds = ArchivedMessage.objects.aggregate(first=Min("id"), last=Max("id"))
        first, last = bounds["first"], bounds["last"]
        size = max(1, settings.VIOLATION_RESCAN_CHUNK_SIZE)
        ranges = [] if first is None else [(low, min(low + size - 1, last)) for low in range(first, last + 1, size)]
        run = RescanRun.objects.create(
            library_version=version,
            first_message_id=first or 0,
            last_message_id=last or 0,
            chunk_size=size,
            total_chunks=len(ranges),
            started_by=actor,
            status=RescanStatus.RUNNING if ranges else RescanStatus.FINISHED,
            finished_at=None if ranges else timezone.now(),
        )
        if actor is not None:
            audit_record(
                actor=actor.user,
                action=ComplianceAuditAction.VIOLATIONS_RESCAN_STARTED,
                target=run,
                data={"library_version": version, "ranges": len(ranges)},
                request=request,
            )
        transaction.on_commit(partial(_rescan_enqueue, run.pk, ranges))
    return run


def violations_rescan_range(*, run_id: int, first_id: int, last_id: int) -> int:
    """Scan one range of a rescan and count it done, in one transaction: a retried range counts once."""
    with transaction.atomic():
        added = violations_scan_range(first_id=first_id, last_id=last_id)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE risk_rescanrun
                SET done_chunks = array_append(done_chunks, %s),
                    violations_added = violations_added + %s,
                    status = CASE WHEN cardinality(done_chunks) + 1 >= total_chunks THEN %s ELSE status END,
                    finished_at = CASE WHEN cardinality(done_chunks) + 1 >= total_chunks THEN now() ELSE NULL END
                WHERE id = %s AND NOT (%s = ANY(done_chunks))
                """,
                [first_id, added, RescanStatus.FINISHED.value, run_id, first_id],
            )
    return added


def violations_rescan_if_library_changed() -> RescanRun | None:
    """Start a rescan when the library's version is not the one the last rescan used."""
    if not settings.VIOLATION_RESCAN_ON_LIBRARY_CHANGE:
        return None
    _token, version = library_selectors.library_version_current()
    last = RescanRun.objects.order_by("-id").first()
    if version == 0 or (last is not None and (last.status == RescanStatus.RUNNING or last.library_version == version)):
        return None
    return violations_rescan_start(actor=None)


# --- Review ----------------------------------------------------------------------------


def _violation_locked(violation_id: int) -> Violation:
    try:
        return Violation.objects.select_for_update().get(pk=violation_id)
    except Violation.DoesNotExist as error:
        raise ApplicationError(_("No such violation."), extra={"field": "violation"}) from error


def compliance_officer_get(*, staff_id: int) -> Staff:
    officer = Staff.objects.filter(pk=staff_id, role=Role.COMPLIANCE, status=StaffStatus.ACTIVE).first()
    if officer is None:
        raise ApplicationError(
            _("A violation is assigned to an active compliance officer."), extra={"field": "assignee"}
        )
    return officer


@transaction.atomic
def violation_assign(
    *, violation_id: int, assignee_id: int | None, actor: Staff, request: HttpRequest | None = None
) -> Violation:
    """Give the violation to a compliance officer to review (or take it back with None)."""
    assignee = compliance_officer_get(staff_id=assignee_id) if assignee_id is not None else None
    violation = _violation_locked(violation_id)
    if violation.status != ViolationStatus.OPEN:
        raise ApplicationError(_("Only an open violation can be assigned."), extra={"field": "status"})
    old = violation.assignee_id
    if old == (assignee.pk if assignee else None):
        return violation
    violation.assignee = assignee
    violation.save(update_fields=["assignee"])
    audit_record(
        actor=actor.user,
        action=ComplianceAuditAction.VIOLATION_ASSIGNED,
        target=violation,
        data={"assignee": [old, violation.assignee_id]},
        request=request,
    )
    return violation


_DECISIONS = {"confirm": ViolationStatus.CONFIRMED, "dismiss": ViolationStatus.DISMISSED}


@transaction.atomic
def violation_review(
    *, violation_id: int, decision: str, reason: str, actor: Staff, request: HttpRequest | None = None
) -> Violation:
    """Confirm or dismiss an open violation; the reason is required and goes to the audit trail."""
    if decision not in _DECISIONS:
        raise ApplicationError(_("The decision is confirm or dismiss."), extra={"field": "decision"})
    text_require_plain(reason, field="reason")
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the decision."), extra={"field": "reason"})
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(
            _("A reason holds at most %(count)d characters.") % {"count": REASON_MAX_LENGTH}, extra={"field": "reason"}
        )
    violation = _violation_locked(violation_id)
    if violation.status != ViolationStatus.OPEN:
        raise ApplicationError(_("This violation has already been reviewed."), extra={"field": "status"})
    violation.status = _DECISIONS[decision]
    violation.review_reason = reason
    violation.reviewer = actor
    violation.reviewed_at = timezone.now()
    violation.save(update_fields=["status", "review_reason", "reviewer", "reviewed_at"])
    action = (
        ComplianceAuditAction.VIOLATION_CONFIRMED
        if violation.status == ViolationStatus.CONFIRMED
        else ComplianceAuditAction.VIOLATION_DISMISSED
    )
    audit_record(
        actor=actor.user,
        action=action,
        target=violation,
        data={
            "rule": violation.rule,
            "staff": violation.staff_id,
            "status": [ViolationStatus.OPEN.value, violation.status],
            "reason": reason,
        },
        request=request,
    )
    return violation


# --- Deletion alerts (删人提醒) -------------------------------------------------------------

_DIRECTIONS = {
    "staff": (DeletionDirection.STAFF_DELETED_CUSTOMER, "DELETION_ALERTS_STAFF_DELETED_CUSTOMER"),
    "customer": (DeletionDirection.CUSTOMER_DELETED_STAFF, "DELETION_ALERTS_CUSTOMER_DELETED_STAFF"),
}


@dataclass(frozen=True)
class DeletionFacts:
    relation_id: int
    deleted_by: str
    userid: str
    external_userid: str
    staff_id: int | None
    customer_id: int | None
    deleted_at: datetime


def deletion_alert_record(*, facts: DeletionFacts) -> DeletionAlert | None:
    """Record an ended relation an RM or a customer ended (not a transfer), and queue the managers' notice.

    Recorded once per relation and time: a replayed event changes nothing.
    """
    if facts.deleted_by not in _DIRECTIONS:
        return None
    direction, setting = _DIRECTIONS[facts.deleted_by]
    notify = bool(getattr(settings, setting))
    staff = Staff.objects.filter(pk=facts.staff_id).only("id", "branch_id").first() if facts.staff_id else None
    with transaction.atomic():
        alert, created = DeletionAlert.objects.get_or_create(
            relation_id=facts.relation_id,
            occurred_at=facts.deleted_at,
            defaults={
                "direction": direction,
                "staff": staff,
                "customer_id": facts.customer_id,
                "branch_id": staff.branch_id if staff else None,
                "userid": facts.userid[:64],
                "external_userid": facts.external_userid[:64],
                "notify": notify,
            },
        )
        if created and notify and alert.branch_id is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO risk_managernotice (manager_id, deletion_id, created_at)
                    SELECT manager.id, %s, now()
                    FROM org_branch branch
                    JOIN org_staff manager ON manager.role = %s AND manager.status = %s
                    JOIN org_branch manager_branch ON manager_branch.id = manager.branch_id
                         AND branch.path LIKE manager_branch.path || '%%'
                    WHERE branch.id = %s
                    ON CONFLICT DO NOTHING
                    """,
                    [alert.pk, Role.BRANCH_MANAGER.value, StaffStatus.ACTIVE.value, alert.branch_id],
                )
    return alert


# --- Manager digests -----------------------------------------------------------------------


def digest_window(moment: datetime) -> int:
    return int(moment.timestamp() // (settings.VIOLATION_ALERT_WINDOW_MINUTES * 60))


def digest_text(*, violations: int, deletions: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.PUBLIC_BASE_URL + reverse("violation-queue")
        return _(
            "Compliance alert for your branch: %(violations)d new high-severity violations, "
            "%(deletions)d deleted WeCom relations. Review them at %(url)s"
        ) % {"violations": violations, "deletions": deletions, "url": url}


def _digest_for(manager: Staff, window: int) -> ManagerDigest | None:
    with transaction.atomic():
        notices = list(
            ManagerNotice.objects.select_for_update(skip_locked=True)
            .filter(manager=manager, digest__isnull=True)
            .values_list("id", "violation_id")
        )
        if not notices or ManagerDigest.objects.filter(manager=manager, window=window).exists():
            return None
        violations = sum(1 for _id, violation_id in notices if violation_id is not None)
        key = f"compliance-digest:{manager.pk}:{window}"
        try:
            with transaction.atomic():
                digest = ManagerDigest.objects.create(
                    manager=manager,
                    window=window,
                    violation_count=violations,
                    deletion_count=len(notices) - violations,
                    outbox_key=key,
                )
        except IntegrityError:
            return None  # a peer sent this window's digest a moment ago
        ManagerNotice.objects.filter(pk__in=[notice_id for notice_id, _v in notices]).update(digest=digest)
        outbox_submit(
            key=key,
            operation=DIGEST_OPERATION,
            payload={
                "touser": [manager.wecom_userid],
                "text": digest_text(violations=violations, deletions=len(notices) - violations),
            },
        )
    return digest


def manager_digests_send(*, now: datetime | None = None) -> int:
    """One app message per branch manager with something new and no message yet in this window.

    What arrives after this window's message waits for the next window, so a manager gets
    at most one message a window, far inside WeCom's 30 a minute to one member.
    """
    window = digest_window(now or timezone.now())
    manager_ids = set(ManagerNotice.objects.filter(digest__isnull=True).values_list("manager_id", flat=True))
    managers = Staff.objects.filter(pk__in=manager_ids, status=StaffStatus.ACTIVE).exclude(wecom_userid=None)
    sent = 0
    for manager in managers.exclude(wecom_userid="").order_by("id"):
        sent += _digest_for(manager, window) is not None
    return sent
