"""WeCom callback crypto (WXBizMsgCrypt): signatures, the GET echostr check, event envelopes.

WeCom signs every callback with ``sha1(sorted([token, timestamp, nonce, Encrypt]))`` and
encrypts the event XML with AES-256-CBC under the corp's EncodingAESKey (WECOM.md §7).
The product decrypts what WeCom posts. The local sandbox encrypts what it posts with
wechatpy's enterprise crypto, not with this class, so the tests run this code against an
independent peer; the encrypting half here serves the product's own tests and bench.

Built on wechatpy 1.8.18: its ``WeChatSigner`` and its PrpCrypto encryption are used as
they are. Decryption reuses wechatpy's AES cipher but parses the plaintext here, because
wechatpy's ``_decrypt`` trusts the padding and length fields: a tampered body ends in an
``IndexError`` or garbage instead of a clear refusal.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import xmltodict
from wechatpy.crypto.base import BasePrpCrypto
from wechatpy.utils import WeChatSigner

_RANDOM_PREFIX_BYTES = 16
_BLOCK_SIZE = 32  # WeCom pads with PKCS#7 to 32 bytes, not AES's 16.


class CallbackSignatureError(Exception):
    """The msg_signature does not match: not from WeCom, or signed with another token."""


class CallbackDecryptError(Exception):
    """The ciphertext, its padding or its framing is invalid, or it was meant for another receiver."""


@dataclass(frozen=True)
class EncryptedCallback:
    """One callback as WeCom sends it: the POST body and the query string's three values."""

    body: str
    msg_signature: str
    timestamp: str
    nonce: str


class _PrpCrypto(BasePrpCrypto):
    """wechatpy's PrpCrypto with the 16 random prefix bytes drawn from an injectable source."""

    def __init__(self, key: bytes, random_bytes: Callable[[int], bytes]) -> None:
        super().__init__(key)
        self._random_bytes = random_bytes

    def get_random_string(self) -> bytes:  # type: ignore[override]
        return self._random_bytes(_RANDOM_PREFIX_BYTES)

    def encrypt_text(self, text: str, receive_id: str) -> str:
        return bytes(self._encrypt(text, receive_id)).decode("ascii")


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside one CDATA section: split it across two.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class CallbackCrypto:
    """Sign, verify, encrypt and decrypt WeCom callbacks for one receiver (corp id or suite id)."""

    def __init__(
        self,
        *,
        token: str,
        encoding_aes_key: str,
        receive_id: str,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise ValueError("EncodingAESKey is not base64") from exc
        if len(encoding_aes_key) != 43 or len(key) != 32:
            raise ValueError("EncodingAESKey must be 43 characters of base64 (32 bytes)")
        self._token = token
        self._receive_id = receive_id
        self._prp = _PrpCrypto(key, random_bytes)

    # --- signatures ------------------------------------------------------------------

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        """The msg_signature WeCom computes: sha1 over the four values sorted and joined."""
        signer = WeChatSigner()
        signer.add_data(self._token, timestamp, nonce, encrypted)
        return str(signer.signature)

    def _check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = self.signature(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), (msg_signature or "").encode()):
            raise CallbackSignatureError("msg_signature does not match")

    # --- receiving -------------------------------------------------------------------

    def verify_url(self, *, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The GET check WeCom makes when the callback URL is saved: answer with this plaintext."""
        self._check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_callback(self, *, body: bytes | str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The event XML inside a POSTed envelope ``<xml><ToUserName/><Encrypt/><AgentID/></xml>``."""
        encrypted = _envelope_encrypt(body)
        self._check_signature(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def decrypt(self, encrypted: str) -> str:
        """Plaintext of one base64 ciphertext, checked for padding, framing and receive id."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CallbackDecryptError("ciphertext is not base64") from exc
        if not raw or len(raw) % 16:
            raise CallbackDecryptError("ciphertext is not a whole number of AES blocks")
        plain = self._prp.cipher.decrypt(raw)
        pad = plain[-1]
        if not 1 <= pad <= _BLOCK_SIZE or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackDecryptError("bad padding")
        content = plain[_RANDOM_PREFIX_BYTES:-pad]
        if len(content) < 4:
            raise CallbackDecryptError("message too short")
        (length,) = struct.unpack(">I", content[:4])
        if 4 + length > len(content):
            raise CallbackDecryptError("message length exceeds the plaintext")
        try:
            message = content[4 : 4 + length].decode("utf-8")
            receive_id = content[4 + length :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CallbackDecryptError("plaintext is not UTF-8") from exc
        if not hmac.compare_digest(receive_id.encode(), self._receive_id.encode()):
            raise CallbackDecryptError("the message was encrypted for another receiver")
        return message

    # --- sending (tests and bench) ------------------------------------------------------

    def encrypt(self, plaintext: str) -> str:
        """Base64 ciphertext of ``plaintext`` for this receiver; 16 fresh random bytes lead it."""
        return self._prp.encrypt_text(plaintext, self._receive_id)

    def encrypt_callback(
        self, plaintext_xml: str, *, timestamp: str, nonce: str, agent_id: str = ""
    ) -> EncryptedCallback:
        """What WeCom POSTs for one event: the encrypted envelope and its signature."""
        encrypted = self.encrypt(plaintext_xml)
        body = (
            "<xml>"
            f"<ToUserName>{_cdata(self._receive_id)}</ToUserName>"
            f"<Encrypt>{_cdata(encrypted)}</Encrypt>"
            f"<AgentID>{_cdata(agent_id)}</AgentID>"
            "</xml>"
        )
        return EncryptedCallback(
            body=body, msg_signature=self.signature(timestamp, nonce, encrypted), timestamp=timestamp, nonce=nonce
        )


def _envelope_encrypt(body: bytes | str) -> str:
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise CallbackDecryptError("the body is not UTF-8") from exc
    try:
        parsed: Any = xmltodict.parse(text, disable_entities=True)
    except Exception as exc:  # expat raises its own error types; any parse failure is a bad body
        raise CallbackDecryptError("the body is not XML") from exc
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    encrypted = root.get("Encrypt") if isinstance(root, dict) else None
    if not isinstance(encrypted, str) or not encrypted:
        raise CallbackDecryptError("the body has no Encrypt element")
    return encrypted
