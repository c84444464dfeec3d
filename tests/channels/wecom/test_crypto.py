"""Callback crypto: wechatpy's published vectors, then round trips and refusals of our own.

Vector provenance is in tests/fixtures/README.md.
"""

import base64
import os

import pytest
import xmltodict

from channels.wecom.crypto import CallbackCrypto, CallbackDecryptError, CallbackSignatureError, EncryptedCallback

# wechatpy tests/test_crypto.py, CryptoTestCase (MIT).
TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
CORP_ID = "wx49f0ab532d5d035a"
ECHOSTR = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
DECRYPT_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6y"
    "dJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/T"
    "ywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5"
    "t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
DECRYPT_BODY = (
    f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>\n"
    f"<Encrypt><![CDATA[{DECRYPT_ENCRYPT}]]></Encrypt>\n"
    "<AgentID><![CDATA[1]]></AgentID>\n</xml>"
)
ENCRYPT_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
ENCRYPT_EXPECTED = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesE"
    "l5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsD"
    "f03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nT"
    "YjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)


def _wechatpy_crypto(**kwargs) -> CallbackCrypto:
    return CallbackCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID, **kwargs)


def _random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()[:-1]


# --- wechatpy's vectors ---------------------------------------------------------------


def test_verify_url_with_the_right_signature_answers_the_echostr_plaintext():
    plaintext = _wechatpy_crypto().verify_url(
        msg_signature="dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
        timestamp="1411443780",
        nonce="437374425",
        echostr=ECHOSTR,
    )

    assert plaintext == "5927782489442352469"


def test_verify_url_with_another_nonce_is_refused():
    with pytest.raises(CallbackSignatureError):
        _wechatpy_crypto().verify_url(
            msg_signature="dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
            timestamp="1411443780",
            nonce="437374424",
            echostr=ECHOSTR,
        )


@pytest.mark.parametrize("body", [DECRYPT_BODY, DECRYPT_BODY.encode()], ids=["str", "bytes"])
def test_decrypt_callback_gives_the_event_xml(body):
    xml = _wechatpy_crypto().decrypt_callback(
        body=body, msg_signature="74d92dfeb87ba7c714f89d98870ae5eb62dff26d", timestamp="1411525903", nonce="461056294"
    )

    message = xmltodict.parse(xml)["xml"]
    assert message["Content"] == "test"
    assert message["FromUserName"] == "messense"
    assert message["MsgId"] == "4363689963896700987"
    assert message["AgentID"] == "1"


def test_encrypt_with_a_fixed_random_prefix_gives_wechatpys_ciphertext_and_signature():
    crypto = _wechatpy_crypto(random_bytes=lambda n: b"1234567890123456"[:n])

    sent = crypto.encrypt_callback(ENCRYPT_REPLY, timestamp="1411525903", nonce="461056294")

    envelope = xmltodict.parse(sent.body)["xml"]
    assert envelope["Encrypt"] == ENCRYPT_EXPECTED
    assert sent.msg_signature == "407518b7649e86ef23978113f92d27afa9296533"
    assert crypto.signature("1411525903", "461056294", ENCRYPT_EXPECTED) == sent.msg_signature


# --- round trips of our own ----------------------------------------------------------

EVENT = (
    "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
    "<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>"
    "<UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[wmAbc]]></ExternalUserID>"
    "<State><![CDATA[网点-中关村]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>"
)


@pytest.fixture
def key() -> str:
    return _random_key()


TEST_TOKEN = "tok"


def _crypto(key: str, *, token: str = TEST_TOKEN, receive_id: str = "wwcorp") -> CallbackCrypto:
    return CallbackCrypto(token=token, encoding_aes_key=key, receive_id=receive_id)


def _sent(key: str) -> EncryptedCallback:
    return _crypto(key).encrypt_callback(EVENT, timestamp="1700000000", nonce="n0nce", agent_id="1000002")


def _decrypt(crypto: CallbackCrypto, sent: EncryptedCallback, **override) -> str:
    kwargs = {"body": sent.body, "msg_signature": sent.msg_signature, "timestamp": sent.timestamp, "nonce": sent.nonce}
    return crypto.decrypt_callback(**{**kwargs, **override})


