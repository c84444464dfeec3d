"""The WeCom callback path under generated input: refused with its documented errors, or acknowledged.

What is promised:

* the crypto (``decrypt``, ``decrypt_callback``, ``verify_url``) raises only
  ``CallbackSignatureError`` or ``CallbackDecryptError`` for any body, signature and
  ciphertext, however malformed;
* ``parse_event`` returns a ``WeComEvent`` or raises ``EventParseError`` for any text or bytes;
* ``callback_receive`` refuses anything not correctly signed and encrypted with
  ``CallbackRejectedError`` — and a refused callback stores nothing;
* a correctly signed and encrypted callback, fresh and with a new nonce, is always
  acknowledged, whatever its plaintext (an event, a message, XML the product cannot read,
  or no XML at all), and its plaintext is kept in the inbox; with a timestamp of any
  other shape it is acknowledged or refused with ``CallbackRejectedError``, never a crash.
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.callbacks.services import CallbackRejectedError, callback_receive
from channels.models import CallbackInbox
from channels.wecom.crypto import CallbackCrypto, CallbackDecryptError, CallbackSignatureError
from channels.wecom.events import EventParseError, WeComEvent, parse_event
from tests.channels.callbacks.signing import contact_event, crypto

BOUNDED = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WITH_DATABASE = settings(BOUNDED, max_examples=60)

# --- Generated input ---------------------------------------------------------------------

_tags = st.sampled_from(
    ["xml", "ToUserName", "Encrypt", "AgentID", "MsgType", "Event", "InfoType", "ChangeType", "CreateTime", "x"]
)
_xml_pieces = (
    st.builds(lambda name: f"<{name}>", _tags)
    | st.builds(lambda name: f"</{name}>", _tags)
    | st.builds(lambda name, text: f"<{name}><![CDATA[{text}]]></{name}>", _tags, st.text(max_size=8))
    | st.builds(lambda name, text: f'<{name} a="{text}"/>', _tags, st.text(max_size=4))
    | st.sampled_from(
        [
            '<?xml version="1.0"?>',
            '<!DOCTYPE xml [<!ENTITY e "boom">]>',
            "&e;",
            "&amp;",
            "<![CDATA[",
            "]]>",
            "change_external_contact",
            "add_external_contact",
            "event",
            "9" * 5000,
            "\x00",
        ]
    )
    | st.text(max_size=8)
)
xmlish_text = st.lists(_xml_pieces, max_size=25).map("".join)
bodies = xmlish_text.map(str.encode) | st.binary(max_size=300) | xmlish_text
base64ish = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=120)
ciphertexts = base64ish | st.text(max_size=60)
query_values = st.none() | st.text(max_size=50) | st.sampled_from(["", "0" * 40, "1700000000", "-1", "9" * 5000])


def _other_receiver() -> CallbackCrypto:
    return crypto(receive_id="wwSOMEONEELSE")


@st.composite
def genuine_ciphertexts(draw: st.DrawFn) -> str:
    """Correctly encrypted ciphertexts, for us or another receiver, damaged or not."""
    plaintext = draw(xmlish_text)
    ciphertext = (crypto() if draw(st.booleans()) else _other_receiver()).encrypt(plaintext)
    cut = draw(st.integers(0, len(ciphertext)))
    return draw(st.sampled_from([ciphertext, ciphertext[:cut], ciphertext[cut:] + ciphertext[:cut]]))


# --- The crypto and the event parser ---------------------------------------------------------


@BOUNDED
@given(ciphertext=ciphertexts | genuine_ciphertexts())
def test_decrypting_any_ciphertext_gives_plaintext_or_the_decrypt_error(ciphertext: str) -> None:
    try:
        plaintext = crypto().decrypt(ciphertext)
    except CallbackDecryptError:
        return
    assert isinstance(plaintext, str)


@BOUNDED
@given(body=bodies, signature=st.text(max_size=41), timestamp=st.text(max_size=12), nonce=st.text(max_size=12))
@example(body=b"<xml><Encrypt>AAAA</Encrypt></xml>", signature="", timestamp="", nonce="")
def test_any_envelope_is_decrypted_or_refused_with_the_crypto_errors(
    body: bytes | str, signature: str, timestamp: str, nonce: str
) -> None:
    try:
        crypto().decrypt_callback(body=body, msg_signature=signature, timestamp=timestamp, nonce=nonce)
    except (CallbackSignatureError, CallbackDecryptError):
        return


@BOUNDED
@given(echostr=ciphertexts | genuine_ciphertexts(), timestamp=st.text(max_size=12), nonce=st.text(max_size=12))
def test_the_url_check_answers_or_refuses_with_the_crypto_errors(echostr: str, timestamp: str, nonce: str) -> None:
    signature = crypto().signature(timestamp, nonce, echostr)
    try:
        answer = crypto().verify_url(msg_signature=signature, timestamp=timestamp, nonce=nonce, echostr=echostr)
    except CallbackDecryptError:
        return
    assert isinstance(answer, str)


@BOUNDED
@given(xml=bodies)
@example(xml="<xml><MsgType>event</MsgType><CreateTime>" + "9" * 5000 + "</CreateTime></xml>")
@example(xml="<xml><MsgType><a>1</a></MsgType></xml>")
def test_any_decrypted_body_is_an_event_or_the_parse_error(xml: bytes | str) -> None:
    try:
        event = parse_event(xml)
    except EventParseError:
        return
    assert isinstance(event, WeComEvent)
    assert event.event or event.msg_type


# --- Receiving ---------------------------------------------------------------------------


def _inbox() -> list[tuple[str, str]]:
    return list(CallbackInbox.objects.order_by("pk").values_list("digest", "body"))


@pytest.mark.django_db
@WITH_DATABASE
@given(body=bodies, signature=query_values, timestamp=query_values, nonce=query_values)
def test_an_unsigned_callback_is_refused_and_stores_nothing(
    body: bytes | str, signature: str | None, timestamp: str | None, nonce: str | None
) -> None:
    before = _inbox()
    with pytest.raises(CallbackRejectedError) as refused:
        callback_receive(
            body=body.encode() if isinstance(body, str) else body,
            msg_signature=signature,
            timestamp=timestamp,
            nonce=nonce,
        )

    assert refused.value.status in {400, 403}
    assert refused.value.reason
    assert _inbox() == before


plaintexts = (
    xmlish_text
    | st.builds(
        lambda change, user, create_time: contact_event(
            change_type=change, external_user_id=user, create_time=create_time
        ),
        st.sampled_from(["add_external_contact", "del_follow_user", "edit_external_contact", "unknown"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12),
        st.integers(0, 2**40),
    )
    | st.text(max_size=80)
)


@pytest.mark.django_db
@WITH_DATABASE
@given(plaintext=plaintexts)
@example(plaintext="<xml><MsgType>text</MsgType><Content>a\x00b</Content></xml>")
@example(plaintext="\x00")
@example(plaintext="")
def test_a_genuine_callback_is_always_acknowledged_and_kept(plaintext: str) -> None:
    callback = crypto().encrypt_callback(plaintext, timestamp=str(int(time.time())), nonce=uuid.uuid4().hex)

    receipt = callback_receive(
        body=callback.body.encode(),
        msg_signature=callback.msg_signature,
        timestamp=callback.timestamp,
        nonce=callback.nonce,
    )

    if receipt.inbox_id is None:  # a type without a handler, dropped by configuration
        assert django_settings.WECOM_CALLBACK_NOT_HANDLED == "drop"
    else:
        assert CallbackInbox.objects.filter(pk=receipt.inbox_id).exists()


@pytest.mark.django_db
@WITH_DATABASE
@given(plaintext=plaintexts, timestamp=st.text(max_size=20) | st.integers().map(str))
@example(plaintext="<xml><MsgType>text</MsgType></xml>", timestamp="9" * 400)
@example(plaintext="<xml><MsgType>text</MsgType></xml>", timestamp="-" + "9" * 400)
def test_a_genuine_callback_with_any_timestamp_is_acknowledged_or_refused(plaintext: str, timestamp: str) -> None:
    callback = crypto().encrypt_callback(plaintext, timestamp=timestamp, nonce=uuid.uuid4().hex)
    before = _inbox()

    try:
        callback_receive(
            body=callback.body.encode(),
            msg_signature=callback.msg_signature,
            timestamp=callback.timestamp or None,
            nonce=callback.nonce,
        )
    except CallbackRejectedError as error:
        refusal = error
    else:
        return
    assert refusal.status == 400
    assert _inbox() == before
