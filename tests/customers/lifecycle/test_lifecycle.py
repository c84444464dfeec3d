"""Lifecycle stages follow the documented rules, first match wins."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.lifecycle.services import lifecycle_stages_recompute
from customers.models import Customer, ProductHolding
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 6, 15)


def days_ago(days: int) -> datetime.date:
    return ON - datetime.timedelta(days=days)


def contacted(days: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(days_ago(days), datetime.time(10)))


def holdings(customer: Customer, count: int) -> None:
    for index in range(count):
        ProductHolding.objects.create(
            customer=customer, product_code=f"P{index}", product_name="p", product_type="deposit", amount=1
        )


@pytest.mark.parametrize(
    ("attributes", "products", "stage"),
    [
        ({"opened_on": days_ago(30), "aum": Decimal(0)}, 0, "new"),
        ({"opened_on": days_ago(400), "aum": Decimal(0)}, 0, "churned"),
        ({"opened_on": days_ago(400), "aum": Decimal(0)}, 1, "dormant"),
        ({"opened_on": days_ago(400), "aum": Decimal(5000), "last_contact_at": contacted(200)}, 1, "dormant"),
        ({"opened_on": days_ago(400), "aum": Decimal(5000), "last_contact_at": None}, 1, "dormant"),
        ({"opened_on": days_ago(400), "aum": Decimal(5000), "last_contact_at": contacted(20)}, 1, "growing"),
        ({"opened_on": days_ago(400), "aum": Decimal(600000), "last_contact_at": contacted(20)}, 0, "mature"),
        ({"opened_on": days_ago(400), "aum": Decimal(20000), "last_contact_at": contacted(20)}, 3, "mature"),
        ({"opened_on": None, "aum": Decimal(20000), "last_contact_at": contacted(20)}, 1, "growing"),
    ],
)
def test_each_rule(world: World, attributes: dict, products: int, stage: str) -> None:
    customer = CustomerFactory(
        owner=world.rm_bj, lifecycle_stage="growing" if stage != "growing" else "new", **attributes
    )
    holdings(customer, products)

    lifecycle_stages_recompute(on=ON)

    customer.refresh_from_db()
    assert customer.lifecycle_stage == stage


def test_only_changed_customers_are_written_and_ranges_cover_everyone(world: World) -> None:
    Customer.objects.update(opened_on=days_ago(10), lifecycle_stage="growing")

    first = lifecycle_stages_recompute(on=ON, range_size=3)
    second = lifecycle_stages_recompute(on=ON, range_size=3)

    assert first == Customer.objects.count() == 10
    assert set(Customer.objects.values_list("lifecycle_stage", flat=True)) == {"new"}
    assert second == 0
