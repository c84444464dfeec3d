"""The customer 360 page: the whole picture, masked, with an audited reveal for those allowed."""

import pytest

from scrm.audit.models import AuditAction, AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_the_owner_sees_the_masked_profile_and_a_reveal_form(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]

    response = client_for("rm").get(f"/customers/{customer.customer_no}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "张*" in page
    assert "110101********6632" in page
    assert "110101199003076632" not in page
    assert f"/customers/{customer.customer_no}/reveal/" in page


def test_a_customer_outside_scope_is_not_found(world: World, client_for) -> None:
    assert client_for("rm").get(f"/customers/{world.customers_rm_sh[0].customer_no}/").status_code == 404


def test_the_list_links_to_the_page(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]

    assert f'href="/customers/{customer.customer_no}/"' in client_for("rm").get("/customers/").content.decode()


def test_revealing_shows_the_value_and_audits_it(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]

    response = client_for("rm").post(
        f"/customers/{customer.customer_no}/reveal/", {"field": "id_number", "purpose": "柜面核实身份"}
    )

    assert response.status_code == 200
    assert "110101199003076632" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.PII_REVEAL)
    assert event.actor_id == world.rm_bj.user.pk
    assert "110101199003076632" not in str(event.data)


def test_compliance_sees_no_reveal_and_is_refused_one(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]
    client = client_for("compliance")

    page = client.get(f"/customers/{customer.customer_no}/").content.decode()
    response = client.post(f"/customers/{customer.customer_no}/reveal/", {"field": "phone", "purpose": "x"})

    assert "/reveal/" not in page
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.PII_REVEAL).exists()


def test_a_reveal_needs_a_purpose(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]

    response = client_for("rm").post(f"/customers/{customer.customer_no}/reveal/", {"field": "phone", "purpose": ""})

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=AuditAction.PII_REVEAL).exists()
