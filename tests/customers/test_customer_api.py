"""Customer API: masked profiles in scope, 404 outside it, and the audited reveal."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from drf_spectacular.validation import validate_schema

from customers.models import Customer
from scrm.audit.models import AuditAction, AuditEvent
from scrm.pii import PiiKind, mask_id_number, mask_name, mask_phone, unseal
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:customer-list")
ROLES = ["hq_admin", "branch_manager", "rm", "compliance"]


def localised(message: str) -> str:
    """A message as the API answers it: in the default language, as /api/ has no language prefix."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(message)


def detail_url(customer: Customer) -> str:
    return reverse("api:customer-detail", args=[customer.customer_no])


def reveal_url(customer: Customer) -> str:
    return reverse("api:customer-reveal-pii", args=[customer.customer_no])


def reveal(client, customer: Customer, **payload: str):
    return client.post(reveal_url(customer), data=json.dumps(payload), content_type="application/json")


def in_scope(world: World, role: str) -> set[str]:
    everyone = world.customers_rm_bj + world.customers_rm_bj2 + world.customers_rm_sh + [world.pool_customer_bj_hd_1]
    beijing = world.customers_rm_bj + world.customers_rm_bj2 + [world.pool_customer_bj_hd_1]
    own_and_pool = [*world.customers_rm_bj, world.pool_customer_bj_hd_1]
    scopes = {"hq_admin": everyone, "compliance": everyone, "branch_manager": beijing, "rm": own_and_pool}
    return {customer.customer_no for customer in scopes[role]}


def plain_values(customer_nos: set[str]) -> dict[str, tuple[str, str, str]]:
    return {
        customer.customer_no: (
            unseal(customer.name_cipher, kind=PiiKind.NAME),
            unseal(customer.phone_cipher, kind=PiiKind.PHONE),
            unseal(customer.id_number_cipher, kind=PiiKind.ID_NUMBER),
        )
        for customer in Customer.objects.filter(customer_no__in=customer_nos)
    }


def masks_of(plain: tuple[str, str, str]) -> tuple[str, str, str]:
    name, phone, id_number = plain
    return mask_name(name), mask_phone(phone), mask_id_number(id_number)


def masked(row: dict) -> tuple[str, str, str]:
    return row["name_masked"], row["phone_masked"], row["id_number_masked"]


# --- list and detail -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_masked_profiles_of_the_viewers_scope_only(world: World, client_for, role: str) -> None:
    response = client_for(role).get(LIST_URL)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["customer_no"]: masked(row) for row in rows} == {
        customer_no: masks_of(plain) for customer_no, plain in plain_values(in_scope(world, role)).items()
    }
    assert {row["can_reveal"] for row in rows} == {role != "compliance"}
    body = response.content.decode()
    assert not [value for plain in plain_values(in_scope(world, role)).values() for value in plain if value in body]


def test_a_profile_is_masked_and_carries_no_full_value(world: World, client_for) -> None:
    customer = CustomerFactory(owner=world.rm_bj, name="欧阳娜娜", phone="13912345678", id_number="110101199003076631")

    response = client_for("rm").get(detail_url(customer))

    assert response.status_code == 200
    assert response.json() == {
        "customer_no": customer.customer_no,
        "name_masked": "欧阳**",
        "phone_masked": "139****5678",
        "id_number_masked": "110101********6631",
        "gender": "M",
        "branch_code": "BJ-HD-1",
        "branch_name": "中关村网点",
        "owner_employee_no": world.rm_bj.employee_no,
        "owner_name": world.rm_bj.name,
        "aum": "100000.00",
        "risk_level": "",
        "lifecycle_stage": "new",
        "marketing_consent": False,
        "last_contact_at": None,
        "opened_on": None,
        "can_reveal": True,
    }


def test_compliance_sees_the_profile_masked_and_may_not_reveal(world: World, client_for) -> None:
    response = client_for("compliance").get(detail_url(world.customers_rm_sh[0]))

    assert response.status_code == 200
    assert (response.json()["name_masked"], response.json()["can_reveal"]) == ("张*", False)


@pytest.mark.parametrize(
    ("role", "outside"),
    [
        ("branch_manager", lambda world: world.customers_rm_sh[0]),
        ("rm", lambda world: world.customers_rm_sh[0]),
        ("rm", lambda world: world.customers_rm_bj2[0]),
    ],
    ids=["branch-manager-other-branch", "rm-other-branch", "rm-other-outlet"],
)
def test_a_customer_outside_the_scope_does_not_exist_for_the_viewer(
    world: World, client_for, role: str, outside
) -> None:
    client = client_for(role)

    response = client.get(detail_url(outside(world)))
    nonexistent = client.get(reverse("api:customer-detail", args=["C9999999999"]))

    assert (response.status_code, response.json()) == (404, {"message": localised("Not found."), "extra": {}})
    assert (nonexistent.status_code, nonexistent.json()) == (response.status_code, response.json())


def test_the_list_filters_within_the_scope(world: World, client_for) -> None:
    mature = CustomerFactory(owner=world.rm_bj, lifecycle_stage="mature")
    CustomerFactory(owner=world.rm_sh, lifecycle_stage="mature")

    response = client_for("rm").get(LIST_URL, {"lifecycle_stage": "mature"})

    assert [row["customer_no"] for row in response.json()["results"]] == [mature.customer_no]


