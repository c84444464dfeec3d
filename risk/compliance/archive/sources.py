"""Where archived chats come from: Tencent's Finance SDK, or the local sandbox that serves its semantics.

WeCom has no HTTP API for the archive (WECOM.md §8). A corp links Tencent's C SDK
(``libWeWorkFinanceSdk_C.so``): ``GetChatData(seq, limit ≤ 1000)`` returns encrypted
records after a sequence number, ``DecryptData`` opens a record's message once its random
key has been RSA-decrypted (that part is the product's own code, ``crypto.py``), and
``GetMediaData`` hands media out in slices of at most 512 KB. ``ArchiveSource`` is those
three calls; ``archive_source()`` picks the implementation from the settings:

* ``WECOM_FINANCE_SDK_PATH`` set → ``FinanceSdkSource``, the SDK through ``ctypes``. It
  cannot be exercised without Tencent's library and a real corp; it refuses to start
  with a clear message when the library does not load (``finance_sdk_check``).
* otherwise ``SandboxArchiveSource``: HTTP to the sandbox's ``/finance/`` paths, with
  DecryptData in Python (``sandbox_decrypt``): AES-256-CBC, key = the random key's 32
  bytes, IV = its first 16 bytes, PKCS#7 padding, base64 — the format the sandbox writes.
"""

from __future__ import annotations

import base64
import ctypes
import json
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, TypedDict

import requests
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MEDIA_SLICE_MAX_BYTES = 512 * 1024


class ArchiveRecord(TypedDict):
    seq: int
    msgid: str
    publickey_ver: int
    encrypt_random_key: str
    encrypt_chat_msg: str


@dataclass(frozen=True)
class MediaSlice:
    data: bytes
    outindexbuf: str
    is_finish: bool


class ArchiveSourceError(Exception):
    """The archive could not be read (network, secret, SDK error): the run stops, the cursor stays."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class RecordDecryptError(ValueError):
    """One record's message does not open: it is refused, the batch goes on."""


class ArchiveSource(Protocol):
    def chat_data(self, *, seq: int, limit: int) -> list[ArchiveRecord]:
        """GetChatData: the records after ``seq``, at most ``limit`` (1..1000), oldest first."""

    def decrypt(self, *, random_key: bytes, encrypt_chat_msg: str) -> dict[str, Any]:
        """DecryptData: the message JSON of a record, given its RSA-decrypted random key."""

    def media_data(self, *, sdkfileid: str, index_buf: str) -> MediaSlice:
        """GetMediaData: the slice of a media file from ``index_buf`` ("" first, then ``outindexbuf``)."""


def sandbox_decrypt(*, random_key: bytes, encrypt_chat_msg: str) -> dict[str, Any]:
    """DecryptData for the sandbox's records: AES-256-CBC (IV = key[:16]), PKCS#7, base64, then JSON."""
    if len(random_key) != 32:
        raise RecordDecryptError("the random key is not 32 bytes")
    try:
        cipher = base64.b64decode(encrypt_chat_msg, validate=True)
        decryptor = Cipher(algorithms.AES(random_key), modes.CBC(random_key[:16])).decryptor()
        padded = decryptor.update(cipher) + decryptor.finalize()
        unpadder = sym_padding.PKCS7(128).unpadder()
        plain = unpadder.update(padded) + unpadder.finalize()
        message = json.loads(plain.decode("utf-8"))
    except ValueError as error:  # bad base64, block size, padding, UTF-8 or JSON: all tampering
        raise RecordDecryptError(f"the message does not decrypt: {type(error).__name__}") from error
    if not isinstance(message, dict):
        raise RecordDecryptError("the message is not a JSON object")
    return message


