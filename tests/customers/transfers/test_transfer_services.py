"""Transfers: who may move which customers, and every move leaves a trail."""

import pytest
from django.core.exceptions import PermissionDenied

from customers.audit import CustomerAuditAction
from customers.models import Customer, CustomerTransfer, TimelineEvent, TransferKind
from customers.transfers.services import customers_transfer
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Role, StaffStatus
from scrm.org.services import staff_mark_departed
from tests.conftest import World
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def owners(customers: list[Customer]) -> set[int | None]:
    return set(Customer.objects.filter(pk__in=[c.pk for c in customers]).values_list("owner_id", flat=True))


def test_reassignment_moves_customers_and_records_each_move(world: World) -> None:
    moving = world.customers_rm_bj[:2]

    result = customers_transfer(
        customers=Customer.objects.filter(pk__in=[c.pk for c in moving]),
        to_staff=world.rm_bj2,
        kind=TransferKind.REASSIGN,
        reason="客户经理岗位调整",
        actor=world.branch_manager_bj,
    )

    assert (result.transferred, result.skipped) == (2, 0)
    assert owners(moving) == {world.rm_bj2.pk}
    assert owners(world.customers_rm_bj[2:]) == {world.rm_bj.pk}
    records = CustomerTransfer.objects.filter(batch_id=result.batch_id)
    assert {(r.from_staff_id, r.to_staff_id, r.created_by_id) for r in records} == {
        (world.rm_bj.pk, world.rm_bj2.pk, world.branch_manager_bj.pk)
    }
    assert TimelineEvent.objects.filter(kind="transferred", customer__in=moving).count() == 2
    audit = AuditEvent.objects.get(action=CustomerAuditAction.TRANSFER)
    assert audit.target_id == str(result.batch_id)
    assert audit.data == {
        "kind": "reassign",
        "to": world.rm_bj2.employee_no,
        "requested": 2,
        "transferred": 2,
        "reason": "客户经理岗位调整",
    }


def test_inheritance_moves_only_customers_of_departed_staff(world: World) -> None:
    staff_mark_departed(staff=world.rm_bj, actor=world.hq_admin.user, reason="resigned")
    everyone_in_bj = Customer.objects.filter(branch__path__startswith=world.bj.path)

    result = customers_transfer(
        customers=everyone_in_bj,
        to_staff=world.rm_bj2,
        kind=TransferKind.INHERIT,
        reason="离职继承",
        actor=world.hq_admin,
    )

    # rm_bj's 3 customers and the unassigned pool customer; rm_bj2's own 2 are untouched
    assert result.transferred == 4
    assert owners([*world.customers_rm_bj, world.pool_customer_bj_hd_1]) == {world.rm_bj2.pk}


def test_a_branch_manager_cannot_move_customers_they_cannot_see(world: World) -> None:
    result = customers_transfer(
        customers=Customer.objects.filter(pk__in=[c.pk for c in world.customers_rm_sh]),
        to_staff=world.rm_bj2,
        kind=TransferKind.REASSIGN,
        reason="attempt",
        actor=world.branch_manager_bj,
    )

    assert result.transferred == 0
    assert owners(world.customers_rm_sh) == {world.rm_sh.pk}
    assert not CustomerTransfer.objects.exists()


def test_a_branch_manager_cannot_hand_customers_outside_their_branch(world: World) -> None:
    with pytest.raises(ApplicationError, match="outside your branch"):
        customers_transfer(
            customers=Customer.objects.filter(pk=world.customers_rm_bj[0].pk),
            to_staff=world.rm_sh,
            kind=TransferKind.REASSIGN,
            reason="x",
            actor=world.branch_manager_bj,
        )

    assert owners(world.customers_rm_bj[:1]) == {world.rm_bj.pk}


@pytest.mark.parametrize("role", ["rm", "compliance"])
def test_rms_and_compliance_do_not_transfer(world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        customers_transfer(
            customers=Customer.objects.all(),
            to_staff=world.rm_bj2,
            kind=TransferKind.REASSIGN,
            reason="x",
            actor=world.staff_for(role),
        )

    assert not AuditEvent.objects.filter(action=CustomerAuditAction.TRANSFER).exists()


def test_a_reason_and_an_active_receiving_rm_are_required(world: World) -> None:
    departed = StaffFactory(user=UserFactory(username="gone"), role=Role.RM, branch=world.bj_hd_2)
    departed.status = StaffStatus.DEPARTED
    departed.save(update_fields=["status"])
    selection = Customer.objects.filter(pk=world.customers_rm_bj[0].pk)

    with pytest.raises(ApplicationError, match="reason is required"):
        customers_transfer(
            customers=selection, to_staff=world.rm_bj2, kind=TransferKind.REASSIGN, reason="  ", actor=world.hq_admin
        )
    with pytest.raises(ApplicationError, match="active RM"):
        customers_transfer(
            customers=selection, to_staff=departed, kind=TransferKind.REASSIGN, reason="x", actor=world.hq_admin
        )
    with pytest.raises(ApplicationError, match="active RM"):
        customers_transfer(
            customers=selection,
            to_staff=world.branch_manager_bj,
            kind=TransferKind.REASSIGN,
            reason="x",
            actor=world.hq_admin,
        )

    assert owners(world.customers_rm_bj[:1]) == {world.rm_bj.pk}
    assert not CustomerTransfer.objects.exists()


def test_customers_already_with_the_receiving_rm_are_skipped(world: World) -> None:
    result = customers_transfer(
        customers=Customer.objects.filter(owner=world.rm_bj2),
        to_staff=world.rm_bj2,
        kind=TransferKind.REASSIGN,
        reason="no-op",
        actor=world.hq_admin,
    )

    assert (result.transferred, result.skipped) == (0, 2)
