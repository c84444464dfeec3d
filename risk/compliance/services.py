"""Writes to the compliance library. HQ admins and compliance own it; every change is audited
and bumps the library version in the same transaction, so every matcher recompiles."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from risk.audit import ComplianceAuditAction
from risk.compliance.matcher import library_mark_stale
from risk.compliance.models import (
    ContentAction,
    ContentCategory,
    LibraryVersion,
    PiiPattern,
    PiiPatternSetting,
    SensitiveWord,
)
from risk.compliance.normalise import term_normalise
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.org.models import Staff

WORD_MAX_LENGTH = 64
NOTE_MAX_LENGTH = 200
# One paste or file; larger libraries arrive in several.
BULK_MAX_LINES = 5000
BULK_MAX_BYTES = 1024 * 1024

_EDITABLE_FIELDS = ("word", "category", "action", "is_active", "note")


def library_version_bump() -> None:
    """Record that the library changed; call inside the transaction of the change."""
    token = uuid.uuid4()
    updated = LibraryVersion.objects.filter(pk=1).update(
        version=F("version") + 1, token=token, changed_at=timezone.now()
    )
    if not updated:
        LibraryVersion.objects.get_or_create(pk=1, defaults={"version": 1, "token": token})
    library_mark_stale()
    transaction.on_commit(library_mark_stale)


def _choice(value: str, choices: type[ContentCategory] | type[ContentAction], *, field: str) -> str:
    """A choice given by its code or by its label in any language of the product (承诺收益, 拦截, Block)."""
    value = value.strip()
    if value in choices.values:
        return value
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in choices.choices:
                if value.lower() == str(label).lower():
                    return code
    if field == "category":
        message = _("Unknown category “%(value)s”.")
    else:
        message = _("Unknown action “%(value)s”: block (拦截) or review (复核).")
    raise ApplicationError(message % {"value": value[:40]}, extra={"field": field})


@dataclass(frozen=True)
class _WordFields:
    word: str
    normalised: str
    category: str
    action: str
    note: str


def _word_validate(*, word: str, category: str, action: str, note: str) -> _WordFields:
    text_require_plain(word, field="word")
    text_require_plain(note, field="note")
    word = word.strip()
    note = note.strip()
    if not word:
        raise ApplicationError(_("A sensitive word cannot be empty."), extra={"field": "word"})
    if len(word) > WORD_MAX_LENGTH:
        raise ApplicationError(
            _("A sensitive word holds at most %(count)d characters.") % {"count": WORD_MAX_LENGTH},
            extra={"field": "word"},
        )
    normalised = term_normalise(word)
    if not normalised:
        raise ApplicationError(
            _("A sensitive word needs a letter, digit or character besides spaces and punctuation."),
            extra={"field": "word"},
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise ApplicationError(
            _("A note holds at most %(count)d characters.") % {"count": NOTE_MAX_LENGTH}, extra={"field": "note"}
        )
    return _WordFields(
        word=word,
        normalised=normalised,
        category=_choice(category, ContentCategory, field="category"),
        action=_choice(action, ContentAction, field="action"),
        note=note,
    )


def _duplicate_error(existing: str) -> ApplicationError:
    return ApplicationError(
        _("The library already holds “%(word)s”, which reads the same.") % {"word": existing},
        extra={"field": "word"},
    )


def _audit(
    *, actor: Staff, entry: SensitiveWord, operation: str, changes: dict[str, Any], request: HttpRequest | None
) -> None:
    audit_record(
        actor=actor.user,
        action=ComplianceAuditAction.WORD_CHANGED,
        target=entry,
        data={"operation": operation, "word": entry.word, "changes": changes},
        request=request,
    )


@transaction.atomic
def sensitive_word_create(
    *,
    word: str,
    category: str,
    actor: Staff,
    action: str = ContentAction.BLOCK,
    note: str = "",
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> SensitiveWord:
    fields = _word_validate(word=word, category=category, action=action, note=note)
    existing = SensitiveWord.objects.filter(normalised=fields.normalised).values_list("word", flat=True).first()
    if existing is not None:
        raise _duplicate_error(existing)
    entry = SensitiveWord.objects.create(
        word=fields.word,
        normalised=fields.normalised,
        category=fields.category,
        action=fields.action,
        note=fields.note,
        is_active=is_active,
        created_by=actor,
    )
    library_version_bump()
    _audit(
        actor=actor,
        entry=entry,
        operation="created",
        changes={name: getattr(entry, name) for name in _EDITABLE_FIELDS},
        request=request,
    )
    return entry


@transaction.atomic
def sensitive_word_update(
    *, entry: SensitiveWord, actor: Staff, changes: dict[str, Any], request: HttpRequest | None = None
) -> SensitiveWord:
    """Apply ``changes`` (any of word, category, action, is_active, note); the audit row holds old and new."""
    unknown = set(changes) - set(_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    entry = SensitiveWord.objects.select_for_update().get(pk=entry.pk)
    merged = {name: changes.get(name, getattr(entry, name)) for name in _EDITABLE_FIELDS}
    fields = _word_validate(
        word=merged["word"], category=merged["category"], action=merged["action"], note=merged["note"]
    )
    new_values = {
        "word": fields.word,
        "category": fields.category,
        "action": fields.action,
        "note": fields.note,
        "is_active": bool(merged["is_active"]),
    }
    diff = {name: [getattr(entry, name), value] for name, value in new_values.items() if getattr(entry, name) != value}
    if not diff:
        return entry
    if fields.normalised != entry.normalised:
        existing = (
            SensitiveWord.objects.filter(normalised=fields.normalised)
            .exclude(pk=entry.pk)
            .values_list("word", flat=True)
            .first()
        )
        if existing is not None:
            raise _duplicate_error(existing)
    for name in diff:
        setattr(entry, name, new_values[name])
    entry.normalised = fields.normalised
    entry.updated_by = actor
    entry.save(update_fields=[*diff, "normalised", "updated_by", "updated_at"])
    library_version_bump()
    _audit(actor=actor, entry=entry, operation="updated", changes=diff, request=request)
    return entry


def sensitive_word_set_active(
    *, entry: SensitiveWord, active: bool, actor: Staff, request: HttpRequest | None = None
) -> SensitiveWord:
    """Deactivate (the matcher stops finding it, the entry stays for the record) or reactivate."""
    return sensitive_word_update(entry=entry, actor=actor, changes={"is_active": active}, request=request)


@transaction.atomic
def sensitive_word_delete(*, entry: SensitiveWord, actor: Staff, request: HttpRequest | None = None) -> None:
    _audit(
        actor=actor,
        entry=entry,
        operation="deleted",
        changes={name: getattr(entry, name) for name in _EDITABLE_FIELDS},
        request=request,
    )
    entry.delete()
    library_version_bump()


@transaction.atomic
def pii_pattern_update(
    *, pattern: str, action: str, is_active: bool, actor: Staff, request: HttpRequest | None = None
) -> PiiPatternSetting:
    """Set what a built-in personal-information pattern does (review by default) and whether it runs."""
    if pattern not in PiiPattern.values:
        raise ApplicationError(_("Unknown pattern “%(value)s”.") % {"value": pattern[:40]}, extra={"field": "pattern"})
    action = _choice(action, ContentAction, field="action")
    setting, created = PiiPatternSetting.objects.select_for_update().get_or_create(pattern=pattern)
    old = (
        {"action": ContentAction.REVIEW.value, "is_active": True}
        if created
        else {
            "action": setting.action,
            "is_active": setting.is_active,
        }
    )
    new = {"action": action, "is_active": is_active}
    diff = {name: [old[name], value] for name, value in new.items() if old[name] != value}
    setting.action = action
    setting.is_active = is_active
    setting.updated_by = actor
    setting.save(update_fields=["action", "is_active", "updated_by", "updated_at"])
    if diff:
        library_version_bump()
        audit_record(
            actor=actor.user,
            action=ComplianceAuditAction.PATTERN_CHANGED,
            target=setting,
            data={"pattern": pattern, "changes": diff},
            request=request,
        )
    return setting


# --- Bulk add ----------------------------------------------------------------------


@dataclass(frozen=True)
class BulkLineError:
    line: int
    text: str
    reason: str


@dataclass
class BulkAddResult:
    created: list[SensitiveWord] = field(default_factory=list)
    errors: list[BulkLineError] = field(default_factory=list)


_HEADER_WORDS = {"word", "词", "敏感词", "词语"}


def bulk_lines_parse(*, content: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank line: ``word[,category[,action[,note]]]``, CSV quoting allowed.

    A first line whose first cell is a header (word, 敏感词) is skipped.
    """
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(content))
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if not rows and cells[0].strip().lower() in _HEADER_WORDS:
            continue
        rows.append((number, cells))
    return rows


