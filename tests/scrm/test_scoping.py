"""Data scope: each role sees exactly its part of the bank, through one mechanism."""

import pytest
from django.contrib.auth.models import AnonymousUser

from customers.models import Customer, ProductHolding
from scrm.org.models import Branch, Staff, StaffStatus
from tests.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def visible_customers(staff: Staff) -> set[int]:
    return set(Customer.objects.visible_to(staff.user).values_list("pk", flat=True))


def pks(customers: list[Customer]) -> set[int]:
    return {customer.pk for customer in customers}


def test_hq_admin_and_compliance_see_the_whole_bank(world: World) -> None:
    everyone = set(Customer.objects.values_list("pk", flat=True))

    assert visible_customers(world.hq_admin) == everyone
    assert visible_customers(world.compliance) == everyone
    assert len(everyone) == 10


def test_branch_manager_sees_their_branch_subtree_only(world: World) -> None:
    expected = pks(world.customers_rm_bj + world.customers_rm_bj2) | {world.pool_customer_bj_hd_1.pk}

    assert visible_customers(world.branch_manager_bj) == expected


def test_rm_sees_own_customers_and_their_outlet_pool(world: World) -> None:
    expected = pks(world.customers_rm_bj) | {world.pool_customer_bj_hd_1.pk}

    assert visible_customers(world.rm_bj) == expected


def test_rm_does_not_see_the_pool_when_it_is_switched_off(world: World, settings) -> None:
    settings.RM_SEES_OUTLET_POOL = False

    assert visible_customers(world.rm_bj) == pks(world.customers_rm_bj)


def test_rm_of_another_outlet_sees_none_of_the_pool(world: World) -> None:
    assert visible_customers(world.rm_bj2) == pks(world.customers_rm_bj2)


def test_departed_staff_and_strangers_see_nothing(world: World) -> None:
    Staff.objects.filter(pk=world.rm_sh.pk).update(status=StaffStatus.DEPARTED)
    world.rm_sh.user.refresh_from_db()

    assert visible_customers(world.rm_sh) == set()
    assert not Customer.objects.visible_to(AnonymousUser()).exists()
    assert not Customer.objects.visible_to(UserFactory(username="no_profile")).exists()


def test_related_rows_follow_their_customer_scope(world: World) -> None:
    mine, theirs = world.customers_rm_bj[0], world.customers_rm_sh[0]
    ProductHolding.objects.create(
        customer=mine, product_code="P1", product_name="定期", product_type="deposit", amount=1
    )
    ProductHolding.objects.create(
        customer=theirs, product_code="P1", product_name="定期", product_type="deposit", amount=1
    )

    visible = ProductHolding.objects.visible_to(world.rm_bj.user)

    assert list(visible.values_list("customer_id", flat=True)) == [mine.pk]


def test_org_data_is_scoped_the_same_way(world: World) -> None:
    assert Branch.objects.visible_to(world.hq_admin.user).count() == 8
    assert set(Branch.objects.visible_to(world.branch_manager_bj.user).values_list("code", flat=True)) == {
        "BJ",
        "BJ-HD",
        "BJ-HD-1",
        "BJ-HD-2",
    }
    assert list(Branch.objects.visible_to(world.rm_bj.user).values_list("code", flat=True)) == ["BJ-HD-1"]
    assert set(Staff.objects.visible_to(world.rm_bj.user).values_list("pk", flat=True)) == {world.rm_bj.pk}
