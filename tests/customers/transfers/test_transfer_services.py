"""Transfers: who may move which customers, and every move leaves a trail."""

import pytest
from django.core.exceptions import PermissionDenied

from customers.audit import CustomerAuditAction
from customers.models import Customer, CustomerTransfer, TimelineEvent, TransferKind
from customers.transfers.services import (
    branch_close_with_customers,
    branch_customers_rebook,
    customers_transfer,
    staff_move_keeping_customers_at_their_outlet,
)
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Role, Staff, StaffStatus
from scrm.org.services import staff_change_role, staff_mark_departed
from tests.conftest import World
from tests.factories import CustomerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def owners(customers: list[Customer]) -> set[int | None]:
    return set(Customer.objects.filter(pk__in=[c.pk for c in customers]).values_list("owner_id", flat=True))


def test_reassignment_moves_customers_and_records_each_move(world: World, colleague: Staff) -> None:
    moving = world.customers_rm_bj[:2]

    result = customers_transfer(
        customers=Customer.objects.filter(pk__in=[c.pk for c in moving]),
        to_staff=colleague,
        kind=TransferKind.REASSIGN,
        reason="客户经理岗位调整",
        actor=world.branch_manager_bj,
    )

    assert (result.transferred, result.skipped, result.to_staff_name) == (2, 0, "赵六")
    assert owners(moving) == {colleague.pk}
    assert owners(world.customers_rm_bj[2:]) == {world.rm_bj.pk}
    records = CustomerTransfer.objects.filter(batch_id=result.batch_id)
    assert {(r.from_staff_id, r.to_staff_id, r.created_by_id) for r in records} == {
        (world.rm_bj.pk, colleague.pk, world.branch_manager_bj.pk)
    }
    assert TimelineEvent.objects.filter(kind="transferred", customer__in=moving).count() == 2
    audit = AuditEvent.objects.get(action=CustomerAuditAction.TRANSFER)
    assert audit.target_id == str(result.batch_id)
    assert audit.data == {
        "kind": "reassign",
        "to": colleague.employee_no,
        "requested": 2,
        "transferred": 2,
        "reason": "客户经理岗位调整",
    }


def test_inheritance_moves_only_customers_of_departed_staff(world: World, colleague: Staff) -> None:
    staff_mark_departed(staff=world.rm_bj, actor=world.hq_admin.user, reason="resigned")
    mine = CustomerFactory(owner=colleague)
    everyone_in_the_outlet = Customer.objects.filter(branch=world.bj_hd_1)

    result = customers_transfer(
        customers=everyone_in_the_outlet,
        to_staff=colleague,
        kind=TransferKind.INHERIT,
        reason="离职继承",
        actor=world.hq_admin,
    )

    # rm_bj's 3 customers and the unassigned pool customer; the colleague's own one is skipped
    assert (result.transferred, result.skipped) == (4, 1)
    assert owners([*world.customers_rm_bj, world.pool_customer_bj_hd_1, mine]) == {colleague.pk}


def test_a_customer_never_gets_an_rm_of_another_outlet(world: World) -> None:
    """The import contract's rule: the owner works at the customer's outlet. Nothing moves."""
    selection = Customer.objects.filter(pk__in=[world.customers_rm_bj[0].pk, world.customers_rm_bj2[0].pk])

    with pytest.raises(ApplicationError) as refused:
        customers_transfer(
            customers=selection, to_staff=world.rm_bj2, kind=TransferKind.REASSIGN, reason="x", actor=world.hq_admin
        )

    assert refused.value.message == (
        f"所选客户中有 1 位不属于{world.rm_bj2.name}所在的五道口网点。"
        "客户的客户经理须在客户所属网点任职，请选择该网点的客户经理。"
    )
    assert owners(world.customers_rm_bj[:1]) == {world.rm_bj.pk}
    assert not CustomerTransfer.objects.exists()
    assert not AuditEvent.objects.filter(action=CustomerAuditAction.TRANSFER).exists()


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
    with pytest.raises(ApplicationError, match="接收的客户经理不在您所辖机构范围内。"):
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
    departed = StaffFactory(user=UserFactory(username="gone"), role=Role.RM, branch=world.bj_hd_1)
    departed.status = StaffStatus.DEPARTED
    departed.save(update_fields=["status"])
    selection = Customer.objects.filter(pk=world.customers_rm_bj[0].pk)

    with pytest.raises(ApplicationError, match="转移客户须填写原因。"):
        customers_transfer(
            customers=selection, to_staff=world.rm_bj2, kind=TransferKind.REASSIGN, reason="  ", actor=world.hq_admin
        )
    with pytest.raises(ApplicationError, match="客户只能转给在职且可登录的客户经理。"):
        customers_transfer(
            customers=selection, to_staff=departed, kind=TransferKind.REASSIGN, reason="x", actor=world.hq_admin
        )
    with pytest.raises(ApplicationError, match="客户只能转给在职且可登录的客户经理。"):
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


