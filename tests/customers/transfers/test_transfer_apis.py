"""Transfer and timeline endpoints."""

import pytest

from customers.models import Customer, TimelineKind
from customers.timeline.services import timeline_record
from scrm.org.services import staff_mark_departed
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_a_branch_manager_hands_a_departed_rms_customers_to_a_colleague(world: World, client_for) -> None:
    staff_mark_departed(staff=world.rm_bj, actor=world.hq_admin.user, reason="resigned")

    response = client_for("branch_manager").post(
        "/api/customers/transfers/",
        {
            "kind": "inherit",
            "from_employee_no": world.rm_bj.employee_no,
            "to_employee_no": world.rm_bj2.employee_no,
            "reason": "离职继承",
        },
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["transferred"], response.json()["skipped"]) == (3, 0)
    assert Customer.objects.filter(owner=world.rm_bj2).count() == 5


def test_the_receiving_rm_must_be_in_the_managers_scope(world: World, client_for) -> None:
    response = client_for("branch_manager").post(
        "/api/customers/transfers/",
        {
            "kind": "reassign",
            "customer_nos": [world.customers_rm_bj[0].customer_no],
            "to_employee_no": world.rm_sh.employee_no,
            "reason": "x",
        },
        content_type="application/json",
    )

    assert response.status_code == 404
    assert Customer.objects.get(pk=world.customers_rm_bj[0].pk).owner_id == world.rm_bj.pk


def test_either_customers_or_a_previous_owner_is_named(world: World, client_for) -> None:
    response = client_for("hq_admin").post(
        "/api/customers/transfers/",
        {"kind": "reassign", "to_employee_no": world.rm_bj2.employee_no, "reason": "x"},
        content_type="application/json",
    )

    assert response.status_code == 400


def test_the_timeline_lists_a_customers_events_newest_first(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]
    timeline_record(customer=customer, kind=TimelineKind.NOTE, summary="电话回访", actor=world.rm_bj)
    client_for("hq_admin").post(
        "/api/customers/transfers/",
        {
            "kind": "reassign",
            "customer_nos": [customer.customer_no],
            "to_employee_no": world.rm_bj2.employee_no,
            "reason": "调岗",
        },
        content_type="application/json",
    )

    response = client_for("hq_admin").get(f"/api/customers/{customer.customer_no}/timeline/")

    assert response.status_code == 200
    assert [event["kind"] for event in response.json()] == ["transferred", "note"]
    assert response.json()[0]["actor_name"] == world.hq_admin.name


def test_the_timeline_of_a_customer_outside_scope_is_not_found(world: World, client_for) -> None:
    response = client_for("rm").get(f"/api/customers/{world.customers_rm_sh[0].customer_no}/timeline/")

    assert response.status_code == 404
