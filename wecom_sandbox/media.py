"""Temporary media as WeCom keeps it: uploads (multipart ``media``), their checks and their 3-day life.

``media/upload`` (doc 90389) takes ``type`` image | voice | video | file; images are JPG
or PNG up to 10 MB, voice AMR up to 2 MB, video MP4 up to 10 MB, files up to 20 MB, and
every file must be larger than 5 bytes. ``media/upload_attachment`` (doc 95098) takes
``media_type`` image | video and ``attachment_type`` 1 (moments). A media_id is valid
for three days on the sandbox clock and only for the use it was uploaded for: a moments
attachment cannot be sent in a message, nor the other way round.

The bytes are kept in memory only (the JSON snapshot would rewrite megabytes on every
change); their metadata is in the snapshot, so after a restart ``media/get`` of an older
upload answers 40007 while messages still accept its media_id until it expires.
"""

from __future__ import annotations

import email.parser
import email.policy
from typing import Any

from wecom_sandbox import errors as e
from wecom_sandbox.errors import WeComError
from wecom_sandbox.state import SandboxState, random_id

MB = 1024 * 1024
MEDIA_TTL_SECONDS = 3 * 86400
MIN_BYTES = 6  # "所有文件size必须大于5个字节"
MESSAGE_LIMITS = {"image": 10 * MB, "voice": 2 * MB, "video": 10 * MB, "file": 20 * MB}
MOMENT_LIMITS = {"image": 10 * MB, "video": 10 * MB}
# The size errcode WeCom answers per type (global error-code page).
SIZE_ERRORS = {
    "image": e.INVALID_IMAGE_SIZE,
    "voice": e.INVALID_VOICE_SIZE,
    "video": e.INVALID_VIDEO_SIZE,
    "file": e.INVALID_FILE_SIZE,
}
PURPOSE_MESSAGE = "message"
PURPOSE_MOMENT = "moment"


def parse_multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    """The form's fields: files as ``{"filename", "content_type", "data"}``, other fields as text."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise WeComError(e.INVALID_PARAMETER, "not a multipart body")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            fields[str(name)] = {
                "filename": str(filename),
                "content_type": part.get_content_type(),
                "data": data,
            }
        else:
            fields[str(name)] = data.decode("utf-8", "replace")
    return fields


def sniffed_format(data: bytes) -> str:
    """What the bytes are, by their signature: jpg, png, amr, mp4 or "" (anything else)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"#!AMR"):
        return "amr"
    if data[4:8] == b"ftyp":
        return "mp4"
    return ""


_FORMATS = {"image": {"jpg", "png"}, "voice": {"amr"}, "video": {"mp4"}}


def _check_file(media: Any, media_type: str, limits: dict[str, int]) -> tuple[str, bytes, str]:
    if not isinstance(media, dict) or "data" not in media:
        raise WeComError(e.MISSING_MEDIA_DATA, "multipart field media")
    data: bytes = media["data"]
    if not data:
        raise WeComError(e.EMPTY_MEDIA_DATA)
    if len(data) < MIN_BYTES or len(data) > limits[media_type]:
        raise WeComError(
            SIZE_ERRORS[media_type], f"{len(data)} bytes; {media_type} is {MIN_BYTES}..{limits[media_type]}"
        )
    formats = _FORMATS.get(media_type)
    if formats is not None and sniffed_format(data) not in formats:
        raise WeComError(e.INVALID_FILE_TYPE, f"{media_type} must be {'/'.join(sorted(formats))}")
    return str(media.get("filename") or "media"), data, str(media.get("content_type") or "application/octet-stream")


def _store(
    state: SandboxState, *, media_type: str, purpose: str, filename: str, data: bytes, content_type: str
) -> dict[str, Any]:
    media_id = random_id("3", 63, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    created_at = state.now_int()
    state.data.setdefault("media", {})[media_id] = {
        "media_id": media_id,
        "type": media_type,
        "purpose": purpose,
        "filename": filename,
        "content_type": content_type,
        "size": len(data),
        "created_at": created_at,
    }
    state.media_blobs[media_id] = data
    # WeCom answers created_at as a string of seconds.
    return {"type": media_type, "media_id": media_id, "created_at": str(created_at)}


def upload(state: SandboxState, req: dict[str, Any]) -> dict[str, Any]:
    media_type = str(req.get("type") or "")
    if media_type not in MESSAGE_LIMITS:
        raise WeComError(e.INVALID_MEDIA_TYPE, "type is image, voice, video or file")
    filename, data, content_type = _check_file(req.get("media"), media_type, MESSAGE_LIMITS)
    return _store(
        state, media_type=media_type, purpose=PURPOSE_MESSAGE, filename=filename, data=data, content_type=content_type
    )


def upload_attachment(state: SandboxState, req: dict[str, Any]) -> dict[str, Any]:
    media_type = str(req.get("media_type") or "")
    if media_type not in MOMENT_LIMITS:
        raise WeComError(e.INVALID_MEDIA_TYPE, "media_type is image or video")
    if str(req.get("attachment_type") or "") != "1":
        raise WeComError(e.INVALID_PARAMETER, "attachment_type is 1 (moments)")
    filename, data, content_type = _check_file(req.get("media"), media_type, MOMENT_LIMITS)
    return _store(
        state, media_type=media_type, purpose=PURPOSE_MOMENT, filename=filename, data=data, content_type=content_type
    )


def live_media(state: SandboxState, media_id: Any, *, purpose: str = PURPOSE_MESSAGE) -> dict[str, Any]:
    """The media behind a media_id this corp uploaded for ``purpose`` less than three days ago; else 40007."""
    entry = state.data.get("media", {}).get(str(media_id or ""))
    ttl = int(state.config.get("media_ttl", MEDIA_TTL_SECONDS))
    if entry is None or entry["purpose"] != purpose or state.now() >= entry["created_at"] + ttl:
        raise WeComError(e.INVALID_MEDIA_ID, str(media_id or ""))
    return entry


def get(state: SandboxState, req: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    media_id = str(req.get("media_id") or "")
    if not media_id:
        raise WeComError(e.MISSING_MEDIA_ID)
    entry = live_media(state, media_id)
    data = state.media_blobs.get(media_id)
    if data is None:
        raise WeComError(e.INVALID_MEDIA_ID, "the sandbox restarted since the upload")
    return entry, data


# Where each attachment kind of a message carries a media_id (send_welcome_msg, add_msg_template).
ATTACHMENT_MEDIA_FIELDS = {"image": "media_id", "video": "media_id", "file": "media_id", "miniprogram": "pic_media_id"}


def check_attachment_media(state: SandboxState, attachment: dict[str, Any]) -> None:
    kind = attachment["msgtype"]
    body = attachment[kind]
    field = ATTACHMENT_MEDIA_FIELDS.get(kind)
    if field is None:
        return
    if kind == "image" and not body.get("media_id"):
        if not body.get("pic_url"):
            raise WeComError(e.MISSING_MEDIA_ID, "image needs media_id or pic_url")
        return
    live_media(state, body.get(field))
