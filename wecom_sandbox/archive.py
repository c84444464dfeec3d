"""会话存档 (chat archive): what Tencent's Finance SDK serves, and the msgaudit HTTP APIs.

WeCom has no HTTP API for the archive itself: a corp links Tencent's C SDK, whose
``GetChatData(seq, limit ≤ 1000)`` pages records by sequence number and ``GetMediaData``
hands media out in slices of at most 512 KB (WECOM.md §8). The sandbox serves the same
semantics over HTTP on paths of its own, under ``/finance/``:

``POST /finance/chatdata`` ``{corpid, secret, seq, limit}``
    → ``{errcode, errmsg, chatdata: [{seq, msgid, publickey_ver, encrypt_random_key, encrypt_chat_msg}]}``
``POST /finance/mediadata`` ``{corpid, secret, sdkfileid, indexbuf}``
    → ``{errcode, errmsg, data (base64), outindexbuf, is_finish}``

Each record is encrypted as the product's DecryptData expects (``docs/risk.md``, Chat archive):

* a random key of 32 ASCII characters, RSA-encrypted (PKCS#1 v1.5) with the corp's public
  key of version ``publickey_ver`` and base64-encoded: ``encrypt_random_key``;
* the message JSON (the SDK's fields: msgid, action, from, tolist, roomid, msgtime in ms,
  msgtype and the type's object) AES-256-CBC encrypted with the random key's bytes as key
  and its first 16 bytes as IV, PKCS#7-padded, base64-encoded: ``encrypt_chat_msg``.

Records older than five days are gone, as in WeCom ("获取会话记录内容不能超过5天").
Error codes are the SDK's: 10000 bad parameter, 10005 bad sdkfileid, 10011 bad secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wecom_sandbox import errors as e
from wecom_sandbox.api import Call, api
from wecom_sandbox.errors import ControlError, WeComError
from wecom_sandbox.state import SandboxState, random_id

CHATDATA_LIMIT = 1000
RETENTION_SECONDS = 5 * 86400
MEDIA_SLICE_BYTES = 512 * 1024
MESSAGE_TYPES = ("text", "image", "file", "revoke")
# The Finance SDK's return codes.
SDK_OK = 0
SDK_BAD_PARAMETER = 10000
SDK_BAD_FILEID = 10005
SDK_BAD_SECRET = 10011


class SdkError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def empty() -> dict[str, Any]:
    """The archive's part of the sandbox state."""
    return {
        "public_keys": {},  # str(version) -> PEM
        "key_version": 0,  # the version new records are encrypted with
        "records": [],  # oldest first, seq increasing
        "agree": {},  # "userid|external_userid" -> {"agree_status", "status_change_time"}
        "media": {},  # sdkfileid -> {"data": base64, "md5sum", "filesize"}
    }


def _archive(state: SandboxState) -> dict[str, Any]:
    return state.data.setdefault("archive", empty())


# --- encryption, as the real archive does it ----------------------------------------------------


def encrypt_record(*, public_key_pem: str, message: dict[str, Any]) -> tuple[str, str]:
    """(encrypt_random_key, encrypt_chat_msg) for one message."""
    public_key = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(public_key, RSAPublicKey):
        raise ControlError("the archive's public key must be an RSA key")
    random_key = base64.b32encode(os.urandom(20)).decode()  # 32 ASCII characters, as the SDK's keys
    key_bytes = random_key.encode()
    encrypted_key = public_key.encrypt(key_bytes, padding.PKCS1v15())
    padder = sym_padding.PKCS7(128).padder()
    plain = padder.update(json.dumps(message, ensure_ascii=False).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key_bytes), modes.CBC(key_bytes[:16])).encryptor()
    cipher = encryptor.update(plain) + encryptor.finalize()
    return base64.b64encode(encrypted_key).decode(), base64.b64encode(cipher).decode()


# --- the control side: keys, messages, agreement ----------------------------------------------------


def public_key_set(state: SandboxState, *, version: int, pem: str) -> dict[str, Any]:
    """The corp's archive public key of ``version``; new records use the highest version set."""
    if version < 1:
        raise ControlError("version is a positive integer")
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise ControlError("pem is not a PEM public key") from exc
    if not isinstance(key, RSAPublicKey):
        raise ControlError("the archive's public key must be an RSA key")
    with state.mutate():
        archive = _archive(state)
        archive["public_keys"][str(version)] = pem
        archive["key_version"] = max(int(archive["key_version"]), version)
    return {"version": version, "key_version": archive["key_version"]}


