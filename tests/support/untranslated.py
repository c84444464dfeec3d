"""Finding English on a page that should be Chinese, two ways.

``gettext_misses`` records every message the product asks gettext for while Chinese is
active and gets back unchanged: a string wrapped for translation that the catalogue
lacks, has untranslated, or holds under another context. ``english_words`` reads a
rendered page as its reader would (text, and the attributes a browser shows or reads
aloud) and returns the English words left in it: strings never wrapped at all.

Content marked ``translate="no"`` (the HTML attribute for text that must not be
translated: usernames, codes, JSON) and content in another language (``lang="en"``, as
the language switcher's "English") is the page's data, not its wording, and is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

from django.utils.translation import trans_real

CHINESE = "zh-hans"
_LETTERS = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
# Words a Chinese banking UI writes in Latin letters (acronyms in capitals pass anyway).
LATIN_TERMS = frozenset({"scrm", "Excel", "JavaScript", "appid", "AppID", "Ctrl", "Mac", "Enter"})
# A token that holds a path, an address, a file name, a placeholder or a number is an example
# value, not wording; so is one in capitals only (an acronym, or a code such as BJ-HD).
_TOKEN_SEPARATORS = re.compile(r"[\s，。；：、（）()“”‘’「」【】《》,;:!?！？·…]+")
_EXAMPLE_VALUE = re.compile(r"[/._@=#{}\d]")
_SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "aria-description")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_NOT_TEXT = frozenset({"script", "style", "template", "code", "pre", "textarea", "svg"})


@contextmanager
def gettext_misses() -> Iterator[list[str]]:
    """Yield a list that fills with each message Chinese gettext returned untranslated."""
    misses: list[str] = []
    gettext, ngettext = trans_real.DjangoTranslation.gettext, trans_real.DjangoTranslation.ngettext

    def recording_gettext(self: trans_real.DjangoTranslation, message: str) -> str:
        result = gettext(self, message)
        # A message may translate to itself (a product name); only one the catalogue lacks is a miss.
        if (
            result == message
            and message not in self._catalog
            and self.to_language() == CHINESE
            and _LETTERS.search(message)
        ):
            misses.append(message.replace(trans_real.CONTEXT_SEPARATOR, " | "))
        return result

    def recording_ngettext(self: trans_real.DjangoTranslation, singular: str, plural: str, number: int) -> str:
        result = ngettext(self, singular, plural, number)
        missing = (singular, 0) not in self._catalog
        if result in (singular, plural) and missing and self.to_language() == CHINESE and _LETTERS.search(singular):
            misses.append(singular.replace(trans_real.CONTEXT_SEPARATOR, " | "))
        return result

    trans_real.DjangoTranslation.gettext = recording_gettext  # type: ignore[method-assign]
    trans_real.DjangoTranslation.ngettext = recording_ngettext  # type: ignore[method-assign]
    try:
        yield misses
    finally:
        trans_real.DjangoTranslation.gettext = gettext  # type: ignore[method-assign]
        trans_real.DjangoTranslation.ngettext = ngettext  # type: ignore[method-assign]


class _ReadableText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.pieces: list[str] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        skip = (
            self.skipping
            or tag in _NOT_TEXT
            or attributes.get("translate") == "no"
            or (attributes.get("lang") or CHINESE).lower() not in (CHINESE, "zh")
        )
        if not skip:
            self.pieces.extend(value for name in _SHOWN_ATTRIBUTES if (value := attributes.get(name)))
            if tag == "input" and attributes.get("type") in {"submit", "button", "reset"} and attributes.get("value"):
                self.pieces.append(attributes["value"] or "")
        if tag not in _VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        # Tolerate unclosed elements (<li>, <p>): close back to the matching open tag.
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.pieces.append(data)


def english_words(html: str) -> list[str]:
    """The English words a reader of ``html`` sees or hears, outside data marked as such."""
    reader = _ReadableText()
    reader.feed(html)
    reader.close()
    tokens = (token for piece in reader.pieces for token in _TOKEN_SEPARATORS.split(piece))
    words = (word for token in tokens if not _EXAMPLE_VALUE.search(token) for word in _WORD.findall(token))
    return [word for word in words if word not in LATIN_TERMS and not word.isupper()]
