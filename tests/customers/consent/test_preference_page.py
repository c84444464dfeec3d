"""The customer's own preference page: a signed 30-day link, masked name only, a confirmed change."""

import time

import pytest
from django.core import signing
from django.test import Client

from customers.consent.links import consent_preference_link, consent_preference_token
from customers.models import ConsentRecord, ConsentSource, Customer
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(world: World) -> Customer:
    customer = world.customers_rm_bj[0]
    Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)
    return customer


def _path(customer: Customer) -> str:
    return f"/h5/preferences/{consent_preference_token(customer.pk)}/"


def test_the_link_is_absolute_on_the_public_base_url_and_in_chinese(settings, customer: Customer) -> None:
    settings.PUBLIC_BASE_URL = "https://scrm.bank.example/"

    link = consent_preference_link(customer.pk)

    assert link.startswith("https://scrm.bank.example/h5/preferences/")
    assert link.endswith("/")
    assert Client().get(link.removeprefix("https://scrm.bank.example")).status_code == 200


def test_the_page_shows_the_bank_the_masked_name_and_the_status_only(settings, customer: Customer) -> None:
    settings.BANK_NAME = "中关村银行"

    page = Client().get(_path(customer))

    html = page.content.decode()
    assert page.status_code == 200
    assert "中关村银行" in html
    assert "尊敬的张*：" in html
    assert "张三" not in html
    assert customer.customer_no not in html
    assert "138" not in html
    assert 'data-marketing="true"' in html
    assert "退订营销消息" in html
    assert "script" not in html.lower(), "no script at all: nothing for the CSP to refuse"


def test_opting_out_takes_a_confirmation_and_records_a_self_service_change(customer: Customer) -> None:
    client = Client(enforce_csrf_checks=True)
    confirm = client.get(_path(customer) + "?confirm=opt_out")
    assert "确定不再接收营销消息吗？" in confirm.content.decode()
    assert not ConsentRecord.objects.exists(), "showing the confirmation changes nothing"

    done = client.post(_path(customer), {"granted": "0", "csrfmiddlewaretoken": confirm.context["csrf_token"]})

    assert done.status_code == 200
    assert "设置成功：您将不再收到我们的营销消息。" in done.content.decode()
    record = ConsentRecord.objects.get()
    assert (record.previous, record.granted, record.source, record.actor) == (
        True,
        False,
        ConsentSource.SELF_SERVICE,
        None,
    )
    customer.refresh_from_db()
    assert customer.marketing_consent is False

    back = client.post(_path(customer), {"granted": "1", "csrfmiddlewaretoken": confirm.context["csrf_token"]})
    assert "设置成功：您将重新收到我们的优惠活动和产品资讯。" in back.content.decode()
    assert ConsentRecord.objects.count() == 2


@pytest.mark.parametrize("token", ["", "1:forged:signature", "abc", "%E4%B8%AD", "1" * 300])
def test_a_tampered_link_gets_a_friendly_chinese_page(customer: Customer, token: str) -> None:
    for method in ("get", "post"):
        page = getattr(Client(), method)(f"/h5/preferences/{token}x/", {"granted": "0"})
        assert page.status_code == 404
        assert "链接无效或已过期" in page.content.decode()
    assert not ConsentRecord.objects.exists()


def test_a_token_for_another_purpose_is_refused(customer: Customer) -> None:
    token = signing.TimestampSigner(salt="channels.identity.verify").sign(str(customer.pk))

    assert Client().get(f"/h5/preferences/{token}/").status_code == 404


def test_an_expired_link_is_refused(customer: Customer, monkeypatch: pytest.MonkeyPatch) -> None:
    signed_31_days_ago = signing.b62_encode(int(time.time()) - 31 * 24 * 3600)
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signed_31_days_ago)
        path = _path(customer)

    page = Client().get(path)

    assert page.status_code == 404
    assert "链接无效或已过期" in page.content.decode()


def test_a_bad_choice_is_a_400_and_changes_nothing(customer: Customer) -> None:
    page = Client().post(_path(customer), {"granted": "maybe"})

    assert page.status_code == 400
    assert not ConsentRecord.objects.exists()


def test_too_many_requests_get_a_429_and_too_many_changes_are_not_recorded(settings, customer: Customer) -> None:
    settings.CONSENT_PAGE_CHANGES_PER_HOUR = 2
    client = Client()
    for granted in ("0", "1"):
        assert client.post(_path(customer), {"granted": granted}).status_code == 200

    refused = client.post(_path(customer), {"granted": "0"})

    assert refused.status_code == 429
    assert "访问过于频繁" in refused.content.decode()
    assert ConsentRecord.objects.count() == 2

    settings.CONSENT_PAGE_REQUESTS_PER_HOUR = 3
    assert client.get(_path(customer)).status_code == 429
