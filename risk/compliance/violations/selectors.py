"""Reads of the violation queue, the conversation around a hit, and the per-RM figures, scoped to the viewer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from risk.compliance.archive.models import ArchivedMessage, SenderKind
from risk.compliance.violations.masking import text_pii_masked
from risk.compliance.violations.models import (
    DeletionAlert,
    DeletionDirection,
    RescanRun,
    Rule,
    Severity,
    Violation,
    ViolationStatus,
)
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch, Role, Staff, StaffStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    Viewer = AbstractBaseUser | AnonymousUser


ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"


@dataclass(frozen=True)
class ViolationFilters:
    branch: Branch | None = None
    severity: str = ""
    rule: str = ""
    status: str = ""
    # "", "me", "none" or a staff id.
    assignee: str = ""
    staff_id: int | None = None


def _positive_int(value: str, *, field: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise ApplicationError(_("“%(value)s” is not a valid number.") % {"value": value[:20]}, extra={"field": field})
    return int(value)


def _choice(value: str, choices: list[str], *, field: str) -> str:
    if value and value not in choices:
        raise ApplicationError(_("“%(value)s” is not a valid choice.") % {"value": value[:20]}, extra={"field": field})
    return value


def violation_filters_parse(*, params: Mapping[str, str], user: Viewer) -> ViolationFilters:
    """The queue's filters from query parameters; a bad value is an ``ApplicationError`` naming the field."""
    branch = None
    branch_value = (params.get("branch") or "").strip()
    if branch_value:
        branch = (
            Branch.objects.visible_to(user).filter(pk=_positive_int(branch_value, field="branch")).first()
            if branch_value.isdigit()
            else None
        )
        if branch is None:
            raise ApplicationError(_("No such branch."), extra={"field": "branch"})
    assignee = (params.get("assignee") or "").strip()
    if assignee not in ("", ASSIGNEE_ME, ASSIGNEE_NONE):
        assignee = str(_positive_int(assignee, field="assignee"))
    staff_value = (params.get("staff") or "").strip()
    return ViolationFilters(
        branch=branch,
        severity=_choice((params.get("severity") or "").strip(), list(Severity.values), field="severity"),
        rule=_choice((params.get("rule") or "").strip(), list(Rule.values), field="rule"),
        status=_choice((params.get("status") or "").strip(), list(ViolationStatus.values), field="status"),
        assignee=assignee,
        staff_id=_positive_int(staff_value, field="staff") if staff_value else None,
    )


def violations_list(*, user: Viewer, filters: ViolationFilters | None = None) -> QuerySet[Violation]:
    """The violations the viewer may see, filtered, newest first."""
    filters = filters or ViolationFilters()
    violations = Violation.objects.visible_to(user).select_related("staff", "branch", "assignee", "chat")
    if filters.branch is not None:
        violations = violations.filter(branch__path__startswith=filters.branch.path)
    if filters.severity:
        violations = violations.filter(severity=filters.severity)
    if filters.rule:
        violations = violations.filter(rule=filters.rule)
    if filters.status:
        violations = violations.filter(status=filters.status)
    if filters.assignee == ASSIGNEE_NONE:
        violations = violations.filter(assignee__isnull=True)
    elif filters.assignee == ASSIGNEE_ME:
        violations = violations.filter(assignee__user_id=getattr(user, "pk", None) or 0)
    elif filters.assignee:
        violations = violations.filter(assignee_id=int(filters.assignee))
    if filters.staff_id is not None:
        violations = violations.filter(staff_id=filters.staff_id)
    return violations.order_by("-detected_at", "-id")


def violation_get(*, user: Viewer, violation_id: int) -> Violation:
    """Raises ``Violation.DoesNotExist`` for a violation outside the viewer's scope too."""
    return (
        Violation.objects.visible_to(user)
        .select_related("staff", "branch", "assignee", "reviewer", "chat", "customer")
        .get(pk=violation_id)
    )


@dataclass(frozen=True)
class ConversationLine:
    message_id: int
    sent_at: datetime
    sender_kind: str
    sender_label: str
    msgtype: str
    # Phone, ID and card numbers masked: staff only ever see this form.
    text: str
    is_hit: bool
    # The masked text cut around the hit, for the hit's own message: (before, matched, after).
    hit_pieces: tuple[str, str, str] | None = None


def _sender_label(sender_kind: str) -> str:
    return str(SenderKind(sender_kind).label) if sender_kind in SenderKind.values else sender_kind


