"""The callback URL: what it accepts, what it refuses and why, and that a refusal changes nothing."""

import time

import pytest
from django.test import Client

from channels.callbacks.services import callback_process
from channels.models import CallbackInbox, InboxStatus
from tests.channels.callbacks.signing import URL, contact_event, crypto, encrypt, fresh_nonce, post

pytestmark = pytest.mark.django_db


def _event(external_user_id: str = "wmEXT0001", **kwargs) -> str:
    return contact_event(external_user_id=external_user_id, create_time=kwargs.pop("create_time", 1700000000), **kwargs)


# --- GET: URL verification -------------------------------------------------------------


def test_get_answers_the_decrypted_echostr(client: Client) -> None:
    timestamp, nonce = str(int(time.time())), fresh_nonce()
    echostr = crypto().encrypt("5927782489442352469")
    signature = crypto().signature(timestamp, nonce, echostr)

    response = client.get(URL, {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce, "echostr": echostr})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"5927782489442352469"


def test_get_with_a_wrong_signature_is_forbidden(client: Client) -> None:
    timestamp, nonce = str(int(time.time())), fresh_nonce()
    echostr = crypto().encrypt("5927782489442352469")

    response = client.get(URL, {"msg_signature": "0" * 40, "timestamp": timestamp, "nonce": nonce, "echostr": echostr})

    assert response.status_code == 403
    assert b"5927782489442352469" not in response.content


def test_get_without_echostr_is_a_bad_request(client: Client) -> None:
    response = client.get(URL, {"msg_signature": "x", "timestamp": "1", "nonce": "2"})

    assert (response.status_code, response.content) == (400, b"missing echostr")


# --- POST: accepted ----------------------------------------------------------------------


