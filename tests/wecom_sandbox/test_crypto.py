"""The sandbox signs callbacks with wechatpy, the product reads them with its own crypto: the two agree."""

import pytest
import xmltodict

from channels.wecom import defaults as product_defaults
from channels.wecom.crypto import CallbackCrypto, CallbackSignatureError
from wecom_sandbox import config as sandbox_defaults
from wecom_sandbox.crypto import CallbackSigner

TOKEN = "sandboxtoken"
AES_KEY = "1J5sa4mmUIK/ME1tdDalRmlqRGxUDE8det2v2aBXdY0"
CORP_ID = "wwscrmsandbox0001"
EVENT = (
    "<xml><ToUserName><![CDATA[wwscrmsandbox0001]]></ToUserName><CreateTime>1700000000</CreateTime>"
    "<Event><![CDATA[change_external_contact]]></Event><State><![CDATA[网点海报]]></State></xml>"
)


def test_the_product_decrypts_and_verifies_what_the_sandbox_signs() -> None:
    signer = CallbackSigner(token=TOKEN, encoding_aes_key=AES_KEY, corp_id=CORP_ID)
    product = CallbackCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID)

    signed = signer.sign(EVENT, timestamp="1700000000", nonce="n0nce", agent_id="1000002")

    envelope = xmltodict.parse(signed.body)["xml"]
    assert (envelope["ToUserName"], envelope["AgentID"]) == (CORP_ID, "1000002")
    assert (signed.timestamp, signed.nonce) == ("1700000000", "n0nce")
    assert signed.msg_signature == product.signature("1700000000", "n0nce", envelope["Encrypt"])
    plaintext = product.decrypt_callback(
        body=signed.body, msg_signature=signed.msg_signature, timestamp=signed.timestamp, nonce=signed.nonce
    )
    assert plaintext == EVENT


def test_a_callback_signed_with_another_token_is_refused_by_the_product() -> None:
    signer = CallbackSigner(token="another-token", encoding_aes_key=AES_KEY, corp_id=CORP_ID)
    product = CallbackCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID)

    signed = signer.sign(EVENT, timestamp="1700000000", nonce="n0nce")

    with pytest.raises(CallbackSignatureError):
        product.decrypt_callback(
            body=signed.body, msg_signature=signed.msg_signature, timestamp=signed.timestamp, nonce=signed.nonce
        )


def test_the_sandbox_and_the_product_default_to_the_same_development_corp() -> None:
    names = ("CORP_ID", "CORP_SECRET", "AGENT_ID", "CALLBACK_TOKEN", "CALLBACK_AES_KEY", "SANDBOX_PORT")

    assert {name: getattr(sandbox_defaults, name) for name in names} == {
        name: getattr(product_defaults, name) for name in names
    }