def violation_conversation(*, violation: Violation, around: int | None = None) -> list[ConversationLine]:
    """The hit's message with up to ``around`` messages of the same chat before and after it, PII masked."""
    around = settings.VIOLATION_CONVERSATION_MESSAGES if around is None else around
    chat = ArchivedMessage.objects.filter(chat_id=violation.chat_id)
    fields = ("id", "sent_at", "sender_kind", "msgtype", "text")
    at, message_id = violation.message_sent_at, violation.message_id
    before = list(
        chat.filter(Q(sent_at__lt=at) | Q(sent_at=at, id__lt=message_id))
        .order_by("-sent_at", "-id")
        .values_list(*fields)[:around]
    )
    hit = list(chat.filter(id=message_id, sent_at=at).values_list(*fields))
    after = list(
        chat.filter(Q(sent_at__gt=at) | Q(sent_at=at, id__gt=message_id))
        .order_by("sent_at", "id")
        .values_list(*fields)[:around]
    )
    lines = []
    for row_id, sent_at, sender_kind, msgtype, text in [*reversed(before), *hit, *after]:
        masked = text_pii_masked(text)
        is_hit = row_id == message_id
        pieces = None
        if is_hit and violation.match_end <= len(masked):
            start, end = violation.match_start, violation.match_end
            pieces = (masked[:start], masked[start:end], masked[end:])
        lines.append(
            ConversationLine(
                message_id=row_id,
                sent_at=sent_at,
                sender_kind=sender_kind,
                sender_label=_sender_label(sender_kind),
                msgtype=msgtype,
                text=masked,
                is_hit=is_hit,
                hit_pieces=pieces,
            )
        )
    return lines


def compliance_officers() -> QuerySet[Staff]:
    """Who a violation can be assigned to: active compliance staff."""
    return Staff.objects.filter(role=Role.COMPLIANCE, status=StaffStatus.ACTIVE).order_by("name", "id")


def rescan_latest() -> RescanRun | None:
    return RescanRun.objects.order_by("-id").first()


@dataclass(frozen=True)
class RmFigures:
    """One member of staff's compliance record: what counts against them."""

    staff_id: int
    name: str
    branch_name: str
    confirmed: int
    open: int
    dismissed: int
    deleted_customers: int
    deleted_by_customers: int


def rm_figures(
    *, user: Viewer, branch: Branch | None = None, since: datetime | None = None, limit: int = 100
) -> list[RmFigures]:
    """Per member of staff in the viewer's scope: violations by status and deleted relations by direction.

    Confirmed violations and deletions count against the RM; open ones await review and
    dismissed ones do not count. Worst first.
    """
    violations = Violation.objects.visible_to(user).filter(staff__isnull=False)
    deletions = DeletionAlert.objects.visible_to(user).filter(staff__isnull=False)
    if branch is not None:
        violations = violations.filter(branch__path__startswith=branch.path)
        deletions = deletions.filter(branch__path__startswith=branch.path)
    if since is not None:
        violations = violations.filter(detected_at__gte=since)
        deletions = deletions.filter(occurred_at__gte=since)
    by_status = violations.values("staff_id").annotate(
        confirmed=Count("id", filter=Q(status=ViolationStatus.CONFIRMED)),
        open=Count("id", filter=Q(status=ViolationStatus.OPEN)),
        dismissed=Count("id", filter=Q(status=ViolationStatus.DISMISSED)),
    )
    by_direction = deletions.values("staff_id").annotate(
        by_staff=Count("id", filter=Q(direction=DeletionDirection.STAFF_DELETED_CUSTOMER)),
        by_customer=Count("id", filter=Q(direction=DeletionDirection.CUSTOMER_DELETED_STAFF)),
    )
    counts: dict[int, dict[str, int]] = {}
    for row in by_status:
        counts.setdefault(row["staff_id"], {}).update(
            confirmed=row["confirmed"], open=row["open"], dismissed=row["dismissed"]
        )
    for deleted in by_direction:
        counts.setdefault(deleted["staff_id"], {}).update(
            by_staff=deleted["by_staff"], by_customer=deleted["by_customer"]
        )
    staff = {
        member.pk: member
        for member in Staff.objects.filter(pk__in=list(counts))
        .select_related("branch")
        .only("id", "name", "branch__name")
    }
    figures = [
        RmFigures(
            staff_id=staff_id,
            name=staff[staff_id].name if staff_id in staff else "",
            branch_name=staff[staff_id].branch.name if staff_id in staff else "",
            confirmed=values.get("confirmed", 0),
            open=values.get("open", 0),
            dismissed=values.get("dismissed", 0),
            deleted_customers=values.get("by_staff", 0),
            deleted_by_customers=values.get("by_customer", 0),
        )
        for staff_id, values in counts.items()
    ]
    figures.sort(key=lambda row: (-row.confirmed, -row.deleted_customers, -row.open, row.name))
    return figures[:limit]