def test_closing_an_outlet_books_its_customers_at_the_receiving_rms_outlet(world: World, colleague: Staff) -> None:

    staff_change_role(staff=world.rm_bj2, role=Role.RM, branch=world.bj_hd_1, actor=world.hq_admin.user, reason="并点")

    result = branch_close_with_customers(
        branch=world.bj_hd_2, to_staff=colleague, reason="五道口网点并入中关村网点", actor=world.branch_manager_bj
    )

    assert result is not None
    assert result.transferred == 2
    moved = Customer.objects.filter(pk__in=[c.pk for c in world.customers_rm_bj2])
    assert set(moved.values_list("owner_id", "branch_id")) == {(colleague.pk, world.bj_hd_1.pk)}
    world.bj_hd_2.refresh_from_db()
    assert world.bj_hd_2.is_closed
    assert AuditEvent.objects.get(action=CustomerAuditAction.TRANSFER).data["rebooked_at"] == "BJ-HD-1"


def test_an_outlet_with_customers_and_nobody_to_take_them_stays_open(world: World) -> None:

    staff_change_role(staff=world.rm_bj2, role=Role.RM, branch=world.bj_hd_1, actor=world.hq_admin.user, reason="并点")

    with pytest.raises(ApplicationError, match="五道口网点仍有 2 位客户，请先将其转至其他网点。"):
        branch_close_with_customers(branch=world.bj_hd_2, to_staff=None, reason="撤并", actor=world.hq_admin)

    world.bj_hd_2.refresh_from_db()
    assert not world.bj_hd_2.is_closed
    assert owners(world.customers_rm_bj2) == {world.rm_bj2.pk}


def test_an_outlet_whose_staff_remain_keeps_its_customers_too(world: World, colleague: Staff) -> None:

    with pytest.raises(ApplicationError, match="五道口网点仍有 1 名员工"):
        branch_close_with_customers(branch=world.bj_hd_2, to_staff=colleague, reason="撤并", actor=world.hq_admin)

    assert owners(world.customers_rm_bj2) == {world.rm_bj2.pk}
    assert not CustomerTransfer.objects.exists()


def test_an_rm_with_customers_does_not_move_outlet_until_they_are_transferred(world: World, colleague: Staff) -> None:
    with pytest.raises(ApplicationError, match="在中关村网点仍有 3 位客户"):
        staff_move_keeping_customers_at_their_outlet(
            staff=world.rm_bj, role=Role.RM, branch=world.bj_hd_2, reason="调岗", actor=world.branch_manager_bj
        )
    assert Staff.objects.get(pk=world.rm_bj.pk).branch_id == world.bj_hd_1.pk

    customers_transfer(
        customers=Customer.objects.filter(owner=world.rm_bj),
        to_staff=colleague,
        kind=TransferKind.REASSIGN,
        reason="调岗交接",
        actor=world.branch_manager_bj,
    )
    staff_move_keeping_customers_at_their_outlet(
        staff=world.rm_bj, role=Role.RM, branch=world.bj_hd_2, reason="调岗", actor=world.branch_manager_bj
    )

    assert Staff.objects.get(pk=world.rm_bj.pk).branch_id == world.bj_hd_2.pk


def test_rebooking_refuses_an_rm_of_the_same_outlet(world: World) -> None:
    with pytest.raises(ApplicationError, match="请选择其他网点的客户经理"):
        branch_customers_rebook(branch=world.bj_hd_2, to_staff=world.rm_bj2, reason="x", actor=world.hq_admin)

    assert owners(world.customers_rm_bj2) == {world.rm_bj2.pk}
