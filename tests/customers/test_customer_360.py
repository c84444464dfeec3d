"""Customer 360: one call gives the masked profile, tags, holdings and recent timeline."""

import datetime

import pytest

from customers.models import Customer, ProductHolding, TimelineKind
from customers.tagging.services import customer_tags_assign, tag_create, tag_group_create
from customers.timeline.services import timeline_record
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_customer(world: World) -> Customer:
    customer = world.customers_rm_bj[0]
    Customer.objects.filter(pk=customer.pk).update(aum=750000)
    golf = tag_create(group=tag_group_create(code="interest", name="兴趣"), code="golf", name="高尔夫")
    customer_tags_assign(customers=Customer.objects.filter(pk=customer.pk), tag=golf, actor=world.rm_bj)
    for code, maturity in (("TD-3M", datetime.date(2026, 12, 1)), ("DEP", None)):
        ProductHolding.objects.create(
            customer=customer,
            product_code=code,
            product_name="定期存款",
            product_type="time_deposit",
            amount=100000,
            maturity_date=maturity,
        )
    timeline_record(customer=customer, kind=TimelineKind.NOTE, summary="电话回访", actor=world.rm_bj)
    return customer


def test_the_owner_sees_the_whole_picture_masked(
    world: World, client_for, rich_customer: Customer, django_assert_max_num_queries
) -> None:
    client = client_for("rm")

    with django_assert_max_num_queries(10):
        response = client.get(f"/api/customers/{rich_customer.customer_no}/360/")

    body = response.json()
    assert response.status_code == 200
    assert body["profile"]["name_masked"] == "张*"
    assert body["profile"]["phone_masked"].count("*") == 4
    assert body["aum_band"] == "wealth"
    assert [(t["code"], t["group"], t["source"]) for t in body["tags"]] == [("golf", "兴趣", "manual")]
    assert [h["product_code"] for h in body["holdings"]] == ["TD-3M", "DEP"]
    assert [e["kind"] for e in body["timeline"]] == ["note", "tagged"]


def test_a_customer_outside_scope_is_not_found(world: World, client_for, rich_customer: Customer) -> None:
    response = client_for("rm").get(f"/api/customers/{world.customers_rm_sh[0].customer_no}/360/")

    assert response.status_code == 404
    assert set(response.json()) == {"message", "extra"}
