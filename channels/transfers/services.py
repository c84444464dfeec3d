"""Moving WeCom relations when customers change RM (在职转接 / 离职继承).

The customers app moves the owner at once; here the relation follows on WeCom. A
transfer to a member still at the bank needs the customer's consent within 24 h
(WeCom asks them); one from a member who left goes through the resigned API. WeCom's
outcome comes back as transfer_fail events and through transfer_result, polled.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from channels.models import (
    ContactTransfer,
    ContactTransferStatus,
    FollowRelation,
    OutboxStatus,
    RelationStatus,
)
from channels.outbox.services import outbox_send_now
from channels.wecom.events import ExternalContactEvent
from channels.wecom.gateway import wecom
from customers.models import CustomerTransfer, TransferKind, TransferStatus
from customers.transfers.services import customer_transfers_wecom_status_set
from scrm.org.models import StaffStatus

logger = logging.getLogger(__name__)

# transfer_customer takes at most 100 customers a call (WECOM.md §4).
CUSTOMERS_PER_CALL = 100
# transfer_result statuses (WECOM.md §4).
WECOM_DONE, WECOM_WAITING, WECOM_REFUSED, WECOM_LIMIT, WECOM_NONE = 1, 2, 3, 4, 5
_FAILURES = {WECOM_REFUSED: "customer_refused", WECOM_LIMIT: "customer_limit_exceed"}

Group = tuple[str, str, bool]


def transfers_start(batch_id: UUID) -> int:
    """Ask WeCom to move the relations of a committed transfer batch; returns the moves requested."""
    transfers = CustomerTransfer.objects.filter(batch_id=batch_id).select_related("from_staff", "to_staff")
    groups: dict[Group, list[ContactTransfer]] = defaultdict(list)
    with transaction.atomic():
        for transfer in transfers:
            if transfer.from_staff is None or not transfer.from_staff.wecom_userid:
                continue
            relations = FollowRelation.objects.filter(
                contact__customer_id=transfer.customer_id,
                userid=transfer.from_staff.wecom_userid,
                status=RelationStatus.ACTIVE,
            ).select_related("contact")
            resigned = transfer.kind == TransferKind.INHERIT or transfer.from_staff.status == StaffStatus.DEPARTED
            for relation in relations:
                if ContactTransfer.objects.filter(customer_transfer=transfer, contact=relation.contact).exists():
                    continue  # this batch was started before (a retried task)
                move = ContactTransfer(
                    customer_transfer=transfer,
                    contact=relation.contact,
                    handover_userid=relation.userid,
                    takeover_userid=transfer.to_staff.wecom_userid or "",
                    resigned=resigned,
                )
                if not move.takeover_userid:
                    move.status, move.failure, move.finished_at = (
                        ContactTransferStatus.FAILED,
                        "the new RM has no WeCom account",
                        timezone.now(),
                    )
                move.save()
                if move.status == ContactTransferStatus.PENDING:
                    groups[(move.handover_userid, move.takeover_userid, resigned)].append(move)
        customer_transfers_wecom_status_set(
            transfer_ids=list(
                ContactTransfer.objects.filter(customer_transfer__batch_id=batch_id)
                .values_list("customer_transfer_id", flat=True)
                .distinct()
            ),
            status=TransferStatus.WECOM_PENDING,
        )
    requested = 0
    for (handover, takeover, resigned), moves in groups.items():
        for start in range(0, len(moves), CUSTOMERS_PER_CALL):
            chunk = moves[start : start + CUSTOMERS_PER_CALL]
            call = outbox_send_now(
                key=f"transfer:{batch_id}:{handover}:{takeover}:{start // CUSTOMERS_PER_CALL}",
                operation="transfer_customers",
                payload={
                    "handover_userid": handover,
                    "takeover_userid": takeover,
                    "external_userids": [move.contact.external_userid for move in chunk],
                    "resigned": resigned,
                },
            )
            _apply_request_outcome(chunk, call.status, call.result_value("errcodes", {}), call.error_message)
            requested += len(chunk)
    _settle_customer_transfers(batch_id=batch_id)
    return requested


def _apply_request_outcome(moves: list[ContactTransfer], status: str, errcodes: dict[str, int], error: str) -> None:
    """WeCom refused some customers outright (per-customer errcode) or the whole call."""
    now = timezone.now()
    for move in moves:
        if status == OutboxStatus.FAILED:
            failure = error[:200]
        elif status == OutboxStatus.SUCCEEDED and errcodes.get(move.contact.external_userid, 0):
            failure = f"WeCom errcode {errcodes[move.contact.external_userid]}"
        else:
            continue  # accepted, or still being sent: transfer_result will tell
        ContactTransfer.objects.filter(pk=move.pk, status=ContactTransferStatus.PENDING).update(
            status=ContactTransferStatus.FAILED, failure=failure, finished_at=now
        )


def _settle_customer_transfers(*, batch_id: UUID | None = None, transfer_ids: list[int] | None = None) -> None:
    """A customer transfer is WeCom-failed if any move failed, done once every move is done."""
    transfers = CustomerTransfer.objects.filter(status=TransferStatus.WECOM_PENDING)
    if batch_id is not None:
        transfers = transfers.filter(batch_id=batch_id)
    if transfer_ids is not None:
        transfers = transfers.filter(pk__in=transfer_ids)
    pending = set(transfers.values_list("id", flat=True))
    if not pending:
        return
    moves = ContactTransfer.objects.filter(customer_transfer_id__in=pending)
    failed = set(moves.filter(status=ContactTransferStatus.FAILED).values_list("customer_transfer_id", flat=True))
    open_ = set(moves.filter(status=ContactTransferStatus.PENDING).values_list("customer_transfer_id", flat=True))
    settle = customer_transfers_wecom_status_set
    settle(transfer_ids=sorted(failed), status=TransferStatus.WECOM_FAILED, only_from=TransferStatus.WECOM_PENDING)
    settle(
        transfer_ids=sorted(pending - failed - open_),
        status=TransferStatus.DONE,
        only_from=TransferStatus.WECOM_PENDING,
    )


def _finish_moves(moves: list[ContactTransfer], *, wecom_status: int) -> None:
    now = timezone.now()
    if wecom_status == WECOM_DONE:
        values = {"status": ContactTransferStatus.DONE, "finished_at": now}
    elif wecom_status in _FAILURES:
        values = {"status": ContactTransferStatus.FAILED, "failure": _FAILURES[wecom_status], "finished_at": now}
    else:
        values = {}
    ContactTransfer.objects.filter(pk__in=[move.pk for move in moves]).update(wecom_status=wecom_status, **values)


def transfer_results_poll() -> int:
    """Ask WeCom for the outcome of every pending move; returns how many moves it settled."""
    pending = list(ContactTransfer.objects.filter(status=ContactTransferStatus.PENDING).select_related("contact"))
    groups: dict[Group, list[ContactTransfer]] = defaultdict(list)
    for move in pending:
        groups[(move.handover_userid, move.takeover_userid, move.resigned)].append(move)
    settled = 0
    for (handover, takeover, resigned), moves in groups.items():
        statuses = wecom().transfer_results(handover_userid=handover, takeover_userid=takeover, resigned=resigned)
        by_status: dict[int, list[ContactTransfer]] = defaultdict(list)
        for move in moves:
            if move.contact.external_userid in statuses:
                by_status[statuses[move.contact.external_userid]].append(move)
        for wecom_status, batch in by_status.items():
            _finish_moves(batch, wecom_status=wecom_status)
            settled += len(batch) if wecom_status in (WECOM_DONE, *_FAILURES) else 0
    _settle_customer_transfers(transfer_ids=list({move.customer_transfer_id for move in pending}))
    return settled


def transfer_failed(event: ExternalContactEvent) -> None:
    """transfer_fail: the customer refused, or the new RM is at WeCom's customer limit."""
    moves = list(
        ContactTransfer.objects.filter(
            contact__external_userid=event.external_user_id,
            takeover_userid=event.user_id,
            status=ContactTransferStatus.PENDING,
        )
    )
    if not moves:
        return
    now = timezone.now()
    ContactTransfer.objects.filter(pk__in=[move.pk for move in moves]).update(
        status=ContactTransferStatus.FAILED, failure=event.fail_reason or "transfer failed", finished_at=now
    )
    _settle_customer_transfers(transfer_ids=[move.customer_transfer_id for move in moves])
