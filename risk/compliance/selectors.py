"""Reads of the compliance library. It is bank-wide configuration, not customer data."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from risk.compliance.models import (
    ContentAction,
    ContentCategory,
    LibraryVersion,
    PiiPattern,
    PiiPatternSetting,
    SensitiveWord,
)
from risk.compliance.normalise import term_normalise

# A library that has never been changed has no version row yet; it is this version.
NEVER_CHANGED = "never-changed"


@dataclass(frozen=True)
class PiiPatternState:
    """One built-in pattern as it applies now: its stored setting, or the default (review, on)."""

    pattern: str
    label: str
    category: str
    action: str
    is_active: bool


def sensitive_words_list(
    *, query: str = "", category: str = "", action: str = "", is_active: bool | None = None
) -> QuerySet[SensitiveWord]:
    """Words newest first; ``query`` matches the word (also in its normalised form) or the note."""
    words = SensitiveWord.objects.all()
    if category:
        words = words.filter(category=category)
    if action:
        words = words.filter(action=action)
    if is_active is not None:
        words = words.filter(is_active=is_active)
    query = query.strip()
    if query:
        condition = Q(word__icontains=query) | Q(note__icontains=query)
        normalised = term_normalise(query)
        if normalised:
            condition |= Q(normalised__contains=normalised)
        words = words.filter(condition)
    return words.order_by("-id")


def sensitive_word_get(*, word_id: int) -> SensitiveWord:
    """Raises ``SensitiveWord.DoesNotExist``."""
    return SensitiveWord.objects.get(pk=word_id)


def pii_patterns_list() -> list[PiiPatternState]:
    stored = {setting.pattern: setting for setting in PiiPatternSetting.objects.all()}
    states = []
    for pattern in PiiPattern:
        setting = stored.get(pattern.value)
        states.append(
            PiiPatternState(
                pattern=pattern.value,
                label=str(pattern.label),
                category=ContentCategory.PERSONAL_INFORMATION,
                action=setting.action if setting else ContentAction.REVIEW,
                is_active=setting.is_active if setting else True,
            )
        )
    return states


def library_version_current() -> tuple[str, int]:
    """(token, version) of the library as committed; one indexed row, cheap enough every second."""
    row = LibraryVersion.objects.filter(pk=1).values_list("token", "version").first()
    if row is None:
        return NEVER_CHANGED, 0
    return str(row[0]), row[1]


def library_active_words() -> list[tuple[int, str, str, str, str]]:
    """(id, word, normalised, category, action) of every active word, for compiling the matcher."""
    return list(
        SensitiveWord.objects.filter(is_active=True)
        .order_by("id")
        .values_list("id", "word", "normalised", "category", "action")
    )