class SandboxArchiveSource:
    """The sandbox's Finance SDK stand-in at ``base_url`` (``…/finance/``)."""

    def __init__(self, *, base_url: str, corp_id: str, secret: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.corp_id = corp_id
        self.secret = secret
        self.timeout = timeout
        self._http = requests.Session()

    def _call(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(
                self.base_url + name,
                json={"corpid": self.corp_id, "secret": self.secret, **body},
                timeout=self.timeout,
            )
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ArchiveSourceError(f"the archive did not answer {name}: {type(error).__name__}") from error
        if answer.get("errcode"):
            raise ArchiveSourceError(f"{name}: {answer.get('errmsg')}", code=int(answer["errcode"]))
        return dict(answer)

    def chat_data(self, *, seq: int, limit: int) -> list[ArchiveRecord]:
        return list(self._call("chatdata", {"seq": seq, "limit": limit})["chatdata"])

    def decrypt(self, *, random_key: bytes, encrypt_chat_msg: str) -> dict[str, Any]:
        return sandbox_decrypt(random_key=random_key, encrypt_chat_msg=encrypt_chat_msg)

    def media_data(self, *, sdkfileid: str, index_buf: str) -> MediaSlice:
        answer = self._call("mediadata", {"sdkfileid": sdkfileid, "indexbuf": index_buf})
        return MediaSlice(
            data=base64.b64decode(answer["data"]),
            outindexbuf=str(answer["outindexbuf"]),
            is_finish=bool(answer["is_finish"]),
        )


class FinanceSdkSource:
    """Tencent's Finance SDK (``WeWorkFinanceSdk_C.h``) through ``ctypes``; one SDK handle per process.

    The calls used: NewSdk, Init(corpid, secret), GetChatData(sdk, seq, limit, proxy, passwd,
    timeout, slice), DecryptData(key, msg, slice), GetMediaData(sdk, indexbuf, sdkfileid,
    proxy, passwd, timeout, media), NewSlice/GetContentFromSlice/FreeSlice and
    NewMediaData/GetOutIndexBuf/GetData/GetDataLen/IsMediaDataFinish/FreeMediaData.
    A non-zero return is the SDK's error code (10000 parameter … 10011 certificate).
    """

    def __init__(self, *, library_path: str, corp_id: str, secret: str, timeout: float) -> None:
        self.lib = finance_sdk_load(library_path)
        self.timeout = int(timeout)
        self._lock = threading.Lock()
        self.sdk = self.lib.NewSdk()
        code = self.lib.Init(self.sdk, corp_id.encode(), secret.encode())
        if code != 0:
            raise ArchiveSourceError(f"the Finance SDK refused Init (code {code})", code=code)

    def _slice_text(self, call: Any, *args: Any) -> str:
        piece = self.lib.NewSlice()
        try:
            code = call(*args, piece)
            if code != 0:
                raise ArchiveSourceError(f"the Finance SDK answered {code}", code=code)
            return bytes(self.lib.GetContentFromSlice(piece) or b"").decode("utf-8")
        finally:
            self.lib.FreeSlice(piece)

    def chat_data(self, *, seq: int, limit: int) -> list[ArchiveRecord]:
        with self._lock:
            text = self._slice_text(self.lib.GetChatData, self.sdk, seq, limit, b"", b"", self.timeout)
        answer = json.loads(text)
        if answer.get("errcode"):
            raise ArchiveSourceError(f"GetChatData: {answer.get('errmsg')}", code=int(answer["errcode"]))
        return list(answer.get("chatdata", []))

    def decrypt(self, *, random_key: bytes, encrypt_chat_msg: str) -> dict[str, Any]:
        try:
            text = self._slice_text(self.lib.DecryptData, random_key, encrypt_chat_msg.encode())
            message = json.loads(text)
        except (ArchiveSourceError, ValueError) as error:
            raise RecordDecryptError(f"DecryptData failed: {error}") from error
        if not isinstance(message, dict):
            raise RecordDecryptError("the message is not a JSON object")
        return message

    def media_data(self, *, sdkfileid: str, index_buf: str) -> MediaSlice:
        media = self.lib.NewMediaData()
        try:
            with self._lock:
                code = self.lib.GetMediaData(
                    self.sdk, index_buf.encode(), sdkfileid.encode(), b"", b"", self.timeout, media
                )
            if code != 0:
                raise ArchiveSourceError(f"GetMediaData answered {code}", code=code)
            length = int(self.lib.GetDataLen(media))
            return MediaSlice(
                data=ctypes.string_at(self.lib.GetData(media), length),
                outindexbuf=bytes(self.lib.GetOutIndexBuf(media) or b"").decode(),
                is_finish=bool(self.lib.IsMediaDataFinish(media)),
            )
        finally:
            self.lib.FreeMediaData(media)


_SDK_FUNCTIONS: dict[str, tuple[Any, list[Any]]] = {
    "NewSdk": (ctypes.c_void_p, []),
    "Init": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]),
    "GetChatData": (
        ctypes.c_int,
        [
            ctypes.c_void_p,
            ctypes.c_ulonglong,
            ctypes.c_uint,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_void_p,
        ],
    ),
    "DecryptData": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]),
    "GetMediaData": (
        ctypes.c_int,
        [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_void_p,
        ],
    ),
    "NewSlice": (ctypes.c_void_p, []),
    "FreeSlice": (None, [ctypes.c_void_p]),
    "GetContentFromSlice": (ctypes.c_char_p, [ctypes.c_void_p]),
    "NewMediaData": (ctypes.c_void_p, []),
    "FreeMediaData": (None, [ctypes.c_void_p]),
    "GetOutIndexBuf": (ctypes.c_char_p, [ctypes.c_void_p]),
    "GetData": (ctypes.c_void_p, [ctypes.c_void_p]),
    "GetDataLen": (ctypes.c_int, [ctypes.c_void_p]),
    "IsMediaDataFinish": (ctypes.c_int, [ctypes.c_void_p]),
}


