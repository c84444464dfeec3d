"""End to end over HTTP: the local WeCom sandbox posts signed callbacks to the product's live server.

The enqueued tasks go to a queue nobody consumes (a worker would need the contact
handlers' own setup): these tests are about what reaches the inbox and what WeCom is told.
"""

import pytest

from channels.callbacks import tasks
from channels.models import CallbackInbox, InboxStatus
from tests.channels.callbacks.queue import captured

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def product(sandbox, live_server, settings):
    """The sandbox calling back the live server, both sides on the sandbox corp's token and key."""
    config = sandbox.config()
    settings.WECOM_CORP_ID = config["corp_id"]
    settings.WECOM_CALLBACK_TOKEN = config["callback_token"]
    settings.WECOM_CALLBACK_AES_KEY = config["callback_aes_key"]
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    sandbox.configure(callback_url=f"{live_server.url}/wecom/callback/")
    return live_server


def test_a_scan_reaches_the_inbox_in_one_attempt_and_a_redelivery_collapses_onto_it(
    sandbox, channel_code, product
) -> None:
    with captured(tasks.callback_process_task) as enqueued:
        outcome = sandbox.scan(config_id=channel_code, customer={"name": "王女士"})
        redelivered = sandbox.redeliver(outcome["callback"]["id"])

    assert outcome["callback"] == {"id": 1, "status": 200, "attempts": 1, "delivered": True, "deliver": True}
    assert (redelivered["status"], redelivered["attempts"], redelivered["delivered"]) == (200, 1, True)
    inbox = CallbackInbox.objects.get()
    [logged, _again] = sandbox.callbacks()
    assert inbox.body == logged["plaintext"]
    assert (inbox.event, inbox.change_type, inbox.status, inbox.deliveries) == (
        "change_external_contact",
        "add_external_contact",
        InboxStatus.RECEIVED,
        2,
    )
    assert outcome["external_userid"] in inbox.body
    assert "<State><![CDATA[branch-bj]]></State>" in inbox.body
    # Still waiting to be processed, so the redelivery asked for a task too.
    assert enqueued == [[inbox.pk], [inbox.pk]]


def test_a_replayed_callback_is_refused_with_409_and_stores_nothing_more(sandbox, channel_code, product) -> None:
    with captured(tasks.callback_process_task) as enqueued:
        outcome = sandbox.scan(config_id=channel_code, customer={"name": "王女士"})
        replayed = sandbox.replay(outcome["callback"]["id"])

    assert outcome["callback"]["status"] == 200
    assert (replayed["status"], replayed["delivered"]) == (409, False)
    inbox = CallbackInbox.objects.get()
    assert inbox.deliveries == 1
    assert enqueued == [[inbox.pk]]


def test_a_sandbox_signing_with_another_token_is_refused_with_403(sandbox, channel_code, product, settings) -> None:
    settings.WECOM_CALLBACK_TOKEN = "the-product-was-given-another-token"

    outcome = sandbox.scan(config_id=channel_code, customer={"name": "王女士"})

    assert (outcome["callback"]["status"], outcome["callback"]["delivered"]) == (403, False)
    assert CallbackInbox.objects.count() == 0
