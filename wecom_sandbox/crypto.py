"""Encrypting and signing callbacks the way WeCom does, with wechatpy's enterprise crypto.

The product decrypts callbacks with its own code (``channels.wecom.crypto``); the sandbox
encrypts them with wechatpy's ``WeChatCrypto``, an implementation the product does not
share, so the tests exercise the product against an independent peer.

wechatpy builds the envelope of a *passive reply* (``Encrypt``, ``MsgSignature``,
``TimeStamp``, ``Nonce``). A callback is posted in another envelope,
``<xml><ToUserName/><Encrypt/><AgentID/></xml>``, with the signature in the query
string, so only wechatpy's ciphertext and signature are taken from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto


@dataclass(frozen=True)
class SignedCallback:
    """One callback as WeCom posts it: the body and the query string's three values."""

    body: str
    msg_signature: str
    timestamp: str
    nonce: str


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside one CDATA section: split it across two.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class CallbackSigner:
    """Encrypts event XML for one corp and signs it with the corp's callback token."""

    def __init__(self, *, token: str, encoding_aes_key: str, corp_id: str) -> None:
        self._corp_id = corp_id
        self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)

    def sign(self, event_xml: str, *, timestamp: str, nonce: str, agent_id: str = "") -> SignedCallback:
        reply = xmltodict.parse(self._crypto.encrypt_message(event_xml, nonce, timestamp))["xml"]
        encrypted = reply["Encrypt"]
        body = (
            "<xml>"
            f"<ToUserName>{_cdata(self._corp_id)}</ToUserName>"
            f"<Encrypt>{_cdata(encrypted)}</Encrypt>"
            f"<AgentID>{_cdata(agent_id)}</AgentID>"
            "</xml>"
        )
        return SignedCallback(body=body, msg_signature=reply["MsgSignature"], timestamp=timestamp, nonce=nonce)
