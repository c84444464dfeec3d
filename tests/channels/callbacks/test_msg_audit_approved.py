"""msg_audit_approved (会话存档 agreement): the customer's chat-archive consent is recorded, from WeCom."""

import pytest

from channels.callbacks import services, tasks
from channels.models import CallbackInbox
from customers.models import ConsentPurpose, ConsentRecord, ConsentSource
from tests.channels.callbacks.queue import captured
from tests.channels.callbacks.signing import contact_event
from tests.factories import ExternalContactFactory

pytestmark = pytest.mark.django_db


def _process(external_user_id: str, create_time: int = 1700000000) -> None:
    xml = contact_event(change_type="msg_audit_approved", external_user_id=external_user_id, create_time=create_time)
    inbox = CallbackInbox.objects.create(
        digest=f"{hash(xml):064x}"[-64:], event="change_external_contact", change_type="msg_audit_approved", body=xml
    )
    services.callback_process(inbox_id=inbox.pk)


def test_an_agreement_records_the_linked_customer_s_chat_archive_consent_from_wecom(world) -> None:
    customer = world.customers_rm_bj[0]
    contact = ExternalContactFactory(customer=customer)

    _process(contact.external_userid)

    customer.refresh_from_db()
    assert customer.chat_archive_consent is True
    [record] = ConsentRecord.objects.filter(customer=customer)
    assert (record.purpose, record.granted, record.source, record.actor) == (
        ConsentPurpose.CHAT_ARCHIVE,
        True,
        ConsentSource.WECOM,
        None,
    )


def test_the_same_agreement_twice_records_it_once(world) -> None:
    customer = world.customers_rm_bj[0]
    contact = ExternalContactFactory(customer=customer)

    _process(contact.external_userid, create_time=1700000000)
    _process(contact.external_userid, create_time=1700000100)

    assert ConsentRecord.objects.filter(customer=customer, purpose=ConsentPurpose.CHAT_ARCHIVE).count() == 1


def test_an_agreement_of_a_contact_not_linked_to_a_customer_records_nothing(world) -> None:
    contact = ExternalContactFactory(customer=None)

    _process(contact.external_userid)
    _process("wmNEVERHEARDOF")

    assert not ConsentRecord.objects.exists()
    assert CallbackInbox.objects.filter(status="processed").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_s_agreement_reaches_the_inbox_as_msg_audit_approved(sandbox, live_server, settings) -> None:
    config = sandbox.config()
    settings.WECOM_CORP_ID = config["corp_id"]
    settings.WECOM_CALLBACK_TOKEN = config["callback_token"]
    settings.WECOM_CALLBACK_AES_KEY = config["callback_aes_key"]
    sandbox.configure(callback_url=f"{live_server.url}/wecom/callback/")

    with captured(tasks.callback_process_task):
        outcome = sandbox.archive_agree(userid="rm_li", external_userid="wmAGREED")

    assert outcome["callback"]["delivered"] is True
    inbox = CallbackInbox.objects.get()
    assert (inbox.event, inbox.change_type) == ("change_external_contact", "msg_audit_approved")
    assert "wmAGREED" in inbox.body