def finance_sdk_load(path: str) -> ctypes.CDLL:
    """Tencent's Finance SDK library with its functions typed; ImproperlyConfigured when it is not one."""
    try:
        lib = ctypes.CDLL(path)
    except OSError as error:
        raise ImproperlyConfigured(
            f"WECOM_FINANCE_SDK_PATH={path!r} does not load as a shared library ({error}). "
            "Point it at Tencent's libWeWorkFinanceSdk_C.so (Linux x86-64), or unset it to use the sandbox."
        ) from error
    missing = [name for name in _SDK_FUNCTIONS if not hasattr(lib, name)]
    if missing:
        raise ImproperlyConfigured(
            f"WECOM_FINANCE_SDK_PATH={path!r} is not Tencent's Finance SDK: it lacks {', '.join(missing)}."
        )
    for name, (restype, argtypes) in _SDK_FUNCTIONS.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def archive_configured() -> bool:
    """Whether this installation reads a chat archive at all (a bank may not have licensed it)."""
    return bool(settings.WECOM_FINANCE_SDK_PATH or settings.WECOM_ARCHIVE_SANDBOX_URL)


@cache
def archive_source() -> ArchiveSource:
    """The configured archive: the Finance SDK when its path is set, else the sandbox; one per process."""
    if settings.WECOM_FINANCE_SDK_PATH:
        return FinanceSdkSource(
            library_path=settings.WECOM_FINANCE_SDK_PATH,
            corp_id=settings.WECOM_CORP_ID,
            secret=settings.WECOM_ARCHIVE_SECRET,
            timeout=settings.WECOM_ARCHIVE_TIMEOUT_SECONDS,
        )
    if settings.WECOM_ARCHIVE_SANDBOX_URL:
        return SandboxArchiveSource(
            base_url=settings.WECOM_ARCHIVE_SANDBOX_URL,
            corp_id=settings.WECOM_CORP_ID,
            secret=settings.WECOM_ARCHIVE_SECRET,
            timeout=settings.WECOM_ARCHIVE_TIMEOUT_SECONDS,
        )
    raise ImproperlyConfigured("Chat archive: set WECOM_FINANCE_SDK_PATH (Tencent's Finance SDK).")
