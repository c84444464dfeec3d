"""Writes to the script library (话术). Head office owns it; every change is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from campaigns.audit import ContentAuditAction
from campaigns.models import Script, ScriptCategory, ScriptKind
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Staff

# What a chat accepts in one text message; longer scripts could never be sent.
SCRIPT_CONTENT_MAX_LENGTH = 2000
# Positions in a short list; bounded so that no number reaches the database unchecked.
SORT_ORDER_MAX = 9999
SCRIPT_CHANGED = ContentAuditAction.SCRIPT_CHANGED

_EDITABLE_FIELDS = ("category", "title", "kind", "content", "link_url", "is_active", "sort_order")


def _validate(*, kind: str, title: str, content: str, link_url: str) -> None:
    text_require_plain(title, field="title")
    text_require_plain(content, field="content")
    if kind not in ScriptKind.values:
        raise ApplicationError(f"Unknown script kind {kind!r}.", extra={"field": "kind"})
    if not title.strip():
        raise ApplicationError("A script needs a title.", extra={"field": "title"})
    if not content.strip():
        raise ApplicationError("A script needs content.", extra={"field": "content"})
    if len(content) > SCRIPT_CONTENT_MAX_LENGTH:
        raise ApplicationError(
            f"A script holds at most {SCRIPT_CONTENT_MAX_LENGTH} characters.", extra={"field": "content"}
        )
    if kind == ScriptKind.LINK and not link_url:
        raise ApplicationError("A link script needs its link.", extra={"field": "link_url"})


def _audit(
    *, actor: Staff, script: Script, operation: str, changes: dict[str, Any], request: HttpRequest | None
) -> None:
    audit_record(
        actor=actor.user,
        action=SCRIPT_CHANGED,
        target=script,
        data={"operation": operation, "title": script.title, "changes": changes},
        request=request,
    )


def _audit_value(value: Any) -> Any:
    return value.pk if isinstance(value, ScriptCategory) else value


@transaction.atomic
def script_category_create(*, name: str, actor: Staff, sort_order: int = 0) -> ScriptCategory:
    name = name.strip()
    if not name:
        raise ApplicationError("A category needs a name.", extra={"field": "name"})
    if ScriptCategory.objects.filter(name=name).exists():
        raise ApplicationError(f"A category named {name!r} already exists.", extra={"field": "name"})
    category = ScriptCategory.objects.create(name=name, sort_order=sort_order)
    audit_record(
        actor=actor.user,
        action=SCRIPT_CHANGED,
        target=category,
        data={"operation": "category_created", "name": name},
    )
    return category


@transaction.atomic
def script_category_delete(*, category: ScriptCategory, actor: Staff) -> None:
    """Only an empty category goes: deleting one would silently take its scripts along."""
    if category.scripts.exists():
        raise ApplicationError(f"{category.name} still holds scripts; move or delete them first.")
    audit_record(
        actor=actor.user,
        action=SCRIPT_CHANGED,
        target=category,
        data={"operation": "category_deleted", "name": category.name},
    )
    category.delete()


@transaction.atomic
def script_create(
    *,
    category: ScriptCategory,
    title: str,
    content: str,
    actor: Staff,
    kind: str = ScriptKind.TEXT,
    link_url: str = "",
    sort_order: int = 0,
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> Script:
    _validate(kind=kind, title=title, content=content, link_url=link_url)
    script = Script.objects.create(
        category=category,
        title=title.strip(),
        kind=kind,
        content=content,
        link_url=link_url if kind == ScriptKind.LINK else "",
        sort_order=sort_order,
        is_active=is_active,
        created_by=actor,
    )
    fields = {name: _audit_value(getattr(script, name)) for name in _EDITABLE_FIELDS}
    _audit(actor=actor, script=script, operation="created", changes=fields, request=request)
    return script


@transaction.atomic
def script_update(
    *, script: Script, actor: Staff, changes: dict[str, Any], request: HttpRequest | None = None
) -> Script:
    """Apply ``changes`` (any of the editable fields); the audit row holds old and new values."""
    unknown = set(changes) - set(_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    merged = {name: changes.get(name, getattr(script, name)) for name in _EDITABLE_FIELDS}
    if merged["kind"] != ScriptKind.LINK:
        merged["link_url"] = ""
    _validate(kind=merged["kind"], title=merged["title"], content=merged["content"], link_url=merged["link_url"])
    merged["title"] = merged["title"].strip()
    diff = {
        name: [_audit_value(getattr(script, name)), _audit_value(value)]
        for name, value in merged.items()
        if _audit_value(getattr(script, name)) != _audit_value(value)
    }
    if not diff:
        return script
    for name in diff:
        setattr(script, name, merged[name])
    script.updated_by = actor
    script.save(update_fields=[*diff, "updated_by", "updated_at"])
    _audit(actor=actor, script=script, operation="updated", changes=diff, request=request)
    return script


@transaction.atomic
def script_delete(*, script: Script, actor: Staff, request: HttpRequest | None = None) -> None:
    _audit(actor=actor, script=script, operation="deleted", changes={"category": script.category_id}, request=request)
    script.delete()
