"""The customer's H5 verification page: signed link, both values must match, rate limit, audit, CSRF."""

import secrets

import pytest
from django.test import Client
from django.utils import translation

from channels.audit import ChannelAuditAction
from channels.identity.services import verification_link_for
from channels.models import ExternalContact, MatchMethod
from scrm.audit.models import AuditEvent
from scrm.core.redis import redis_client
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def address() -> str:
    """A client address of this test's own, so rate-limit counters never leak between tests."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.fixture
def contact(world: World) -> ExternalContact:
    row = ExternalContact.objects.create(external_userid="wm-verify-" + secrets.token_hex(4), name="王女士")
    yield row
    redis_client().delete(f"identity:verify:contact:{row.pk}")


@pytest.fixture(autouse=True)
def forget_addresses(address: str):
    yield
    redis_client().delete(f"identity:verify:ip:{address}")


def attempts() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=ChannelAuditAction.IDENTITY_VERIFY).order_by("sequence"))


def test_the_link_opens_a_chinese_form_without_sign_in(contact: ExternalContact, address: str) -> None:
    link = verification_link_for(contact)

    assert link.startswith("/h5/verify/")
    with translation.override("en"):
        assert verification_link_for(contact) == link
    page = Client(REMOTE_ADDR=address).get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'lang="zh-hans"' in html
    assert 'name="customer_no"' in html
    assert 'name="phone"' in html


def test_a_forged_link_is_refused(contact: ExternalContact, address: str) -> None:
    link = verification_link_for(contact)

    assert Client(REMOTE_ADDR=address).get(link[:-3] + "xyz/").status_code == 404


def test_matching_number_and_phone_link_the_contact(world: World, contact: ExternalContact, address: str) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone="13812340000")

    answer = Client(REMOTE_ADDR=address).post(
        verification_link_for(contact), {"customer_no": customer.customer_no, "phone": "138 1234 0000"}
    )

    assert answer.status_code == 200
    assert 'data-outcome="linked"' in answer.content.decode()
    contact.refresh_from_db()
    assert contact.customer == customer
    assert contact.match_method == MatchMethod.SELF_VERIFIED
    [attempt] = attempts()
    assert attempt.data["outcome"] == "linked"
    assert attempt.data["phone"] == "138****0000"
    assert attempt.data["customer_no"].endswith(customer.customer_no[-4:])
    assert customer.customer_no not in str(attempt.data)
    assert attempt.ip_address == address


@pytest.mark.parametrize("wrong", ["number", "phone"])
def test_a_mismatch_gets_a_neutral_answer_and_links_nothing(
    world: World, contact: ExternalContact, address: str, wrong: str
) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone="13812340001")
    other = CustomerFactory(owner=world.rm_bj, phone="13812340002")
    data = {"customer_no": customer.customer_no, "phone": "13812340001"}
    data["customer_no" if wrong == "number" else "phone"] = other.customer_no if wrong == "number" else "13812340002"

    answer = Client(REMOTE_ADDR=address).post(verification_link_for(contact), data)

    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'data-outcome="mismatch"' in html
    contact.refresh_from_db()
    assert contact.customer is None
    [attempt] = attempts()
    assert attempt.data["outcome"] == "mismatch"


def test_attempts_are_limited_per_contact_and_still_audited(
    world: World, contact: ExternalContact, address: str, settings
) -> None:
    settings.WECOM_VERIFY_ATTEMPTS_PER_HOUR = 2
    customer = CustomerFactory(owner=world.rm_bj, phone="13812340003")
    link = verification_link_for(contact)
    for _ in range(2):
        Client(REMOTE_ADDR=address).post(link, {"customer_no": "nope", "phone": "13800000000"})

    # Even the right answer is refused once the limit is reached, from another address too.
    answer = Client(REMOTE_ADDR="10.99.0.1").post(link, {"customer_no": customer.customer_no, "phone": "13812340003"})
    redis_client().delete("identity:verify:ip:10.99.0.1")

    assert answer.status_code == 429
    assert 'data-outcome="rate_limited"' in answer.content.decode()
    contact.refresh_from_db()
    assert contact.customer is None
    assert [attempt.data["outcome"] for attempt in attempts()] == ["mismatch", "mismatch", "rate_limited"]


def test_attempts_are_limited_per_client_address(world: World, address: str, settings) -> None:
    settings.WECOM_VERIFY_ATTEMPTS_PER_HOUR = 2
    contacts = [ExternalContact.objects.create(external_userid=f"wm-ip-{address}-{i}") for i in range(3)]
    try:
        answers = [
            Client(REMOTE_ADDR=address).post(verification_link_for(row), {"customer_no": "x", "phone": "13800000000"})
            for row in contacts
        ]
    finally:
        redis_client().delete(*[f"identity:verify:contact:{row.pk}" for row in contacts])

    assert [answer.status_code for answer in answers] == [400, 400, 429]


def test_the_form_is_csrf_protected(world: World, contact: ExternalContact, address: str) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone="13812340004")

    answer = Client(enforce_csrf_checks=True, REMOTE_ADDR=address).post(
        verification_link_for(contact), {"customer_no": customer.customer_no, "phone": "13812340004"}
    )

    assert answer.status_code == 403
    contact.refresh_from_db()
    assert contact.customer is None