def test_a_valid_event_is_stored_enqueued_and_acknowledged_with_an_empty_200(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    xml = _event()
    with django_capture_on_commit_callbacks() as enqueued:
        response = post(client, encrypt(xml))

    assert (response.status_code, response.content) == (200, b"")
    inbox = CallbackInbox.objects.get()
    assert (inbox.event, inbox.change_type, inbox.body) == ("change_external_contact", "add_external_contact", xml)
    assert (inbox.status, inbox.deliveries, inbox.attempts, inbox.error) == (InboxStatus.RECEIVED, 1, 0, "")
    assert len(inbox.digest) == 64
    assert len(enqueued) == 1


def test_a_wecom_retry_of_the_same_event_collapses_onto_one_row_and_the_handler_runs_once(
    client: Client, django_capture_on_commit_callbacks, recorder
) -> None:
    xml = _event()
    with django_capture_on_commit_callbacks() as first:
        assert post(client, encrypt(xml)).status_code == 200
    inbox = CallbackInbox.objects.get()
    callback_process(inbox_id=inbox.pk)

    # WeCom's retry: the same plaintext, encrypted afresh, with a new nonce.
    with django_capture_on_commit_callbacks() as second:
        response = post(client, encrypt(xml))

    assert (response.status_code, response.content) == (200, b"")
    inbox = CallbackInbox.objects.get()
    assert (inbox.status, inbox.deliveries, inbox.attempts) == (InboxStatus.PROCESSED, 2, 1)
    assert (len(first), len(second)) == (1, 0)
    assert [event.external_user_id for event in recorder] == ["wmEXT0001"]


def test_a_retry_before_processing_enqueues_again_but_the_handler_still_runs_once(
    client: Client, django_capture_on_commit_callbacks, recorder
) -> None:
    xml = _event()
    with django_capture_on_commit_callbacks() as enqueued:
        post(client, encrypt(xml))
        post(client, encrypt(xml))
    inbox = CallbackInbox.objects.get()

    # Both task messages run: the second finds the row processed.
    callback_process(inbox_id=inbox.pk)
    callback_process(inbox_id=inbox.pk)

    inbox.refresh_from_db()
    assert (inbox.status, inbox.deliveries, inbox.attempts) == (InboxStatus.PROCESSED, 2, 1)
    assert len(enqueued) == 2
    assert len(recorder) == 1


def test_two_distinct_events_from_the_same_sender_in_the_same_second_are_two_rows(client: Client) -> None:
    first = _event("wmEXT0001", create_time=1700000000)
    second = _event("wmEXT0002", create_time=1700000000)

    assert post(client, encrypt(first)).status_code == 200
    assert post(client, encrypt(second)).status_code == 200

    rows = list(CallbackInbox.objects.order_by("id").values_list("body", "deliveries"))
    assert rows == [(first, 1), (second, 1)]


def test_max_age_zero_accepts_an_old_timestamp(client: Client, settings) -> None:
    settings.WECOM_CALLBACK_MAX_AGE_SECONDS = 0

    response = post(client, encrypt(_event(), timestamp=1403610513))

    assert response.status_code == 200
    assert CallbackInbox.objects.count() == 1


# --- POST: refused, and nothing changed --------------------------------------------------


def test_a_forged_signature_is_forbidden_stores_nothing_and_burns_no_nonce(client: Client) -> None:
    nonce = fresh_nonce()
    forged = encrypt(_event(), nonce=nonce, token="not-the-token")

    response = post(client, forged)

    assert (response.status_code, response.content) == (403, b"signature mismatch")
    assert CallbackInbox.objects.count() == 0
    # The genuine request with that nonce still goes through.
    assert post(client, encrypt(_event(), nonce=nonce)).status_code == 200


def test_a_tampered_ciphertext_is_forbidden(client: Client) -> None:
    callback = encrypt(_event())
    tampered = callback.body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[A", 1)

    response = client.post(
        f"{URL}?msg_signature={callback.msg_signature}&timestamp={callback.timestamp}&nonce={callback.nonce}",
        data=tampered,
        content_type="text/xml",
    )

    assert response.status_code == 403
    assert CallbackInbox.objects.count() == 0


def test_a_stale_timestamp_is_refused(client: Client, settings) -> None:
    settings.WECOM_CALLBACK_MAX_AGE_SECONDS = 300

    stale = post(client, encrypt(_event(), timestamp=int(time.time()) - 301))
    future = post(client, encrypt(_event(), timestamp=int(time.time()) + 301))

    assert (stale.status_code, stale.content) == (400, b"timestamp outside the 300 s window")
    assert future.status_code == 400
    assert CallbackInbox.objects.count() == 0


def test_a_timestamp_too_long_for_a_float_is_refused_as_outside_the_window(client: Client, settings) -> None:
    settings.WECOM_CALLBACK_MAX_AGE_SECONDS = 300

    response = post(client, encrypt(_event(), timestamp=int("9" * 400)))

    assert (response.status_code, response.content) == (400, b"timestamp outside the 300 s window")
    assert CallbackInbox.objects.count() == 0


def test_a_replayed_request_is_a_conflict_and_stores_no_second_row(client: Client) -> None:
    callback = encrypt(_event())
    assert post(client, callback).status_code == 200

    replay = post(client, callback)

    assert (replay.status_code, replay.content) == (409, b"nonce already used")
    inbox = CallbackInbox.objects.get()
    assert inbox.deliveries == 1


def test_a_body_for_another_corp_is_refused(client: Client) -> None:
    callback = encrypt(_event(), receive_id="wwsomeothercorp")

    response = post(client, callback)

    assert response.status_code == 400
    assert response.content == b"undecryptable body: the message was encrypted for another receiver"
    assert CallbackInbox.objects.count() == 0


def test_a_body_that_is_not_xml_is_refused(client: Client) -> None:
    response = client.post(f"{URL}?msg_signature=x&timestamp=1&nonce=2", data="hello", content_type="text/xml")

    assert response.status_code == 400
    assert CallbackInbox.objects.count() == 0


TEXT_MESSAGE = "<xml><ToUserName>x</ToUserName><MsgType>text</MsgType><Content>hi</Content></xml>"


def test_a_genuine_message_the_product_does_not_process_is_acknowledged_and_kept(client: Client) -> None:
    response = post(client, encrypt(TEXT_MESSAGE))

    assert (response.status_code, response.content) == (200, b"")
    inbox = CallbackInbox.objects.get()
    assert (inbox.event, inbox.status, inbox.body) == ("msg:text", InboxStatus.NOT_HANDLED, TEXT_MESSAGE)


def test_an_event_without_a_handler_is_acknowledged_and_never_reaches_a_worker(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    event = _event().replace("add_external_contact", "some_future_change")

    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, encrypt(event))

    assert (response.status_code, response.content) == (200, b"")
    assert CallbackInbox.objects.get().status == InboxStatus.NOT_HANDLED
    assert callbacks == []


def test_a_genuine_body_that_is_not_xml_once_decrypted_is_acknowledged(client: Client) -> None:
    response = post(client, encrypt("not xml at all"))

    assert (response.status_code, response.content) == (200, b"")
    assert CallbackInbox.objects.get().event == "unparsed"


def test_a_genuine_body_holding_nul_is_acknowledged_and_kept_with_the_nul_replaced(client: Client) -> None:
    """PostgreSQL text cannot hold NUL: the stored body shows U+FFFD where WeCom's plaintext had it."""
    response = post(client, encrypt("<xml><MsgType>text</MsgType><Content>a\x00b</Content></xml>"))

    assert (response.status_code, response.content) == (200, b"")
    assert CallbackInbox.objects.get().body == "<xml><MsgType>text</MsgType><Content>a\ufffdb</Content></xml>"


def test_messages_not_handled_can_be_dropped_by_configuration(client: Client, settings) -> None:
    settings.WECOM_CALLBACK_NOT_HANDLED = "drop"

    response = post(client, encrypt(TEXT_MESSAGE))

    assert (response.status_code, response.content) == (200, b"")
    assert CallbackInbox.objects.count() == 0


def test_a_body_that_is_not_utf8_is_refused_with_the_reason(client: Client) -> None:
    response = client.post(
        f"{URL}?msg_signature=x&timestamp=1&nonce=2", data=b"<xml>\xff</xml>", content_type="text/xml"
    )

    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()
    assert CallbackInbox.objects.count() == 0


def test_missing_query_parameters_are_refused(client: Client) -> None:
    callback = encrypt(_event())

    response = client.post(f"{URL}?timestamp={callback.timestamp}", data=callback.body, content_type="text/xml")

    assert (response.status_code, response.content) == (400, b"missing msg_signature, nonce")
    assert CallbackInbox.objects.count() == 0


def test_other_methods_are_not_allowed(client: Client) -> None:
    assert client.put(URL).status_code == 405