def bulk_content_decode(*, data: bytes) -> str:
    """An uploaded CSV's text: UTF-8 (with or without BOM) or GB18030, as Excel in China saves it."""
    if len(data) > BULK_MAX_BYTES:
        raise ApplicationError(
            _("The file is larger than %(size)d KB.") % {"size": BULK_MAX_BYTES // 1024}, extra={"field": "file"}
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ApplicationError(_("The file is neither UTF-8 nor GB18030 text."), extra={"field": "file"})


def bulk_errors_message(count: int) -> str:
    return ngettext(
        "%(count)d line cannot be added; nothing was added.",
        "%(count)d lines cannot be added; nothing was added.",
        count,
    ) % {"count": count}


@transaction.atomic
def sensitive_words_bulk_add(
    *,
    content: str,
    default_category: str,
    default_action: str,
    actor: Staff,
    request: HttpRequest | None = None,
) -> BulkAddResult:
    """Add every line of ``content`` or none: any bad line is reported with its reason and nothing is written."""
    if len(content) > BULK_MAX_BYTES:
        raise ApplicationError(_("Too much text for one bulk add."), extra={"field": "content"})
    try:
        rows = bulk_lines_parse(content=content)
    except csv.Error as error:
        raise ApplicationError(_("The text is not valid CSV: %(reason)s") % {"reason": error}) from error
    if not rows:
        raise ApplicationError(_("There are no words to add."), extra={"field": "content"})
    if len(rows) > BULK_MAX_LINES:
        raise ApplicationError(
            _("At most %(count)d lines at a time.") % {"count": BULK_MAX_LINES}, extra={"field": "content"}
        )
    result = BulkAddResult()
    valid: list[tuple[int, _WordFields]] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        line_text = ",".join(cells)[:120]
        if len(cells) > 4:
            result.errors.append(
                BulkLineError(number, line_text, _("At most four columns: word, category, action, note."))
            )
            continue
        word, category, action, note = [*cells, "", "", ""][:4]
        try:
            fields = _word_validate(
                word=word,
                category=category.strip() or default_category,
                action=action.strip() or default_action,
                note=note,
            )
        except ApplicationError as error:
            result.errors.append(BulkLineError(number, line_text, error.message))
            continue
        if fields.normalised in seen:
            result.errors.append(
                BulkLineError(
                    number, line_text, _("The same word as line %(line)d.") % {"line": seen[fields.normalised]}
                )
            )
            continue
        seen[fields.normalised] = number
        valid.append((number, fields))
    existing = dict(SensitiveWord.objects.filter(normalised__in=list(seen)).values_list("normalised", "word"))
    for number, fields in valid:
        if fields.normalised in existing:
            result.errors.append(
                BulkLineError(number, fields.word, _duplicate_error(existing[fields.normalised]).message)
            )
    if result.errors:
        result.errors.sort(key=lambda error: error.line)
        return result
    result.created = SensitiveWord.objects.bulk_create(
        [
            SensitiveWord(
                word=fields.word,
                normalised=fields.normalised,
                category=fields.category,
                action=fields.action,
                note=fields.note,
                created_by=actor,
            )
            for _number, fields in valid
        ]
    )
    library_version_bump()
    audit_record(
        actor=actor.user,
        action=ComplianceAuditAction.WORDS_BULK_ADDED,
        target_type="risk.sensitiveword",
        data={
            "count": len(result.created),
            "words": [[entry.pk, entry.word, entry.category, entry.action] for entry in result.created],
        },
        request=request,
    )
    return result
