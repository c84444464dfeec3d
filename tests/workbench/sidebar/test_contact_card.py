"""The card of the contact in the chat: masked per role, scoped like the dashboard, a lead as a lead."""

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client

from channels.models import ExternalContact
from customers.models import ProductHolding, ProductType
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_contact(world: World) -> ExternalContact:
    """rm_bj's customer 张三 (the factory's name), on WeCom with rm_bj."""
    customer = world.customers_rm_bj[0]
    ProductHolding.objects.bulk_create(
        [
            ProductHolding(
                customer=customer,
                product_code="WM-LATE",
                product_name="稳健理财B",
                product_type=ProductType.WEALTH,
                amount=Decimal("20000.00"),
                maturity_date=datetime.date(2031, 1, 1),
            ),
            ProductHolding(
                customer=customer,
                product_code="TD-SOON",
                product_name="三年定期A",
                product_type=ProductType.TIME_DEPOSIT,
                amount=Decimal("50000.00"),
                maturity_date=datetime.date(2030, 1, 1),
            ),
        ]
    )
    contact = ExternalContactFactory(name="阳光", customer=customer)
    FollowRelationFactory(contact=contact, staff=world.rm_bj, remark="张先生 理财")
    return contact


def _card(client: Client, contact: ExternalContact):
    return client.get(f"/sidebar/contact/{contact.external_userid}/")


@pytest.mark.parametrize("role", ["rm", "branch_manager", "hq_admin", "compliance"])
def test_every_role_in_scope_sees_the_card_with_personal_information_masked(
    customer_contact: ExternalContact, client_for, role: str
) -> None:
    response = _card(client_for(role), customer_contact)

    assert response.status_code == 200
    html = response.content.decode()
    card = response.context["card"]
    assert card.customer.profile.name_masked == "张*"
    assert 'id="card-name">张*<' in html
    assert "张三" not in html
    phone = card.customer.profile.phone_masked
    assert re.fullmatch(r"138\*{4}\d{4}", phone)
    assert [holding.product_code for holding in card.customer.holdings] == ["TD-SOON", "WM-LATE"]
    assert (card.follow.remark, card.follow.is_active) == ("张先生 理财", True)
    assert card.can_edit is (role != "compliance")
    assert ('id="card-note-add"' in html) is (role != "compliance")


@pytest.mark.parametrize("role", ["rm_bj2", "rm_sh"])
def test_a_contact_outside_the_members_scope_does_not_exist_for_them(
    customer_contact: ExternalContact, world: World, role: str
) -> None:
    client = Client()
    client.force_login(getattr(world, role).user)

    assert _card(client, customer_contact).status_code == 404


def test_an_unknown_contact_is_404(world: World, client_for) -> None:
    assert client_for("rm").get("/sidebar/contact/wmNOBODY/").status_code == 404


def test_a_lead_shows_its_wechat_name_relation_and_the_verification_button(world: World, client_for) -> None:
    lead = ExternalContactFactory(name="小王")
    FollowRelationFactory(contact=lead, staff=world.rm_bj, remark="咨询理财")

    response = _card(client_for("rm"), lead)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="card-name">小王<' in html
    assert 'id="card-lead"' in html
    assert 'id="send-verification"' in html
    assert "咨询理财" in html


def test_a_contact_whose_customer_is_served_elsewhere_shows_nothing_of_that_customer(world: World, client_for) -> None:
    """rm_bj follows the contact on WeCom, but the customer it is linked to is rm_sh's."""
    contact = ExternalContactFactory(name="老李", customer=world.customers_rm_sh[0])
    FollowRelationFactory(contact=contact, staff=world.rm_bj)

    response = _card(client_for("rm"), contact)

    assert response.status_code == 200
    assert response.context["card"].customer is None
    assert 'id="card-out-of-scope"' in response.content.decode()
    assert world.customers_rm_sh[0].customer_no not in response.content.decode()


def test_the_card_reads_a_fixed_handful_of_queries(
    customer_contact: ExternalContact, client_for, django_assert_max_num_queries
) -> None:
    client = client_for("rm")
    _card(client, customer_contact)  # warm the session

    # user, scope, contact (+ scope and customer number), staff, customer, tags, holdings,
    # timeline, manual tag catalogue, follow relation, churn score; then the idle-expiry session write (3).
    with django_assert_max_num_queries(14):
        assert _card(client, customer_contact).status_code == 200


def test_the_verification_link_for_a_lead_points_at_the_identity_page(world: World, client_for) -> None:
    lead = ExternalContactFactory(name="小王")
    FollowRelationFactory(contact=lead, staff=world.rm_bj)

    response = client_for("rm").get(f"/sidebar/contact/{lead.external_userid}/verification-link/")

    assert response.status_code == 200
    assert response.json()["url"].startswith("http://testserver/")


def test_compliance_cannot_fetch_a_verification_link(world: World, client_for) -> None:
    lead = ExternalContactFactory(name="小王")
    FollowRelationFactory(contact=lead, staff=world.rm_bj)

    response = client_for("compliance").get(f"/sidebar/contact/{lead.external_userid}/verification-link/")

    assert response.status_code == 403
    assert "url" not in response.content.decode()
