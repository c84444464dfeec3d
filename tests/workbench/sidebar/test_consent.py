"""The RM records in the chat that the customer opted out of marketing (or back in), in their words."""

import pytest
from django.test import Client

from channels.models import ExternalContact
from customers.models import ConsentRecord, ConsentSource, Customer, TimelineEvent, TimelineKind
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(world: World) -> ExternalContact:
    customer = world.customers_rm_bj[0]
    Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)
    contact = ExternalContactFactory(customer=customer)
    FollowRelationFactory(contact=contact, staff=world.rm_bj)
    return contact


def _post(client: Client, contact: ExternalContact, data: dict[str, str]):
    return client.post(f"/sidebar/contact/{contact.external_userid}/consent/", data)


def test_the_card_shows_the_marketing_consent_and_the_opt_out_form(contact: ExternalContact, client_for) -> None:
    card = client_for("rm").get(f"/sidebar/contact/{contact.external_userid}/").content.decode()

    assert 'id="card-consent" data-marketing="true"' in card
    assert "接收营销消息" in card
    assert "记录退订" in card
    assert "客户原话（必填）" in card


def test_an_rm_records_an_opt_out_with_the_customers_words_then_an_opt_in(
    world: World, contact: ExternalContact, client_for
) -> None:
    client = client_for("rm")

    out = _post(client, contact, {"granted": "0", "reason": "不想再收到理财推荐"})

    assert out.status_code == 200
    assert out.context["card"].customer.profile.marketing_consent is False
    assert "已退订营销消息" in out.content.decode()
    record = ConsentRecord.objects.get()
    assert (record.granted, record.source, record.reason, record.actor) == (
        False,
        ConsentSource.RM,
        "不想再收到理财推荐",
        world.rm_bj,
    )

    back = _post(client, contact, {"granted": "1", "reason": ""})

    assert back.status_code == 200
    assert back.context["card"].customer.profile.marketing_consent is True
    assert TimelineEvent.objects.filter(customer=contact.customer, kind=TimelineKind.CONSENT_CHANGED).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [({"granted": "0", "reason": " "}, "客户的原话"), ({"granted": "x"}, "退订还是重新订阅")],
)
def test_an_opt_out_without_the_customers_words_is_refused_on_the_card(
    contact: ExternalContact, client_for, data: dict[str, str], message: str
) -> None:
    answer = _post(client_for("rm"), contact, data)

    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not ConsentRecord.objects.exists()


def test_compliance_may_not_record_and_a_stranger_contact_is_404(
    world: World, contact: ExternalContact, client_for
) -> None:
    assert _post(client_for("compliance"), contact, {"granted": "0", "reason": "不要"}).status_code == 403
    stranger = ExternalContactFactory(customer=world.customers_rm_sh[0])
    FollowRelationFactory(contact=stranger, staff=world.rm_sh)
    assert _post(client_for("rm"), stranger, {"granted": "0", "reason": "不要"}).status_code == 404
    assert not ConsentRecord.objects.exists()
