"""The one compliance matcher: ``content_check(text)`` lists every hit of the library in a text.

Pages, the pre-send check and the chat-archive scan all call it. Words are found with an
Aho–Corasick automaton (``ahocorasick_rs``) over the normalised text (``risk.compliance.normalise``), the
built-in personal-information patterns with regular expressions over the folded text;
every hit is reported in positions of the original text.

The compiled library is kept per process for the library version it was built from. A
process asks the database for the current version at most once a second
(``COMPLIANCE_LIBRARY_CHECK_SECONDS``) and at once after a change it made itself; a new
version is loaded from the cache (Redis), where the first process to compile it put it,
or compiled from the database.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import ahocorasick_rs
from django.conf import settings
from django.core.cache import cache

from risk.compliance import selectors
from risk.compliance.models import ContentAction, ContentCategory
from risk.compliance.normalise import text_compact, text_fold
from risk.compliance.patterns import digit_runs, pattern_spans

logger = logging.getLogger(__name__)

EntryKind = Literal["word", "pattern"]
_CACHE_KEY = "compliance:library:{token}"
# A compiled library is looked up by its token only, which never comes again: it may stay a day.
_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """What a hit was found by: a word of the library, or a built-in pattern."""

    kind: EntryKind
    # The word as entered, or the pattern's name (``mobile``, ``id_number``, ``bank_card``).
    term: str
    category: str
    action: str
    # The SensitiveWord's id for a word; None for a pattern.
    word_id: int | None = None


@dataclass(frozen=True, slots=True)
class ContentHit:
    """One place in a text where an entry of the library matched.

    ``start`` and ``end`` index the original text (``text[start:end] == matched``), with
    any separators the writer put between the characters included.
    """

    category: str
    action: str
    start: int
    end: int
    matched: str
    entry: LibraryEntry

    @property
    def blocks(self) -> bool:
        return self.action == ContentAction.BLOCK


class CompiledLibrary:
    """The library of one version, ready to scan texts.

    Picklable, to be shared through the cache: the pickle holds the entries and their
    normalised forms, and the automaton is rebuilt on loading (about 15 ms for 10,000
    words), which spares the other processes the database read and the normalisation.
    """

    __slots__ = ("_automaton", "normalised", "patterns", "token", "version", "words")

    def __init__(
        self,
        *,
        token: str,
        version: int,
        words: tuple[LibraryEntry, ...],
        normalised: tuple[str, ...],
        patterns: tuple[LibraryEntry, ...],
    ) -> None:
        self.token = token
        self.version = version
        self.words = words
        self.normalised = normalised
        self.patterns = patterns
        # Standard match semantics with overlapping search: every entry's every occurrence.
        self._automaton = ahocorasick_rs.AhoCorasick(normalised, matchkind=ahocorasick_rs.MatchKind.Standard)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_library_rebuilt, (self.token, self.version, self.words, self.normalised, self.patterns))

    def check(self, text: str) -> list[ContentHit]:
        """Every hit in ``text``, ordered by position; overlapping hits of different entries all count."""
        if not text:
            return []
        folded = text_fold(text)
        hits: list[ContentHit] = []
        if self.words:
            compact = text_compact(folded)
            for index, compact_start, compact_end in self._automaton.find_matches_as_indexes(
                compact.text, overlapping=True
            ):
                start, end = compact.original_span(compact_start, compact_end)
                entry = self.words[index]
                hits.append(ContentHit(entry.category, entry.action, start, end, text[start:end], entry))
        runs = digit_runs(folded) if self.patterns else []
        for entry in self.patterns if runs else ():
            for start, end in pattern_spans(entry.term, folded, runs):
                hits.append(ContentHit(entry.category, entry.action, start, end, text[start:end], entry))
        hits.sort(key=lambda hit: (hit.start, hit.end))
        return hits


def _library_rebuilt(
    token: str,
    version: int,
    words: tuple[LibraryEntry, ...],
    normalised: tuple[str, ...],
    patterns: tuple[LibraryEntry, ...],
) -> CompiledLibrary:
    return CompiledLibrary(token=token, version=version, words=words, normalised=normalised, patterns=patterns)


def library_compile(
    *,
    token: str,
    version: int,
    words: list[tuple[int, str, str, str, str]],
    patterns: list[tuple[str, str]],
) -> CompiledLibrary:
    """Build the automaton for ``words`` (id, word, normalised, category, action) and ``patterns`` (name, action)."""
    entries = tuple(
        LibraryEntry(kind="word", term=word, category=category, action=action, word_id=word_id)
        for word_id, word, _normalised, category, action in words
    )
    compiled_patterns = tuple(
        LibraryEntry(kind="pattern", term=name, category=ContentCategory.PERSONAL_INFORMATION, action=action)
        for name, action in patterns
    )
    return CompiledLibrary(
        token=token,
        version=version,
        words=entries,
        normalised=tuple(normalised for _id, _word, normalised, _category, _action in words),
        patterns=compiled_patterns,
    )


def _library_from_database(token: str, version: int) -> CompiledLibrary:
    patterns = [(state.pattern, state.action) for state in selectors.pii_patterns_list() if state.is_active]
    return library_compile(token=token, version=version, words=selectors.library_active_words(), patterns=patterns)


def _library_load(token: str, version: int) -> CompiledLibrary:
    key = _CACHE_KEY.format(token=token)
    try:
        cached = cache.get(key)
    except Exception:  # Redis away: compiling here is slower, never wrong.
        logger.warning("compliance library cache unavailable; compiling", exc_info=True)
        cached = None
    if isinstance(cached, CompiledLibrary) and cached.token == token:
        return cached
    library = _library_from_database(token, version)
    try:
        cache.set(key, library, _CACHE_SECONDS)
    except Exception:
        logger.warning("compliance library cache unavailable; not shared", exc_info=True)
    return library


class _ProcessLibrary:
    """This process's compiled library and when it last asked for the current version."""

    def __init__(self) -> None:
        self.library: CompiledLibrary | None = None
        self.checked_at = 0.0
        self.stale = True
        self.lock = threading.Lock()


_process = _ProcessLibrary()


def library_current() -> CompiledLibrary:
    """The compiled library of the current version (at most a second old, or this process's own change)."""
    library = _process.library
    interval = float(getattr(settings, "COMPLIANCE_LIBRARY_CHECK_SECONDS", 1.0))
    if library is not None and not _process.stale and time.monotonic() - _process.checked_at < interval:
        return library
    with _process.lock:
        # The version is read before the words: a change committed in between makes the words
        # newer than the version they are filed under, and the next check recompiles.
        token, version = selectors.library_version_current()
        _process.stale = False
        _process.checked_at = time.monotonic()
        if _process.library is None or _process.library.token != token:
            _process.library = _library_load(token, version)
        return _process.library


def library_mark_stale() -> None:
    """Make the next check read the version now: this process has just changed the library."""
    _process.stale = True


def library_forget() -> None:
    """Drop this process's compiled library (tests; a worker that wants a clean start)."""
    _process.library = None
    _process.stale = True


def content_check(text: str) -> list[ContentHit]:
    """Every hit of the current library in ``text``: words, phrases and personal information."""
    return library_current().check(text)
