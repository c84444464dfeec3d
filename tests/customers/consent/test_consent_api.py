"""GET/POST /api/customers/<no>/consents/ and the consent section of the customer 360 page."""

import pytest
from django.test import Client

from customers.models import ConsentRecord, Customer
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _url(customer: Customer) -> str:
    return f"/api/customers/{customer.customer_no}/consents/"


def test_staff_in_scope_read_the_flags_and_history(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]

    answer = client_for("compliance").get(_url(customer))

    assert answer.status_code == 200
    body = answer.json()
    assert body["customer_no"] == customer.customer_no
    assert [(flag["purpose"], flag["granted"]) for flag in body["current"]] == [
        ("marketing", False),
        ("service", True),
        ("chat_archive", False),
    ]
    assert body["history"] == []


def test_an_rm_records_an_opt_in_then_an_opt_out_with_the_customers_words(world: World, client_for) -> None:
    client = client_for("rm")
    customer = world.customers_rm_bj[0]

    given = client.post(_url(customer), {"purpose": "marketing", "granted": True}, content_type="application/json")
    again = client.post(_url(customer), {"purpose": "marketing", "granted": True}, content_type="application/json")
    withdrawn = client.post(
        _url(customer),
        {"purpose": "marketing", "granted": False, "reason": "太频繁了"},
        content_type="application/json",
    )

    assert (given.status_code, again.status_code, withdrawn.status_code) == (201, 200, 201)
    history = withdrawn.json()["history"]
    assert [(row["previous"], row["granted"], row["source"], row["reason"]) for row in history] == [
        (True, False, "rm", "太频繁了"),
        (False, True, "rm", ""),
    ]
    assert history[0]["actor_name"] == world.rm_bj.name


def test_a_branch_manager_records_as_back_office(world: World, client_for) -> None:
    answer = client_for("branch_manager").post(
        _url(world.customers_rm_bj2[0]), {"purpose": "service", "granted": False, "reason": "客户来电要求"}
    )

    assert answer.status_code == 201
    assert answer.json()["history"][0]["source"] == "admin"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "marketing", "granted": False}, "reason"),
        ({"purpose": "newsletter", "granted": True}, "purpose"),
        ({"purpose": "marketing"}, "granted"),
        ({"purpose": "marketing", "granted": True, "reason": "x" * 201}, "reason"),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(world: World, client_for, body: dict, field: str) -> None:
    customer = world.customers_rm_bj[0]
    Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)

    answer = client_for("rm").post(_url(customer), body, content_type="application/json")

    assert answer.status_code == 400
    assert set(answer.json()) == {"message", "extra"}
    assert field in str(answer.json())
    assert not ConsentRecord.objects.exists()


def test_compliance_reads_but_may_not_record(world: World, client_for) -> None:
    answer = client_for("compliance").post(_url(world.customers_rm_bj[0]), {"purpose": "marketing", "granted": True})

    assert answer.status_code == 403
    assert not ConsentRecord.objects.exists()


def test_an_rm_may_not_record_for_a_pool_customer_they_do_not_own(world: World, client_for) -> None:
    answer = client_for("rm").post(_url(world.pool_customer_bj_hd_1), {"purpose": "marketing", "granted": True})

    assert answer.status_code == 403
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_customer_outside_the_scope_does_not_exist(world: World, client_for, method: str) -> None:
    outside = world.customers_rm_sh[0]

    for role in ("rm", "branch_manager"):
        answer = getattr(client_for(role), method)(_url(outside), {"purpose": "marketing", "granted": True})
        assert answer.status_code == 404, role
    assert getattr(Client(), method)(_url(outside)).status_code == 403
    assert not ConsentRecord.objects.exists()


def test_the_360_page_shows_the_consent_history_in_chinese(world: World, client_for) -> None:
    client = client_for("rm")
    customer = world.customers_rm_bj[0]
    client.post(_url(customer), {"purpose": "marketing", "granted": True}, content_type="application/json")

    page = client.get(f"/customers/{customer.customer_no}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="customer-consent-history"' in html
    assert "营销：已授权" in html
    assert "客户经理录入" in html
    assert "未授权 → 已授权" in html
