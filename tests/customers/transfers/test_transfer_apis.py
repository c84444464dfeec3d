"""Transfer and timeline endpoints."""

import pytest

from customers.audit import CustomerAuditAction
from customers.models import Customer, CustomerTransfer, TimelineKind
from customers.timeline.services import timeline_record
from scrm.audit.models import AuditEvent
from scrm.org.models import Staff
from scrm.org.services import staff_mark_departed
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_a_branch_manager_hands_a_departed_rms_customers_to_a_colleague(
    world: World, client_for, colleague: Staff
) -> None:
    staff_mark_departed(staff=world.rm_bj, actor=world.hq_admin.user, reason="resigned")

    response = client_for("branch_manager").post(
        "/api/customers/transfers/",
        {
            "kind": "inherit",
            "from_employee_no": world.rm_bj.employee_no,
            "to_employee_no": colleague.employee_no,
            "reason": "离职继承",
        },
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["transferred"], response.json()["skipped"]) == (3, 0)
    assert Customer.objects.filter(owner=colleague).count() == 3


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


def test_the_timeline_lists_a_customers_events_newest_first(world: World, client_for, colleague: Staff) -> None:
    customer = world.customers_rm_bj[0]
    timeline_record(customer=customer, kind=TimelineKind.NOTE, summary="电话回访", actor=world.rm_bj)
    client_for("hq_admin").post(
        "/api/customers/transfers/",
        {
            "kind": "reassign",
            "customer_nos": [customer.customer_no],
            "to_employee_no": colleague.employee_no,
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


# --- Transferring the customers a search finds -----------------------------------------------


def transfer(client, **payload: object):
    return client.post("/api/customers/transfers/", payload, content_type="application/json")


def owner_ids(customers: list[Customer]) -> list[int | None]:
    return [Customer.objects.get(pk=customer.pk).owner_id for customer in customers]


def test_an_hq_admin_moves_the_customers_a_search_finds(world: World, client_for, colleague: Staff) -> None:
    rich = world.customers_rm_bj[0]
    Customer.objects.filter(pk=rich.pk).update(aum=800_000)

    response = transfer(
        client_for("hq_admin"),
        kind="reassign",
        filters={"owner": world.rm_bj.employee_no, "aum_min": "500000"},
        to_employee_no=colleague.employee_no,
        reason="高净值客户集中维护",
    )

    assert response.status_code == 200
    assert (response.json()["transferred"], response.json()["skipped"]) == (1, 0)
    assert owner_ids(world.customers_rm_bj) == [colleague.pk, world.rm_bj.pk, world.rm_bj.pk]
    record = CustomerTransfer.objects.get()
    assert (record.customer_id, str(record.batch_id), record.reason) == (
        rich.pk,
        response.json()["batch_id"],
        "高净值客户集中维护",
    )


def test_filters_never_reach_customers_outside_the_callers_scope(world: World, client_for, colleague: Staff) -> None:
    Customer.objects.update(aum=800_000)  # every customer of the bank matches the search

    response = transfer(
        client_for("branch_manager"),
        kind="reassign",
        filters={"aum_min": 500_000, "branch": "BJ-HD-1"},
        to_employee_no=colleague.employee_no,
        reason="x",
    )

    # In scope: rm_bj's 3 (moved) and the unassigned pool customer (no active RM: skipped).
    assert (response.json()["transferred"], response.json()["skipped"]) == (3, 1)
    assert set(owner_ids(world.customers_rm_sh)) == {world.rm_sh.pk}
    assert not CustomerTransfer.objects.filter(customer__in=world.customers_rm_sh).exists()


def test_a_search_across_outlets_is_refused_in_chinese_and_moves_nobody(world: World, client_for) -> None:
    response = transfer(
        client_for("branch_manager"),
        kind="reassign",
        filters={"branch": "BJ"},
        to_employee_no=world.rm_bj2.employee_no,
        reason="x",
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith("所选客户中有 4 位不属于")
    assert response.json()["extra"]["elsewhere"] == 4
    assert not CustomerTransfer.objects.exists()
    assert owner_ids(world.customers_rm_bj) == [world.rm_bj.pk] * 3


@pytest.mark.parametrize(
    "filters", [{"branch": "SH"}, {"owner": "E-NOBODY"}, {"branch": "NOPE"}, {"branch": "BJ", "name": "李四"}]
)
def test_a_search_outside_the_scope_moves_nobody(world: World, client_for, filters: dict) -> None:
    response = transfer(
        client_for("branch_manager"),
        kind="reassign",
        filters=filters,
        to_employee_no=world.rm_bj2.employee_no,
        reason="x",
    )

    assert response.status_code == 200
    assert (response.json()["transferred"], response.json()["skipped"]) == (0, 0)
    assert not CustomerTransfer.objects.exists()
    assert AuditEvent.objects.get(action=CustomerAuditAction.TRANSFER).data["requested"] == 0


@pytest.mark.parametrize(
    ("selection", "errors"),
    [
        ({"filters": {"owner_no": "E1"}}, {"filters": {"owner_no": ["不是客户查询的筛选条件。"]}}),
        ({"filters": {}}, {"filters": {"non_field_errors": ["请至少给出一个筛选条件。"]}}),
        ({"filters": {"risk_level": "C9"}}, {"filters": {"risk_level": ["“C9” 不是合法选项。"]}}),
        ({"filters": {"aum_min": -1}}, {"filters": {"aum_min": ["请确保该值大于或者等于 0。"]}}),
        (
            {"filters": {"aum_min": 1}, "from_employee_no": "E1"},
            {"non_field_errors": ["customer_nos、filters、from_employee_no 须给出且只给出其一。"]},
        ),
        (
            {"filters": {"aum_min": 1}, "customer_nos": ["C1"]},
            {"non_field_errors": ["customer_nos、filters、from_employee_no 须给出且只给出其一。"]},
        ),
    ],
)
def test_a_bad_selection_answers_400_and_moves_nobody(world: World, client_for, selection: dict, errors: dict) -> None:
    response = transfer(
        client_for("hq_admin"), kind="reassign", to_employee_no=world.rm_bj2.employee_no, reason="x", **selection
    )

    assert response.status_code == 400
    assert response.json() == {"message": "Validation error", "extra": {"fields": errors}}
    assert owner_ids(world.customers_rm_bj) == [world.rm_bj.pk] * 3
    assert not CustomerTransfer.objects.exists()
    assert not AuditEvent.objects.filter(action=CustomerAuditAction.TRANSFER).exists()


def test_an_unknown_tag_in_the_filters_answers_400_and_moves_nobody(world: World, client_for) -> None:
    response = transfer(
        client_for("hq_admin"),
        kind="reassign",
        filters={"tags_any": ["nope"]},
        to_employee_no=world.rm_bj2.employee_no,
        reason="x",
    )

    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "tags", "codes": ["nope"]}
    assert not CustomerTransfer.objects.exists()
