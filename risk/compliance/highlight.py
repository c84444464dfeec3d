"""A checked text cut into pieces for showing its hits in place (overlapping hits share a piece)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from risk.compliance.matcher import ContentHit
from risk.compliance.models import ContentAction, ContentCategory, PiiPattern


@dataclass(frozen=True)
class HitRow:
    """A hit as the page lists it, with its labels in the reader's language."""

    matched: str
    entry: str
    category: str
    action: str
    start: int
    end: int


def hit_row(hit: ContentHit) -> HitRow:
    entry = str(PiiPattern(hit.entry.term).label) if hit.entry.kind == "pattern" else hit.entry.term
    return HitRow(
        matched=hit.matched,
        entry=entry,
        category=str(ContentCategory(hit.category).label),
        action=str(ContentAction(hit.action).label),
        start=hit.start,
        end=hit.end,
    )


@dataclass(frozen=True)
class TextPiece:
    text: str
    hits: tuple[ContentHit, ...]

    @property
    def blocks(self) -> bool:
        return any(hit.action == ContentAction.BLOCK for hit in self.hits)

    @property
    def title(self) -> str:
        rows = [hit_row(hit) for hit in self.hits]
        return "; ".join(f"{row.entry} · {row.category} · {row.action}" for row in rows)


def text_pieces(text: str, hits: list[ContentHit]) -> list[TextPiece]:
    """``text`` cut at every hit's start and end; each piece carries the hits that cover it."""
    cuts = sorted({0, len(text), *(hit.start for hit in hits), *(hit.end for hit in hits)})
    pieces = []
    for start, end in itertools.pairwise(cuts):
        covering = tuple(hit for hit in hits if hit.start <= start and end <= hit.end)
        pieces.append(TextPiece(text[start:end], covering))
    return pieces
