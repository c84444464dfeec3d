"""How a text is folded before matching, so that disguised words still match.

Folding is one character to one character, so that every position of the folded text is
the same position of the original:

* NFKC of each character where it gives one character (full-width ``ＡＢＣ１２３`` → ``abc123``),
* lower case,
* traditional to simplified Chinese, from OpenCC's character table (``穩賺不賠`` → ``稳赚不赔``).

Then *compacting* drops every separator — spaces, punctuation, symbols, control and format
characters — so that ``保 本``, ``保*本`` and ``保。本`` read ``保本``; a
:class:`CompactText` remembers where each kept character stood in the original.

Both tables are built once per process (about 0.2 s) and applied with ``str.translate``.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from functools import cache
from pathlib import Path

# Unicode general categories whose characters are dropped between the characters of a word.
_SEPARATOR_CATEGORIES = ("P", "S", "Z", "Cc", "Cf")
# Beyond the Basic Multilingual Plane, the separators people type are emoji and pictographs
# (and tag characters). Kept to these ranges so that the BMP class stays a bitmap: a class
# that reaches past U+FFFF is matched by scanning its ranges, ten times slower.
_ASTRAL_SEPARATORS = "\U0001f000-\U0001fbff\U000e0000-\U000e007f"
# Every astral character may fold (mathematical letters, compatibility ideographs): rare
# enough that a run of them simply goes through the table.
_ASTRAL = "\U00010000-\U0010ffff"
_LAST_CODE_POINT = 0x3FFFF
# Past this many runs of foldable characters, one translation of the whole text is quicker.
_RUNS_BEFORE_WHOLE_TRANSLATION = 24


def _opencc_dictionary(name: str) -> Path:
    import opencc  # opencc-python-reimplemented ships OpenCC's dictionaries as text files

    return Path(opencc.__file__).with_name("dictionary") / name


def _traditional_to_simplified() -> dict[str, str]:
    """OpenCC's TSCharacters: each traditional character and its first simplified reading."""
    table: dict[str, str] = {}
    for line in _opencc_dictionary("TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source != target:
            table[source] = target
    return table


def _fold_one(character: str, simplified: dict[str, str]) -> str:
    folded = unicodedata.normalize("NFKC", character)
    if len(folded) != 1:
        # A ligature or a squared word (ﬁ, ㍿) would change the length; it stays as written.
        folded = character
    lowered = folded.lower()
    if len(lowered) == 1:
        folded = lowered
    return simplified.get(folded, folded)


def _is_separator(character: str) -> bool:
    return unicodedata.category(character).startswith(_SEPARATOR_CATEGORIES)


def _character_class(code_points: list[int]) -> str:
    """The body of a regex character class holding exactly ``code_points`` (sorted), as ranges."""
    ranges: list[tuple[int, int]] = []
    for code_point in code_points:
        if ranges and ranges[-1][1] == code_point - 1:
            ranges[-1] = (ranges[-1][0], code_point)
        else:
            ranges.append((code_point, code_point))
    return "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges
    )


def _bmp() -> range:
    return range(0x10000)


def _is_surrogate(code_point: int) -> bool:
    return 0xD800 <= code_point <= 0xDFFF


@cache
def fold_table() -> dict[int, str]:
    """``str.translate`` table: code point → its folded single character (only those that change)."""
    simplified = _traditional_to_simplified()
    table: dict[int, str] = {}
    for code_point in range(_LAST_CODE_POINT + 1):
        if _is_surrogate(code_point):
            continue
        character = chr(code_point)
        if _is_separator(character):
            # Dropped between the characters of a word anyway; left as written for the patterns.
            continue
        folded = _fold_one(character, simplified)
        if folded != character:
            table[code_point] = folded
    return table


@cache
def _foldable_runs() -> re.Pattern[str]:
    """Runs of characters that ``str.lower`` leaves for the table to fold."""
    table = fold_table()
    code_points = [
        code_point for code_point in _bmp() if code_point in table and chr(code_point).lower() != table[code_point]
    ]
    return re.compile(f"(?:[{_character_class(code_points)}]|[{_ASTRAL}])+")


@cache
def separator_runs() -> re.Pattern[str]:
    """Runs of separators: spaces, punctuation, symbols, control and format characters, emoji."""
    code_points = [cp for cp in _bmp() if not _is_surrogate(cp) and _is_separator(chr(cp))]
    return re.compile(f"(?:[{_character_class(code_points)}]|[{_ASTRAL_SEPARATORS}])+")


def normalise_warm() -> None:
    """Build the tables now (a worker's start), not on the first check."""
    _foldable_runs()
    separator_runs()


def _translate_run(run: re.Match[str]) -> str:
    return run.group().translate(fold_table())


def text_fold(text: str) -> str:
    """``text`` with each character folded; same length, same positions."""
    lowered = text.lower()
    if len(lowered) != len(text):
        # A character whose lower case is longer (İ): fold one character at a time instead.
        return text.translate(fold_table())
    # Most texts are simplified Chinese with ASCII: nothing left to fold, nothing translated.
    # A text with many runs to fold (traditional Chinese throughout) is cheaper translated whole.
    folded, runs = _foldable_runs().subn(_translate_run, lowered, count=_RUNS_BEFORE_WHOLE_TRANSLATION)
    if runs == _RUNS_BEFORE_WHOLE_TRANSLATION:
        return lowered.translate(fold_table())
    return folded


class CompactText:
    """A folded text without its separators, and the way back to original positions.

    The positions are worked out only when asked for (a text with a hit): most texts have none.
    """

    __slots__ = ("_folded", "_removed_through", "_run_starts", "text")

    def __init__(self, folded: str) -> None:
        self._folded = folded
        self.text = separator_runs().sub("", folded)
        self._run_starts: list[int] | None = None
        self._removed_through: list[int] = []

    def _runs(self) -> list[int]:
        # For each run of removed separators: the compact index it preceded, and how many
        # original characters had been removed up to and including it.
        if self._run_starts is None:
            starts: list[int] = []
            removed = 0
            for run in separator_runs().finditer(self._folded):
                start, end = run.span()
                starts.append(start - removed)
                removed += end - start
                self._removed_through.append(removed)
            self._run_starts = starts
        return self._run_starts

    def original_index(self, compact_index: int) -> int:
        """The position in the original text of the compact character at ``compact_index``."""
        if len(self.text) == len(self._folded):
            return compact_index
        run = bisect.bisect_right(self._runs(), compact_index) - 1
        return compact_index + (self._removed_through[run] if run >= 0 else 0)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of compact characters ``start`` to ``end`` (exclusive), separators inside included."""
        return self.original_index(start), self.original_index(end - 1) + 1


def text_compact(folded: str) -> CompactText:
    """Drop the separators of a folded text, remembering where the kept characters stood."""
    return CompactText(folded)


def term_normalise(term: str) -> str:
    """The form a library word is stored and matched in: folded, without separators."""
    return text_compact(text_fold(term)).text
