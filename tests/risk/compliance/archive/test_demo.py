"""The demo's chat archive: agreed customers' conversations stored, some breaking the rules; the others' never."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from customers.models import ConsentRecord, Customer
from risk.compliance.archive.crypto import archive_keys_forget
from risk.compliance.archive.demo import DEMO_ID_NUMBER, DEMO_PHONE
from risk.models import ArchivedChat, ArchivedMessage, Violation
from scrm.core.redis import redis_client
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)  # as make run calls it


def test_setup_archive_demo_archives_the_agreed_customers_conversations_once(
    world, sandbox, settings, tmp_path
) -> None:
    for key in [*redis_client().scan_iter("wecom:*"), *redis_client().scan_iter("archive:agree:*")]:
        redis_client().delete(key)
    config = sandbox.config()
    settings.WECOM_SANDBOX_URL = sandbox.base_url
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.WECOM_ARCHIVE_SANDBOX_URL = sandbox.finance_base_url
    settings.WECOM_CORP_ID = config["corp_id"]
    key_path = tmp_path / "archive" / "private_key_v1.pem"
    settings.WECOM_ARCHIVE_PRIVATE_KEYS = {1: str(key_path)}
    archive_keys_forget()
    CustomerFactory.create_batch(2, owner=world.rm_bj)
    call_command("setup_wecom_demo", directory=tmp_path / "d.json", wait=5, stdout=StringIO())
    out = StringIO()

    call_command("setup_archive_demo", stdout=out)
    call_command("setup_archive_demo", stdout=StringIO())

    assert key_path.exists()
    assert oct(Path(key_path).stat().st_mode & 0o777) == "0o600"
    assert "3 customers agreed" in out.getvalue()
    chats = list(ArchivedChat.objects.order_by("customer_id"))
    assert len(chats) == 3
    assert all(chat.staff == world.rm_bj for chat in chats)
    agreed = set(Customer.objects.filter(chat_archive_consent=True).values_list("id", flat=True))
    assert {chat.customer_id for chat in chats} == agreed
    assert ConsentRecord.objects.filter(purpose="chat_archive", source="wecom").count() == 3
    texts = list(ArchivedMessage.objects.values_list("text", flat=True))
    assert len(texts) == 14
    assert any("保本保息，稳赚不赔" in t for t in texts)
    assert any(DEMO_ID_NUMBER in t and DEMO_PHONE in t for t in texts)
    assert any("我要投诉" in t for t in texts)
    assert not any("理财沙龙" in t for t in texts)  # the customer who did not agree
    assert len(sandbox.archive_records()) == 16
    # The chats happen in working hours: what they say makes the violations, not when.
    assert set(Violation.objects.values_list("rule", flat=True)) >= {"staff_pii", "customer_complaint"}
    assert not Violation.objects.filter(rule="after_hours").exists()
