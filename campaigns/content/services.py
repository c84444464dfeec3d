"""Writes to the content library (素材库) and its WeCom media. Head office owns the library;
every change is audited. WeCom sees a file only when it is first sent (``content_media_id``)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.audit import ContentAuditAction
from campaigns.content.files import CheckedFile, content_file_check, content_file_delete, content_file_store
from campaigns.models import ContentCategory, ContentItem, ContentKind, ContentMedia, MediaPurpose
from campaigns.models.content import COVER_KINDS, FILE_KINDS
from channels.models import OutboxStatus
from channels.outbox.services import outbox_execute, outbox_send_now
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Branch, Staff

CONTENT_CHANGED = ContentAuditAction.CONTENT_CHANGED
SORT_ORDER_MAX = 9999
TITLE_MAX_LENGTH = 64
# A text item is one chat message; a link card's description is WeCom's desc (512 bytes).
TEXT_MAX_LENGTH = 2000
LINK_DESCRIPTION_MAX_LENGTH = 170
TAGS_MAX = 10
TAG_MAX_LENGTH = 32
# A mini-program appid; WeCom wants the page path with its .html suffix.
_APPID = re.compile(r"^wx[0-9a-f]{16}$")
_COVER_SALT = "campaigns.content.cover"
# How long a caller waits for an upload another caller has in flight.
_UPLOAD_WAIT_POLL_SECONDS = 0.2

_EDITABLE_FIELDS = (
    "category",
    "kind",
    "title",
    "description",
    "url",
    "appid",
    "page_path",
    "branch",
    "tags",
    "is_active",
)


def _refuse(message: str, field: str | None = None) -> ApplicationError:
    return ApplicationError(message, extra={"field": field} if field else {})


# --- categories ---------------------------------------------------------------------------


def _category_name(name: str) -> str:
    name = text_require_plain(name, field="name").strip()
    if not name or len(name) > 64:
        raise _refuse(_("A category needs a name of at most 64 characters."), "name")
    return name


@transaction.atomic
def content_category_create(*, name: str, actor: Staff, sort_order: int = 0) -> ContentCategory:
    name = _category_name(name)
    if ContentCategory.objects.filter(name=name).exists():
        raise _refuse(_("A category named %(name)s already exists.") % {"name": name}, "name")
    category = ContentCategory.objects.create(name=name, sort_order=sort_order)
    audit_record(
        actor=actor.user,
        action=CONTENT_CHANGED,
        target=category,
        data={"operation": "category_created", "name": name, "sort_order": sort_order},
    )
    return category


@transaction.atomic
def content_category_update(
    *, category: ContentCategory, actor: Staff, name: str | None = None, sort_order: int | None = None
) -> ContentCategory:
    changes: dict[str, list[Any]] = {}
    if name is not None:
        name = _category_name(name)
        if name != category.name:
            if ContentCategory.objects.filter(name=name).exclude(pk=category.pk).exists():
                raise _refuse(_("A category named %(name)s already exists.") % {"name": name}, "name")
            changes["name"] = [category.name, name]
            category.name = name
    if sort_order is not None and sort_order != category.sort_order:
        changes["sort_order"] = [category.sort_order, sort_order]
        category.sort_order = sort_order
    if changes:
        category.save(update_fields=list(changes))
        audit_record(
            actor=actor.user,
            action=CONTENT_CHANGED,
            target=category,
            data={"operation": "category_updated", "changes": changes},
        )
    return category


@transaction.atomic
def content_category_delete(*, category: ContentCategory, actor: Staff) -> None:
    """Only an empty category goes: deleting one would take its items along."""
    if category.items.exists():
        raise _refuse(_("%(name)s still holds content; move or retire it first.") % {"name": category.name})
    audit_record(
        actor=actor.user,
        action=CONTENT_CHANGED,
        target=category,
        data={"operation": "category_deleted", "name": category.name},
    )
    category.delete()


# --- items --------------------------------------------------------------------------------


def _clean_tags(tags: Any) -> list[str]:
    if isinstance(tags, str):
        tags = re.split(r"[,，\s]+", tags)
    cleaned: list[str] = []
    for tag in tags or []:
        tag = text_require_plain(str(tag), field="tags").strip()
        if not tag:
            continue
        if len(tag) > TAG_MAX_LENGTH:
            raise _refuse(_("A tag has at most %(max)d characters.") % {"max": TAG_MAX_LENGTH}, "tags")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise _refuse(_("An item has at most %(max)d tags.") % {"max": TAGS_MAX}, "tags")
    return cleaned


def _is_web_url(url: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return True


def _validate(fields: dict[str, Any], *, has_file: bool) -> dict[str, Any]:
    """The fields as they will be stored, or the first reason they cannot be."""
    kind = fields["kind"]
    if kind not in ContentKind.values:
        raise _refuse(_("Unknown content kind %(kind)s.") % {"kind": kind}, "kind")
    for name in ("title", "description", "url", "appid", "page_path"):
        fields[name] = text_require_plain(str(fields.get(name) or ""), field=name).strip()
    fields["tags"] = _clean_tags(fields.get("tags"))
    if not fields["title"] or len(fields["title"]) > TITLE_MAX_LENGTH:
        raise _refuse(_("An item needs a title of at most %(max)d characters.") % {"max": TITLE_MAX_LENGTH}, "title")
    limit = LINK_DESCRIPTION_MAX_LENGTH if kind == ContentKind.LINK else TEXT_MAX_LENGTH
    if len(fields["description"]) > limit:
        raise _refuse(_("The description has at most %(max)d characters.") % {"max": limit}, "description")
    if kind == ContentKind.TEXT and not fields["description"]:
        raise _refuse(_("A text item needs its text."), "description")
    if kind == ContentKind.LINK:
        if not _is_web_url(fields["url"]) or len(fields["url"]) > 500:
            raise _refuse(_("A link card needs an http(s) link."), "url")
    else:
        fields["url"] = ""
    if kind == ContentKind.MINIPROGRAM:
        if not _APPID.match(fields["appid"]):
            raise _refuse(_("A mini-program appid looks like wx followed by 16 hex digits."), "appid")
        if not fields["page_path"].endswith(".html") or len(fields["page_path"]) > 500:
            raise _refuse(_("WeCom needs the mini-program page path with its .html suffix."), "page_path")
    else:
        fields["appid"] = fields["page_path"] = ""
    needs_file = kind in FILE_KINDS or kind == ContentKind.MINIPROGRAM
    if needs_file and not has_file:
        message = _("A mini-program card needs a cover image.") if kind == ContentKind.MINIPROGRAM else None
        raise _refuse(message or _("This kind of item needs its file."), "file")
    if kind == ContentKind.TEXT and has_file:
        raise _refuse(_("A text item has no file."), "file")
    return fields


def _audit_value(value: Any) -> Any:
    if isinstance(value, ContentCategory | Branch):
        return value.pk
    return value


def _audit(
    *, actor: Staff, item: ContentItem, operation: str, changes: dict[str, Any], request: HttpRequest | None
) -> None:
    audit_record(
        actor=actor.user,
        action=CONTENT_CHANGED,
        target=item,
        data={"operation": operation, "title": item.title, "kind": item.kind, "changes": changes},
        request=request,
    )


def _file_fields(checked: CheckedFile, storage_name: str) -> dict[str, Any]:
    return {"file": storage_name, "file_name": checked.name, "file_size": checked.size, "file_mime": checked.mime}


def content_item_create(
    *,
    actor: Staff,
    category: ContentCategory,
    kind: str,
    title: str,
    description: str = "",
    url: str = "",
    appid: str = "",
    page_path: str = "",
    file: UploadedFile | None = None,
    branch: Branch | None = None,
    tags: list[str] | str = (),  # type: ignore[assignment]
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> ContentItem:
    """A new item; a refused file or field writes nothing, neither row nor file."""
    fields = _validate(
        {
            "kind": kind,
            "title": title,
            "description": description,
            "url": url,
            "appid": appid,
            "page_path": page_path,
            "tags": tags,
        },
        has_file=file is not None,
    )
    checked = content_file_check(upload=file, kind=kind) if file is not None else None
    storage_name = content_file_store(checked) if checked is not None else ""
    try:
        with transaction.atomic():
            item = ContentItem.objects.create(
                category=category,
                branch=branch,
                is_active=is_active,
                created_by=actor,
                **fields,
                **(_file_fields(checked, storage_name) if checked is not None else {}),
            )
            recorded = {name: _audit_value(getattr(item, name)) for name in _EDITABLE_FIELDS}
            if checked is not None:
                recorded |= {"file_name": checked.name, "file_size": checked.size, "file_mime": checked.mime}
            _audit(actor=actor, item=item, operation="created", changes=recorded, request=request)
    except BaseException:
        content_file_delete(storage_name)
        raise
    return item


def content_item_update(
    *,
    item: ContentItem,
    actor: Staff,
    changes: dict[str, Any],
    file: UploadedFile | None = None,
    request: HttpRequest | None = None,
) -> ContentItem:
    """Apply ``changes`` (any editable field) and, with ``file``, replace the file; audited with old and new values.

    A replaced file is removed from storage once the change commits; its WeCom media is
    uploaded again the next time the item is sent.
    """
    unknown = set(changes) - set(_EDITABLE_FIELDS)
    if unknown:
        raise _refuse(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    merged = {name: changes.get(name, getattr(item, name)) for name in _EDITABLE_FIELDS}
    kind = merged["kind"]
    keeps_file = bool(item.file) and (kind in FILE_KINDS or kind in COVER_KINDS) and _same_file_use(item.kind, kind)
    fields = _validate(
        {name: merged[name] for name in ("kind", "title", "description", "url", "appid", "page_path", "tags")},
        has_file=file is not None or keeps_file,
    )
    merged |= fields
    checked = content_file_check(upload=file, kind=kind) if file is not None else None
    diff = {
        name: [_audit_value(getattr(item, name)), _audit_value(value)]
        for name, value in merged.items()
        if _audit_value(getattr(item, name)) != _audit_value(value)
    }
    old_file = item.file.name if item.file else ""
    old_file_name = item.file_name
    drops_file = bool(old_file) and not keeps_file and checked is None
    if not diff and checked is None and not drops_file:
        return item
    storage_name = content_file_store(checked) if checked is not None else ""
    try:
        with transaction.atomic():
            for name in diff:
                setattr(item, name, merged[name])
            update_fields = [*diff, "updated_by", "updated_at"]
            if checked is not None:
                for name, value in _file_fields(checked, storage_name).items():
                    setattr(item, name, value)
                update_fields += ["file", "file_name", "file_size", "file_mime"]
                diff["file_name"] = [old_file_name, checked.name]
            elif drops_file:
                item.file, item.file_name, item.file_size, item.file_mime = "", "", 0, ""
                update_fields += ["file", "file_name", "file_size", "file_mime"]
                diff["file_name"] = [old_file_name, ""]
            item.updated_by = actor
            item.save(update_fields=update_fields)
            _audit(actor=actor, item=item, operation="updated", changes=diff, request=request)
            if old_file and (checked is not None or drops_file):
                transaction.on_commit(partial(content_file_delete, old_file))
    except BaseException:
        content_file_delete(storage_name)
        raise
    return item


def _same_file_use(old_kind: str, new_kind: str) -> bool:
    """A stored file stays only while it means the same: a cover for a card, or the payload of the same kind."""
    if old_kind in COVER_KINDS and new_kind in COVER_KINDS:
        return True
    return old_kind == new_kind


@transaction.atomic
def content_item_delete(*, item: ContentItem, actor: Staff, request: HttpRequest | None = None) -> None:
    """Only an item never sent goes; a sent one is retired instead (the trail must keep what customers got)."""
    if item.usage_count:
        raise _refuse(_("This item has been sent to customers; retire it instead."))
    _audit(actor=actor, item=item, operation="deleted", changes={"file_name": item.file_name}, request=request)
    old_file = item.file.name if item.file else ""
    item.delete()
    if old_file:
        transaction.on_commit(partial(content_file_delete, old_file))


def content_item_used(*, item_id: int) -> None:
    """Count one send of the item (a chat, a welcome message, a mass send's recipient list)."""
    ContentItem.objects.filter(pk=item_id).update(usage_count=F("usage_count") + 1, last_used_at=timezone.now())


# --- WeCom media ----------------------------------------------------------------------------


def _media_type(item: ContentItem) -> str:
    return item.kind if item.kind in FILE_KINDS else "image"


def _check_moment_media(item: ContentItem, media_type: str) -> None:
    if media_type not in ("image", "video"):
        raise _refuse(_("Moments take images and videos only."))
    limit = (
        settings.WECOM_MEDIA_MOMENT_IMAGE_MAX_BYTES
        if media_type == "image"
        else settings.WECOM_MEDIA_MOMENT_VIDEO_MAX_BYTES
    )
    if item.file_size > limit:
        raise _refuse(_("The file is too large for moments (at most %(max).0f MB).") % {"max": limit / 1024 / 1024})


def _fresh(media: ContentMedia, storage_name: str) -> bool:
    margin = timedelta(seconds=settings.WECOM_MEDIA_REFRESH_MARGIN_SECONDS)
    return bool(
        media.media_id
        and media.storage_name == storage_name
        and media.expires_at is not None
        and media.expires_at > timezone.now() + margin
    )


def _upload_finished(call_id: int) -> Any:
    """The upload call once it is final or can do no more now; waits for a peer's upload in flight."""
    deadline = time.monotonic() + settings.WECOM_MEDIA_UPLOAD_TIMEOUT_SECONDS + 5
    call = outbox_execute(call_id)
    while call.status == OutboxStatus.IN_FLIGHT and time.monotonic() < deadline:
        time.sleep(_UPLOAD_WAIT_POLL_SECONDS)
        call = outbox_execute(call_id)
    return call


def content_media_id(item_id: int, *, purpose: str = MediaPurpose.MESSAGE) -> str:
    """A media_id for the item's file that WeCom will keep for a while yet, uploading it if needed.

    ``purpose`` ``message`` (media/upload: chats, welcome messages, 群发) or ``moment``
    (media/upload_attachment). The upload goes through the outbox under a key carrying the
    row's generation, so two callers that find the media stale at once share one upload
    and store one result. Raises ``ApplicationError`` when the item has no file or WeCom
    refuses or does not answer (the outbox keeps trying a call it could not finish).
    """
    if purpose not in MediaPurpose.values:
        raise _refuse(_("Unknown media purpose %(purpose)s.") % {"purpose": purpose})
    item = ContentItem.objects.get(pk=item_id)
    if not item.file:
        raise _refuse(_("This item has no file to send."))
    media_type = _media_type(item)
    if purpose == MediaPurpose.MOMENT:
        _check_moment_media(item, media_type)
    storage_name = str(item.file.name)
    for _attempt in range(2):
        media, _created = ContentMedia.objects.get_or_create(item=item, purpose=purpose)
        if _fresh(media, storage_name):
            return media.media_id
        generation = media.generation
        payload: dict[str, Any] = {
            "storage_name": storage_name,
            "file_name": item.file_name or storage_name.rsplit("/", 1)[-1],
            "media_type": media_type,
            "content_type": item.file_mime,
        }
        if purpose == MediaPurpose.MOMENT:
            payload["attachment_type"] = 1
        call = outbox_send_now(
            key=f"upload_media:{purpose}:{item.pk}:{generation + 1}", operation="upload_media", payload=payload
        )
        call = _upload_finished(call.pk)
        if call.status == OutboxStatus.FAILED:
            # The next attempt must be a new upload, not this refused one again.
            ContentMedia.objects.filter(pk=media.pk, generation=generation).update(generation=generation + 1)
            raise _refuse(_("WeCom refused the file: %(reason)s") % {"reason": call.error_message})
        if call.status != OutboxStatus.SUCCEEDED:
            raise _refuse(_("WeCom did not take the file yet; try again in a moment."))
        created_at = datetime.fromtimestamp(int(call.result["created_at"]), tz=UTC)
        ContentMedia.objects.filter(pk=media.pk, generation=generation).update(
            generation=generation + 1,
            media_id=call.result["media_id"],
            media_type=media_type,
            storage_name=call.payload["storage_name"],
            uploaded_at=created_at,
            expires_at=created_at + timedelta(seconds=settings.WECOM_MEDIA_TTL_SECONDS),
            updated_at=timezone.now(),
        )
    media = ContentMedia.objects.get(item=item, purpose=purpose)
    if _fresh(media, storage_name):
        return media.media_id
    raise _refuse(_("WeCom did not take the file yet; try again in a moment."))


# --- how an item is sent ----------------------------------------------------------------------


def content_cover_token(item: ContentItem) -> str:
    return signing.Signer(salt=_COVER_SALT).sign(str(item.pk))


def content_cover_item_id(token: str) -> int | None:
    try:
        value = signing.Signer(salt=_COVER_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def content_cover_url(item: ContentItem) -> str:
    """Where customers' phones fetch a card's cover (WeCom's picurl / imgUrl); "" without a cover."""
    if item.kind not in COVER_KINDS or not item.file:
        return ""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("content-cover", args=[content_cover_token(item)])


def content_attachment(item: ContentItem) -> dict[str, Any] | None:
    """The item as one attachment of send_welcome_msg / add_msg_template; None for text (it is the message's text).

    Image, video, file: ``{"msgtype": kind, kind: {"media_id"}}``; link: ``{"msgtype":
    "link", "link": {"title", "url", "desc", "picurl"}}``; mini-program: ``{"msgtype":
    "miniprogram", "miniprogram": {"title", "appid", "page", "pic_media_id"}}``. Media ids
    are fresh (uploaded now if needed).
    """
    if item.kind == ContentKind.TEXT:
        return None
    if item.kind in FILE_KINDS:
        return {"msgtype": item.kind, item.kind: {"media_id": content_media_id(item.pk)}}
    if item.kind == ContentKind.LINK:
        link = {"title": item.title, "url": item.url}
        if item.description:
            link["desc"] = item.description
        if item.file:
            link["picurl"] = content_cover_url(item)
        return {"msgtype": "link", "link": link}
    return {
        "msgtype": "miniprogram",
        "miniprogram": {
            "title": item.title,
            "appid": item.appid,
            "page": item.page_path,
            "pic_media_id": content_media_id(item.pk),
        },
    }


def content_moment_attachment(item: ContentItem) -> dict[str, Any]:
    """The item as an add_moment_task attachment: an image, a video, or a link with its cover's media_id."""
    if item.kind in (ContentKind.IMAGE, ContentKind.VIDEO):
        return {"msgtype": item.kind, item.kind: {"media_id": content_media_id(item.pk, purpose=MediaPurpose.MOMENT)}}
    if item.kind == ContentKind.LINK:
        link = {"title": item.title, "url": item.url}
        if item.file:
            link["media_id"] = content_media_id(item.pk, purpose=MediaPurpose.MOMENT)
        return {"msgtype": "link", "link": link}
    raise _refuse(_("Moments take images, videos and links only."))


def content_chat_message(item: ContentItem) -> dict[str, Any]:
    """The arguments of the JS-SDK's ``sendChatMessage`` for the item, with a fresh media_id."""
    if item.kind == ContentKind.TEXT:
        return {"msgtype": "text", "text": {"content": item.description}}
    if item.kind in FILE_KINDS:
        return {"msgtype": item.kind, item.kind: {"mediaid": content_media_id(item.pk)}}
    if item.kind == ContentKind.LINK:
        return {
            "msgtype": "news",
            "news": {
                "link": item.url,
                "title": item.title,
                "desc": item.description,
                "imgUrl": content_cover_url(item),
            },
        }
    return {
        "msgtype": "miniprogram",
        "miniprogram": {
            "appid": item.appid,
            "title": item.title,
            "imgUrl": content_cover_url(item),
            "page": item.page_path,
        },
    }
