"""Files of the content library: checked by what their bytes are, not by what they claim.

The type is sniffed from the content (``filetype``, signatures only); a file whose
name's extension or declared content type says otherwise is refused, and so is one
above WeCom's size limit for its use (settings ``WECOM_MEDIA_*``). Nothing is stored
until every check has passed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from campaigns.models import ContentKind
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain

# Enough for every signature filetype knows.
_SNIFF_BYTES = 8192
# Declarations that say nothing: browsers send these for files they do not know.
_UNDECLARED = {"", "application/octet-stream", "binary/octet-stream"}
_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tiff": "tif", "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
_KNOWN_EXTENSIONS = frozenset(kind.extension for kind in filetype.types)
# WeCom's media/upload: images JPG or PNG, videos MP4.
_ALLOWED = {"image": {"jpg", "png"}, "video": {"mp4"}}
# Programs are never content for customers, whatever the name says.
_REFUSED_FILE_TYPES = {"exe", "elf", "wasm", "crx", "deb", "rpm", "swf"}
FILE_NAME_MAX_LENGTH = 200


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str  # the name people see (and WeCom shows for files)
    extension: str  # sniffed, or the name's own for plain files filetype cannot recognise
    mime: str
    size: int


def max_bytes(media_type: str) -> int:
    return {
        "image": settings.WECOM_MEDIA_IMAGE_MAX_BYTES,
        "video": settings.WECOM_MEDIA_VIDEO_MAX_BYTES,
        "file": settings.WECOM_MEDIA_FILE_MAX_BYTES,
    }[media_type]


def media_type_for(kind: str) -> str:
    """WeCom's media type for an item's file: its own kind, or an image for the cards' cover."""
    return kind if kind in (ContentKind.IMAGE, ContentKind.VIDEO, ContentKind.FILE) else "image"


def _refuse(message: str, field: str) -> ApplicationError:
    return ApplicationError(message, extra={"field": field})


def content_file_check(*, upload: UploadedFile, kind: str, field: str = "file") -> CheckedFile:
    """The upload as it really is, or an ApplicationError saying why it cannot be content of ``kind``."""
    media_type = media_type_for(kind)
    name = PurePath(str(upload.name or "")).name.strip()
    text_require_plain(name, field=field)
    if not name or len(name) > FILE_NAME_MAX_LENGTH:
        raise _refuse(_("The file needs a name of at most %(max)d characters.") % {"max": FILE_NAME_MAX_LENGTH}, field)
    size = int(upload.size or 0)
    limit = max_bytes(media_type)
    if size < settings.WECOM_MEDIA_MIN_BYTES:
        raise _refuse(_("The file is empty or too small to send."), field)
    if size > limit:
        raise _refuse(
            _("The file is %(size).1f MB; WeCom takes at most %(max).0f MB for this kind.")
            % {"size": size / 1024 / 1024, "max": limit / 1024 / 1024},
            field,
        )
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    sniffed = filetype.guess(head)
    claimed = PurePath(name).suffix.lower().lstrip(".")
    claimed = _ALIASES.get(claimed, claimed)
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    declared = _ALIASES.get(declared, declared)
    allowed = _ALLOWED.get(media_type)
    if allowed is not None:
        if sniffed is None or sniffed.extension not in allowed:
            raise _refuse(
                _("The content is not a %(formats)s file.") % {"formats": "/".join(sorted(allowed)).upper()}, field
            )
    elif sniffed is not None and sniffed.extension in _REFUSED_FILE_TYPES:
        raise _refuse(_("Programs cannot be sent to customers."), field)
    if sniffed is not None:
        if claimed != sniffed.extension:
            raise _refuse(
                _("The file is named .%(claimed)s but its content is %(sniffed)s.")
                % {"claimed": claimed or "?", "sniffed": sniffed.extension.upper()},
                field,
            )
        if declared not in _UNDECLARED and declared != sniffed.mime:
            raise _refuse(
                _("The file was sent as %(declared)s but its content is %(sniffed)s.")
                % {"declared": declared, "sniffed": sniffed.mime},
                field,
            )
        return CheckedFile(upload=upload, name=name, extension=sniffed.extension, mime=sniffed.mime, size=size)
    if claimed in _KNOWN_EXTENSIONS:
        # A .pdf or .docx whose bytes are not one: mislabelled or damaged.
        raise _refuse(_("The file is named .%(claimed)s but its content is not.") % {"claimed": claimed}, field)
    mime = declared if declared not in _UNDECLARED else "application/octet-stream"
    return CheckedFile(upload=upload, name=name, extension=claimed, mime=mime, size=size)


def content_file_store(checked: CheckedFile) -> str:
    """Save the checked file under a name of our own (never the uploader's path); returns the storage name."""
    suffix = f".{checked.extension}" if checked.extension.isalnum() and len(checked.extension) <= 8 else ""
    checked.upload.seek(0)
    return default_storage.save(f"content/{uuid.uuid4().hex}{suffix}", checked.upload)


def content_file_delete(storage_name: str) -> None:
    if storage_name:
        default_storage.delete(storage_name)