def test_the_list_pages_by_keyset(world: World, client_for) -> None:
    client = client_for("hq_admin")

    first = client.get(LIST_URL, {"page_size": 4}).json()
    second = client.get(first["next"]).json()

    ordered = sorted(in_scope(world, "hq_admin"), key=lambda no: Customer.objects.get(customer_no=no).pk)
    assert [row["customer_no"] for row in first["results"] + second["results"]] == ordered[:8]


# user, staff scope, one page of customers with branch and owner joined in, and the
# session save that makes the session timeout an idle timeout (savepoint, update, release).
LIST_QUERIES = 6


@pytest.mark.parametrize("role", ["hq_admin", "rm"])
def test_the_list_costs_the_same_queries_for_one_customer_or_fifty(
    world: World, client_for, role: str, django_assert_max_num_queries
) -> None:
    client = client_for(role)
    with django_assert_max_num_queries(LIST_QUERIES):
        one = client.get(LIST_URL, {"page_size": 1})
    CustomerFactory.create_batch(40, owner=world.rm_bj)

    with django_assert_max_num_queries(LIST_QUERIES):
        fifty = client.get(LIST_URL, {"page_size": 50})

    assert len(one.json()["results"]) == 1
    assert len(fifty.json()["results"]) == (50 if role == "hq_admin" else 44)


def test_anonymous_requests_are_refused(world: World, client: Client) -> None:
    responses = [
        client.get(LIST_URL),
        client.get(detail_url(world.customers_rm_bj[0])),
        reveal(client, world.customers_rm_bj[0], field="phone", purpose="回访"),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
    assert responses[0].json() == {"message": localised("Authentication credentials were not provided."), "extra": {}}
    assert not AuditEvent.objects.exists()


# --- reveal -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "customer"),
    [
        ("hq_admin", lambda world: world.customers_rm_sh[0]),
        ("branch_manager", lambda world: world.customers_rm_bj2[0]),
        ("rm", lambda world: world.customers_rm_bj[0]),
        ("rm", lambda world: world.pool_customer_bj_hd_1),
    ],
    ids=["hq-admin", "branch-manager", "rm-own", "rm-pool"],
)
def test_a_role_that_may_reveal_gets_the_full_value_audited(world: World, client_for, role: str, customer) -> None:
    target = customer(world)

    response = reveal(client_for(role), target, field="id_number", purpose="开户资料核对")

    assert response.status_code == 200
    [(_, _, id_number)] = plain_values({target.customer_no}).values()
    assert response.json() == {"customer_no": target.customer_no, "field": "id_number", "value": id_number}
    assert response.headers["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    [event] = AuditEvent.objects.all()
    assert (event.action, event.actor_id) == (AuditAction.PII_REVEAL, world.staff_for(role).user.pk)
    assert event.data == {"field": "id_number", "purpose": "开户资料核对", "customer_no": target.customer_no}


def test_compliance_gets_403_on_reveal_and_nothing_is_written(world: World, client_for) -> None:
    response = reveal(client_for("compliance"), world.customers_rm_bj[0], field="phone", purpose="审计抽查")

    assert response.status_code == 403
    assert response.json() == {"message": localised("You do not have permission to perform this action."), "extra": {}}
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("role", "outside"),
    [("branch_manager", lambda world: world.customers_rm_sh[0]), ("rm", lambda world: world.customers_rm_bj2[0])],
    ids=["branch-manager", "rm"],
)
def test_reveal_outside_the_scope_is_404_and_nothing_is_written(world: World, client_for, role: str, outside) -> None:
    response = reveal(client_for(role), outside(world), field="phone", purpose="回访")

    assert response.status_code == 404
    assert response.json() == {"message": localised("Not found."), "extra": {}}
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("payload", "invalid"),
    [
        ({"field": "email", "purpose": "回访"}, "field"),
        ({"purpose": "回访"}, "field"),
        ({"field": "phone", "purpose": ""}, "purpose"),
        ({"field": "phone", "purpose": "   "}, "purpose"),
        ({"field": "phone", "purpose": "x" * 201}, "purpose"),
    ],
    ids=["unknown-field", "no-field", "empty-purpose", "blank-purpose", "long-purpose"],
)
def test_invalid_reveal_input_is_400_in_the_standard_shape(world: World, client_for, payload, invalid: str) -> None:
    response = reveal(client_for("rm"), world.customers_rm_bj[0], **payload)

    assert response.status_code == 400
    body = response.json()
    assert (body["message"], list(body["extra"]), list(body["extra"]["fields"])) == (
        "Validation error",
        ["fields"],
        [invalid],
    )
    [message] = body["extra"]["fields"][invalid]
    assert message
    assert not AuditEvent.objects.exists()


def test_revealing_a_missing_value_is_400_and_nothing_is_written(world: World, client_for) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone_cipher=None, phone_index=None)

    response = reveal(client_for("rm"), customer, field="phone", purpose="回访")

    assert response.status_code == 400
    assert response.json() == {
        "message": localised("This customer has no such information on record."),
        "extra": {"field": "phone"},
    }
    assert not AuditEvent.objects.exists()


# --- schema ------------------------------------------------------------------------------------


def test_the_openapi_schema_is_valid_and_describes_the_customer_client_for(world: World, client_for) -> None:
    response = client_for("hq_admin").get(reverse("api:schema"), {"format": "json"})

    assert response.status_code == 200
    validate_schema(response.json())
    paths = response.json()["paths"]
    assert set(paths["/api/customers/"]) == {"get"}
    assert set(paths["/api/customers/{customer_no}/"]) == {"get"}
    assert set(paths["/api/customers/{customer_no}/reveal/"]) == {"post"}
