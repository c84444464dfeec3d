"""Moving customers between RMs: 在职转接 (reassign) and 离职继承 (inherit from a departed RM).

One statement moves every selected customer, records one CustomerTransfer row and one
timeline event per customer, and one audit row names the batch. The customer's
branch (where the relationship is booked) does not change; only the owner does.

The WeCom side (transfer_customer / resigned transfer) is the channels app's job: on
``CustomersTransferred`` (``customers.events``) it picks up the batch's customers who have a WeCom relation
with the previous owner, moves the relation and reflects WeCom's outcome in ``status``.
"""

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.audit import CustomerAuditAction
from customers.events import CustomersTransferred
from customers.models import Customer, CustomerTransfer, TimelineKind, TransferKind, TransferStatus
from customers.timeline.services import timeline_insert_sql
from customers.transfers.selectors import transfer_outlet_message
from scrm.audit.services import audit_record
from scrm.core import events
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Branch, Role, Staff, StaffStatus
from scrm.org.services import branch_close, staff_change_role


@dataclass(frozen=True)
class TransferResult:
    batch_id: uuid.UUID
    transferred: int
    skipped: int
    to_staff_name: str = ""
    at: datetime.datetime | None = None


_TRANSFER_SQL = """
WITH candidates AS (
    SELECT c.id, c.owner_id AS from_id
    FROM customers_customer c
    JOIN ({selected}) s ON s.id = c.id
    LEFT JOIN org_staff o ON o.id = c.owner_id
    WHERE {owner_condition}
    FOR UPDATE OF c
),
moved AS (
    UPDATE customers_customer c SET owner_id = %(to_id)s, {rebook}updated_at = %(now)s
    FROM candidates WHERE c.id = candidates.id
    RETURNING c.id, candidates.from_id
),
records AS (
    INSERT INTO customers_customertransfer
        (customer_id, batch_id, kind, from_staff_id, to_staff_id, reason, status, created_by_id, created_at)
    SELECT id, %(batch)s, %(kind)s, from_id, %(to_id)s, %(reason)s, %(status)s, %(actor_id)s, %(now)s FROM moved
),
events AS ({events})
SELECT count(*) FROM moved
""".replace(
    "{events}",
    timeline_insert_sql(
        """
    SELECT id, %(event_kind)s, %(now)s, %(actor_id)s, %(summary)s,
           jsonb_build_object('transfer_kind', %(kind)s::text, 'to', %(to_employee_no)s::text, 'batch', %(batch)s::text)
    FROM moved"""
    ),
)

# Which current owners each kind of transfer moves customers away from.
_OWNER_CONDITIONS = {
    TransferKind.REASSIGN: "c.owner_id IS DISTINCT FROM %(to_id)s AND o.status = 'active'",
    TransferKind.INHERIT: "c.owner_id IS DISTINCT FROM %(to_id)s AND (o.status = 'departed' OR c.owner_id IS NULL)",
}
# Closing a branch moves every customer booked there, whoever owns them, to the new outlet.
_REBOOK_CONDITION = "(c.owner_id IS DISTINCT FROM %(to_id)s OR c.branch_id IS DISTINCT FROM %(to_branch_id)s)"


def _check_actor_may_transfer(*, actor: Staff, to_staff: Staff) -> None:
    if actor.role not in (Role.HQ_ADMIN, Role.BRANCH_MANAGER):
        raise PermissionDenied(_("Only HQ admins and branch managers transfer customers."))
    if actor.role == Role.BRANCH_MANAGER and not to_staff.branch.path.startswith(actor.branch.path):
        raise ApplicationError(
            _("The receiving RM is outside your branch."), extra={"to_employee_no": to_staff.employee_no}
        )