def test_an_event_round_trips_with_a_random_key_and_keeps_its_chinese_text(key):
    sent = _sent(key)

    assert _decrypt(_crypto(key), sent) == EVENT
    envelope = xmltodict.parse(sent.body)["xml"]
    assert envelope["ToUserName"] == "wwcorp"
    assert envelope["AgentID"] == "1000002"


def test_two_encryptions_of_one_event_differ_by_their_random_prefix(key):
    crypto = _crypto(key)

    assert crypto.encrypt(EVENT) != crypto.encrypt(EVENT)


def test_verify_url_round_trips(key):
    crypto = _crypto(key)
    echostr = crypto.encrypt("1234567890")

    plaintext = crypto.verify_url(
        msg_signature=crypto.signature("1", "2", echostr), timestamp="1", nonce="2", echostr=echostr
    )

    assert plaintext == "1234567890"


def test_a_tampered_ciphertext_with_a_fresh_signature_is_refused(key):
    crypto = _crypto(key)
    encrypted = crypto.encrypt(EVENT)
    raw = bytearray(base64.b64decode(encrypted))
    raw[-1] ^= 0x01  # corrupts the last block, hence the padding
    tampered = base64.b64encode(bytes(raw)).decode()
    body = f"<xml><ToUserName>wwcorp</ToUserName><Encrypt>{tampered}</Encrypt><AgentID>1</AgentID></xml>"

    with pytest.raises(CallbackDecryptError):
        crypto.decrypt_callback(body=body, msg_signature=crypto.signature("1", "2", tampered), timestamp="1", nonce="2")


def test_a_body_changed_after_signing_fails_the_signature(key):
    sent = _sent(key)
    envelope = xmltodict.parse(sent.body)["xml"]
    swapped = sent.body.replace(envelope["Encrypt"], _crypto(key).encrypt("<xml>forged</xml>"))

    with pytest.raises(CallbackSignatureError):
        _decrypt(_crypto(key), sent, body=swapped)


@pytest.mark.parametrize("field", ["timestamp", "nonce", "msg_signature"])
def test_changing_any_signed_query_value_fails_the_signature(key, field):
    with pytest.raises(CallbackSignatureError):
        _decrypt(_crypto(key), _sent(key), **{field: "0" * 40})


def test_a_message_for_another_receiver_is_refused(key):
    with pytest.raises(CallbackDecryptError, match="another receiver"):
        _decrypt(_crypto(key, receive_id="wwothercorp"), _sent(key))


def test_the_wrong_token_fails_the_signature(key):
    with pytest.raises(CallbackSignatureError):
        _decrypt(_crypto(key, token="not-the-token"), _sent(key))


def test_the_wrong_key_is_refused(key):
    sent = _sent(key)

    with pytest.raises(CallbackDecryptError):
        _decrypt(_crypto(_random_key()), sent)


@pytest.mark.parametrize(
    "body",
    ["not xml", "<xml><ToUserName>x</ToUserName></xml>", "<xml><Encrypt>%%%notbase64</Encrypt></xml>"],
    ids=["not-xml", "no-encrypt", "not-base64"],
)
def test_malformed_bodies_are_refused_as_decrypt_errors(key, body):
    crypto = _crypto(key)
    encrypted = xmltodict.parse(body)["xml"].get("Encrypt", "") if body.startswith("<xml>") else ""

    signature = crypto.signature("1", "2", encrypted)

    with pytest.raises(CallbackDecryptError):
        crypto.decrypt_callback(body=body, msg_signature=signature, timestamp="1", nonce="2")


def test_the_wxjava_envelope_with_a_space_before_the_closing_tag_parses(key):
    crypto = _crypto(key)
    encrypted = crypto.encrypt(EVENT)
    body = f"<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml >"

    assert (
        crypto.decrypt_callback(
            body=body, msg_signature=crypto.signature("1", "2", encrypted), timestamp="1", nonce="2"
        )
        == EVENT
    )


@pytest.mark.parametrize("bad_key", ["short", "!" * 43, "A" * 42 + "=="])
def test_an_invalid_encoding_aes_key_is_refused_at_construction(bad_key):
    with pytest.raises(ValueError, match="EncodingAESKey"):
        CallbackCrypto(token="t", encoding_aes_key=bad_key, receive_id="r")