def _media_store(archive: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    content = (
        base64.b64decode(raw["content_base64"]) if raw.get("content_base64") else os.urandom(int(raw.get("size", 2048)))
    )
    sdkfileid = random_id("CtYBMzA2OTAyMDEwMjA0NjIz", 40)
    md5sum = hashlib.md5(content, usedforsecurity=False).hexdigest()  # WeCom's checksum field, not security
    archive["media"][sdkfileid] = {"data": base64.b64encode(content).decode(), "md5sum": md5sum}
    return {"sdkfileid": sdkfileid, "md5sum": md5sum, "filesize": len(content)}


def _message(state: SandboxState, archive: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    sender = str(raw.get("from") or "")
    tolist = [str(u) for u in raw.get("tolist") or ([raw["to"]] if raw.get("to") else [])]
    roomid = str(raw.get("roomid") or "")
    msgtype = str(raw.get("msgtype") or "text")
    if not sender or not (tolist or roomid):
        raise ControlError("a message needs from and to/tolist (or a roomid)")
    if msgtype not in MESSAGE_TYPES:
        raise ControlError(f"msgtype is one of {', '.join(MESSAGE_TYPES)}")
    if roomid and not tolist:
        chat = state.data["groupchats"].get(roomid)
        if chat is None:
            raise ControlError(f"no group chat {roomid}", status=404)
        tolist = [m["userid"] for m in chat["member_list"] if m["userid"] != sender]
    msgtime = int(raw.get("msgtime") or state.now() * 1000)
    message: dict[str, Any] = {
        "msgid": str(raw.get("msgid") or random_id("", 20, "0123456789") + "_" + str(msgtime)),
        "action": "recall" if msgtype == "revoke" else "send",
        "from": sender,
        "tolist": tolist,
        "roomid": roomid,
        "msgtime": msgtime,
        "msgtype": msgtype,
    }
    if msgtype == "text":
        message["text"] = {"content": str((raw.get("text") or {}).get("content", raw.get("content", "")))}
    elif msgtype == "revoke":
        pre_msgid = (raw.get("revoke") or {}).get("pre_msgid") or raw.get("pre_msgid")
        if not pre_msgid:
            raise ControlError("a revoke names pre_msgid")
        message["revoke"] = {"pre_msgid": str(pre_msgid)}
    else:
        media_raw = raw.get(msgtype) or {}
        stored = _media_store(archive, media_raw)
        if msgtype == "file":
            filename = str(media_raw.get("filename") or "文件.pdf")
            stored = {**stored, "filename": filename, "fileext": filename.rsplit(".", 1)[-1]}
        message[msgtype] = stored
    return message


def _prune(state: SandboxState, archive: dict[str, Any]) -> None:
    oldest = (state.now() - RETENTION_SECONDS) * 1000
    archive["records"] = [r for r in archive["records"] if r["msgtime"] >= oldest]


def messages_post(state: SandboxState, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Archive ``messages`` (each ``{from, to | tolist, roomid?, msgtype, text | image | file | revoke, msgtime?}``).

    Returns each one's ``{seq, msgid}``. Records are encrypted with the newest public key.
    """
    if not isinstance(messages, list) or not messages:
        raise ControlError("messages is a non-empty list")
    with state.mutate():
        archive = _archive(state)
        version = int(archive["key_version"])
        if not version:
            raise ControlError("set the corp's archive public key first (archive/public_key)")
        pem = archive["public_keys"][str(version)]
        posted = []
        for raw in messages:
            message = _message(state, archive, raw)
            encrypt_random_key, encrypt_chat_msg = encrypt_record(public_key_pem=pem, message=message)
            seq = state.next_seq("archive")
            archive["records"].append(
                {
                    "seq": seq,
                    "msgid": message["msgid"],
                    "publickey_ver": version,
                    "encrypt_random_key": encrypt_random_key,
                    "encrypt_chat_msg": encrypt_chat_msg,
                    "msgtime": message["msgtime"],
                }
            )
            posted.append({"seq": seq, "msgid": message["msgid"], "message": message})
        _prune(state, archive)
    return posted


def record_corrupt(state: SandboxState, *, seq: int, part: str) -> dict[str, Any]:
    """Damage one stored record, as a transmission fault would: ``random_key`` or ``message``."""
    fields = {"random_key": "encrypt_random_key", "message": "encrypt_chat_msg"}
    if part not in fields:
        raise ControlError("part is random_key or message")
    with state.mutate():
        for record in _archive(state)["records"]:
            if record["seq"] == seq:
                raw = bytearray(base64.b64decode(record[fields[part]]))
                raw[len(raw) // 2] ^= 0xFF
                record[fields[part]] = base64.b64encode(bytes(raw)).decode()
                return {"seq": seq, "part": part}
    raise ControlError(f"no record {seq}", status=404)


def agree_set(state: SandboxState, *, userid: str, external_userid: str, agree: bool) -> None:
    with state.mutate():
        _archive(state)["agree"][f"{userid}|{external_userid}"] = {
            "agree_status": "Agree" if agree else "Disagree",
            "status_change_time": state.now_int(),
        }


# --- the SDK side -----------------------------------------------------------------------------------


def _check_secret(state: SandboxState, req: dict[str, Any]) -> None:
    if req.get("corpid") != state.corp.corp_id or req.get("secret") != state.corp.corp_secret:
        raise SdkError(SDK_BAD_SECRET, "corpid or secret is wrong")


def chat_data(state: SandboxState, req: dict[str, Any]) -> dict[str, Any]:
    """GetChatData: the records after ``seq``, at most ``limit`` (1..1000), none older than five days."""
    _check_secret(state, req)
    try:
        seq, limit = int(req.get("seq", 0)), int(req.get("limit", 100))
    except (TypeError, ValueError) as exc:
        raise SdkError(SDK_BAD_PARAMETER, "seq and limit are integers") from exc
    if seq < 0 or limit < 1 or limit > CHATDATA_LIMIT:
        raise SdkError(SDK_BAD_PARAMETER, f"limit must be 1..{CHATDATA_LIMIT}")
    oldest = (state.now() - RETENTION_SECONDS) * 1000
    with state.lock:
        records = _archive(state)["records"]
        page = [r for r in records if r["seq"] > seq and r["msgtime"] >= oldest][:limit]
        chatdata = [{k: v for k, v in r.items() if k != "msgtime"} for r in page]
    return {"errcode": SDK_OK, "errmsg": "ok", "chatdata": chatdata}


def media_data(state: SandboxState, req: dict[str, Any]) -> dict[str, Any]:
    """GetMediaData: one slice of at most 512 KB from ``indexbuf`` (an opaque offset) on."""
    _check_secret(state, req)
    sdkfileid = str(req.get("sdkfileid") or "")
    with state.lock:
        media = _archive(state)["media"].get(sdkfileid)
    if media is None:
        raise SdkError(SDK_BAD_FILEID, "no such sdkfileid")
    data = base64.b64decode(media["data"])
    try:
        offset = int(req.get("indexbuf") or 0)
    except ValueError as exc:
        raise SdkError(SDK_BAD_PARAMETER, "indexbuf is the outindexbuf of the previous slice") from exc
    chunk = data[offset : offset + MEDIA_SLICE_BYTES]
    end = offset + len(chunk)
    return {
        "errcode": SDK_OK,
        "errmsg": "ok",
        "data": base64.b64encode(chunk).decode(),
        "outindexbuf": str(end),
        "is_finish": end >= len(data),
    }


FINANCE_ROUTES = {"chatdata": chat_data, "mediadata": media_data}


# --- msgaudit HTTP APIs -------------------------------------------------------------------------------


@api("msgaudit/check_single_agree", reads_only=True)
def check_single_agree(call: Call) -> dict[str, Any]:
    """Each (member, external contact) pair's agree status; a pair that never agreed is Disagree."""
    info = call.req.get("info")
    if not isinstance(info, list) or not info:
        raise WeComError(e.INVALID_PARAMETER, "info is a non-empty list")
    agree = _archive(call.state)["agree"]
    answer = []
    for pair in info:
        if not isinstance(pair, dict) or not pair.get("userid") or not pair.get("exteranalopenid"):
            raise WeComError(e.INVALID_PARAMETER, "each info item has userid and exteranalopenid")
        status = agree.get(f"{pair['userid']}|{pair['exteranalopenid']}", {})
        answer.append(
            {
                "userid": pair["userid"],
                "exteranalopenid": pair["exteranalopenid"],
                "agree_status": status.get("agree_status", "Disagree"),
                "status_change_time": status.get("status_change_time", 0),
            }
        )
    return {"agreeinfo": answer}