def _move_selected(
    *,
    selected_sql: str,
    selected_params: tuple[Any, ...],
    batch_id: uuid.UUID,
    to_staff: Staff,
    kind: TransferKind,
    reason: str,
    actor: Staff,
    rebook: bool = False,
) -> int:
    params = {f"p{index}": value for index, value in enumerate(selected_params)} | {
        "to_id": to_staff.pk,
        "to_branch_id": to_staff.branch_id,
        "now": timezone.now(),
        "batch": batch_id,
        "kind": kind.value,
        "reason": reason,
        "status": TransferStatus.DONE.value,
        "actor_id": actor.pk,
        "event_kind": TimelineKind.TRANSFERRED.value,
        "summary": f"{TransferKind(kind).label}: {to_staff.name}"[:200],
        "to_employee_no": to_staff.employee_no,
    }
    # The selection's own placeholders are positional (%s); name them to mix with ours.
    named_selected = selected_sql
    for index in range(len(selected_params)):
        named_selected = named_selected.replace("%s", f"%(p{index})s", 1)
    sql = _TRANSFER_SQL.format(
        selected=named_selected,
        owner_condition=_REBOOK_CONDITION if rebook else _OWNER_CONDITIONS[kind],
        rebook="branch_id = %(to_branch_id)s, " if rebook else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


@transaction.atomic
def customers_transfer(
    *,
    customers: QuerySet[Customer],
    to_staff: Staff,
    kind: TransferKind,
    reason: str,
    actor: Staff,
    rebook: bool = False,
) -> TransferResult:
    """Move the selected customers to ``to_staff``. ``customers`` is re-scoped to the actor here,
    so a caller can never move a customer the actor cannot see.

    A customer's RM works at the customer's outlet, so customers booked elsewhere are
    refused, and nothing moves. ``rebook`` (closing a branch) moves every selected
    customer, whoever owns them, to ``to_staff`` and books them at ``to_staff``'s outlet."""
    reason = text_require_plain(reason.strip(), field="reason")
    if not reason:
        raise ApplicationError(_("A reason is required for a transfer."), extra={"field": "reason"})
    if to_staff.role != Role.RM or to_staff.status != StaffStatus.ACTIVE or not to_staff.user.is_active:
        raise ApplicationError(
            _("Customers can only be transferred to an active RM."), extra={"to_employee_no": to_staff.employee_no}
        )
    _check_actor_may_transfer(actor=actor, to_staff=to_staff)
    scoped = customers & Customer.objects.visible_to(actor.user)
    if not rebook:
        elsewhere = scoped.exclude(branch_id=to_staff.branch_id).count()
        if elsewhere:
            raise ApplicationError(
                transfer_outlet_message(count=elsewhere, to_staff=to_staff),
                extra={"to_employee_no": to_staff.employee_no, "elsewhere": elsewhere},
            )
    batch_id = uuid.uuid4()
    try:
        selected_sql, selected_params = scoped.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:
        # Django writes no SQL for a selection it knows to be empty (a search for a branch
        # that does not exist, a name nobody has): nothing to move, but the attempt is audited.
        requested = transferred = 0
    else:
        requested = scoped.count()
        transferred = _move_selected(
            selected_sql=selected_sql,
            selected_params=selected_params,
            batch_id=batch_id,
            to_staff=to_staff,
            kind=kind,
            reason=reason,
            actor=actor,
            rebook=rebook,
        )
    if transferred:
        events.publish(CustomersTransferred(batch_id=str(batch_id)))
    audit_record(
        actor=actor.user,
        action=CustomerAuditAction.TRANSFER,
        target_type="customers.transferbatch",
        target_id=str(batch_id),
        data={
            "kind": kind.value,
            "to": to_staff.employee_no,
            "requested": requested,
            "transferred": transferred,
            "reason": reason,
            **({"rebooked_at": to_staff.branch.code} if rebook else {}),
        },
    )
    return TransferResult(
        batch_id=batch_id,
        transferred=transferred,
        skipped=requested - transferred,
        to_staff_name=to_staff.name,
        at=timezone.now(),
    )


@transaction.atomic
def branch_customers_rebook(*, branch: Branch, to_staff: Staff, reason: str, actor: Staff) -> TransferResult:
    """Give every customer booked at ``branch`` to ``to_staff`` of another outlet and book
    them there (a reassignment, audited and on each timeline): the step before a branch's
    staff move away and it closes."""
    if to_staff.branch_id == branch.pk:
        raise ApplicationError(_("Choose an RM of another outlet: this one is being closed."))
    # Customers are scoped by their branch, so whoever may see the branch sees all of its customers.
    booked = Customer.objects.visible_to(actor.user).filter(branch=branch)
    return customers_transfer(
        customers=booked, to_staff=to_staff, kind=TransferKind.REASSIGN, reason=reason, actor=actor, rebook=True
    )


@transaction.atomic
def branch_close_with_customers(
    *, branch: Branch, to_staff: Staff | None, reason: str, actor: Staff
) -> TransferResult | None:
    """撤销 a branch: first its remaining customers go to ``to_staff`` (``branch_customers_rebook``),
    then ``branch_close`` closes it. With customers still booked there and nobody to give
    them to, or staff still working there, nothing changes."""
    booked = Customer.objects.visible_to(actor.user).filter(branch=branch)
    result = None
    if to_staff is not None and booked.exists():
        result = branch_customers_rebook(branch=branch, to_staff=to_staff, reason=reason, actor=actor)
    remaining = booked.count()
    if remaining:
        raise ApplicationError(
            _("%(count)d customers are still booked at %(branch)s: reassign them to another outlet first.")
            % {"count": remaining, "branch": branch.name},
            extra={"customers": remaining},
        )
    branch_close(branch=branch, actor=actor.user, reason=reason)
    return result


def customer_transfers_wecom_status_set(
    *, transfer_ids: list[int], status: TransferStatus, only_from: TransferStatus | None = None
) -> int:
    """Record what WeCom made of the transfers' relations (the channels app follows them there).

    ``only_from`` changes only transfers still in that status, so a late or repeated
    report never moves a settled transfer back. Returns how many changed.
    """
    transfers = CustomerTransfer.objects.filter(pk__in=transfer_ids)
    if only_from is not None:
        transfers = transfers.filter(status=only_from)
    return transfers.exclude(status=status).update(status=status)


def staff_move_keeping_customers_at_their_outlet(
    *, staff: Staff, role: Role, branch: Branch, reason: str, actor: Staff
) -> Staff:
    """Change a person's role or place (``staff_change_role``), unless they would then own
    customers booked at another outlet: those go to a colleague of that outlet first."""
    with transaction.atomic():
        owned_elsewhere = (
            Customer.objects.visible_to(actor.user).filter(owner=staff).exclude(branch_id=branch.pk).count()
        )
        if owned_elsewhere and branch.pk != staff.branch_id:
            raise ApplicationError(
                _(
                    "%(name)s still has %(count)d customers at %(branch)s: "
                    "transfer them to a colleague there before the move."
                )
                % {"name": staff.name, "count": owned_elsewhere, "branch": staff.branch.name},
                extra={"customers": owned_elsewhere},
            )
        return staff_change_role(staff=staff, role=role, branch=branch, reason=reason, actor=actor.user)
