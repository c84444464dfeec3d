"""WeCom's published event examples, encrypted as WeCom would send them, through the endpoint and the parser.

The XML values are reproduced from WxJava and go-wecom (see tests/fixtures/README.md).
"""

import pytest
from django.test import Client

from channels.models import CallbackInbox
from channels.wecom.events import ExternalChatEvent, ExternalContactEvent, ExternalTagEvent, parse_event
from tests.channels.callbacks.signing import encrypt, fixture, post

pytestmark = pytest.mark.django_db

WXJAVA_CORP = "toUser"
SUITE_CORP = "wxf8b4f85f3a794e77"
EXTERNAL_USER = "woAJ2GCAAAXtWyujaWJHDDGi0mACH71w"


@pytest.fixture(autouse=True)
def _published_timestamps(settings) -> None:
    # The examples are dated 2014: the window is off, as when replaying recorded traffic.
    settings.WECOM_CALLBACK_MAX_AGE_SECONDS = 0


def _received(client: Client, name: str):
    xml = fixture(name)
    response = post(client, encrypt(xml, timestamp=1403610513))
    assert (response.status_code, response.content) == (200, b"")
    inbox = CallbackInbox.objects.get()
    assert inbox.body == xml
    return inbox, parse_event(inbox.body)


def test_wxjava_add_external_contact_self_built_envelope(client: Client) -> None:
    inbox, event = _received(client, "wxjava_add_external_contact.xml")

    assert (inbox.event, inbox.change_type) == ("change_external_contact", "add_external_contact")
    assert isinstance(event, ExternalContactEvent)
    assert (event.corp_id, event.create_time, event.user_id, event.external_user_id) == (
        WXJAVA_CORP,
        1403610513,
        "zhangsan",
        EXTERNAL_USER,
    )
    assert (event.state, event.welcome_code, event.raw["FromUserName"]) == ("teststate", "WELCOMECODE", "sys")


def test_wxjava_del_external_contact(client: Client) -> None:
    inbox, event = _received(client, "wxjava_del_external_contact.xml")

    assert (inbox.event, inbox.change_type) == ("change_external_contact", "del_external_contact")
    assert isinstance(event, ExternalContactEvent)
    assert (event.user_id, event.external_user_id, event.state, event.welcome_code, event.source) == (
        "zhangsan",
        EXTERNAL_USER,
        "",
        "",
        "",
    )


@pytest.mark.parametrize(
    ("name", "change_type", "extra"),
    [
        (
            "gowecom_change_external_contact_add_external_contact.xml",
            "add_external_contact",
            {"state": "teststate", "welcome_code": "WELCOMECODE"},
        ),
        ("gowecom_change_external_contact_del_external_contact.xml", "del_external_contact", {}),
        (
            "gowecom_change_external_contact_transfer_fail.xml",
            "transfer_fail",
            {"fail_reason": "customer_refused"},
        ),
    ],
)
def test_go_wecom_suite_envelope_contact_events(client: Client, name: str, change_type: str, extra: dict) -> None:
    inbox, event = _received(client, name)

    assert (inbox.event, inbox.change_type) == ("change_external_contact", change_type)
    assert isinstance(event, ExternalContactEvent)
    assert (event.corp_id, event.create_time, event.user_id, event.external_user_id) == (
        SUITE_CORP,
        1403610513,
        "zhangsan",
        EXTERNAL_USER,
    )
    assert event.raw["SuiteId"] == "ww4asffe99e54c0f4c"
    for field, value in extra.items():
        assert getattr(event, field) == value


@pytest.mark.parametrize(
    ("name", "change_type", "details"),
    [
        ("gowecom_change_external_chat_create.xml", "create", ("", None, None, None)),
        ("gowecom_change_external_chat_update.xml", "update", ("add_member", 1, 0, 10)),
        ("gowecom_change_external_chat_dismiss.xml", "dismiss", ("", None, None, None)),
    ],
)
def test_go_wecom_external_chat_events(client: Client, name: str, change_type: str, details: tuple) -> None:
    inbox, event = _received(client, name)

    assert (inbox.event, inbox.change_type) == ("change_external_chat", change_type)
    assert isinstance(event, ExternalChatEvent)
    assert (event.corp_id, event.chat_id) == (SUITE_CORP, "CHAT_ID")
    # JoinScene 1 is not among the documented codes (0, 3): kept, not rejected.
    assert (event.update_detail, event.join_scene, event.quit_scene, event.member_change_count) == details


@pytest.mark.parametrize("change_type", ["create", "update", "delete"])
def test_go_wecom_external_tag_events(client: Client, change_type: str) -> None:
    inbox, event = _received(client, f"gowecom_change_external_tag_{change_type}.xml")

    assert (inbox.event, inbox.change_type) == ("change_external_tag", change_type)
    assert isinstance(event, ExternalTagEvent)
    assert (event.corp_id, event.tag_id, event.tag_type, event.create_time) == (SUITE_CORP, "TAG_ID", "tag", 1403610513)
