"""Personal information in archived text, masked where the built-in patterns find it (phone, ID and card numbers).

The positions come from the matcher's own patterns (``risk.compliance.patterns``), all
three always: a pattern switched off in the library stops flagging numbers, never
stops masking them. Masks are those of ``scrm.pii``; the length of the text does not
change, so hit positions still hold in the masked text.
"""

from __future__ import annotations

from risk.compliance.models import PiiPattern
from risk.compliance.normalise import text_fold
from risk.compliance.patterns import digit_runs, pattern_spans
from scrm.pii import mask_id_number, mask_phone


def _bank_card_masked(digits: str) -> str:
    """6222********7890: the issuer's first four digits and the last four, as banks print them."""
    if len(digits) <= 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _mobile_masked(digits: str) -> str:
    # A +86 prefix is hidden with the middle digits.
    return mask_phone(digits[-11:]).rjust(len(digits), "*")


_MASKS = {
    PiiPattern.MOBILE: _mobile_masked,
    PiiPattern.ID_NUMBER: mask_id_number,
    PiiPattern.BANK_CARD: _bank_card_masked,
}


def _is_digit(character: str) -> bool:
    return character.isdigit() or character in "xX"


def _span_masked(span: str, pattern: PiiPattern) -> str:
    """The span with its digits masked in place; separators stay where they were."""
    masked = iter(_MASKS[pattern]("".join(character for character in span if _is_digit(character))))
    return "".join(next(masked) if _is_digit(character) else character for character in span)


def text_pii_masked(text: str) -> str:
    """``text`` with every phone, ID and card number masked; the same length as ``text``."""
    if not text:
        return text
    folded = text_fold(text)
    runs = digit_runs(folded)
    if not runs:
        return text
    pieces = list(text)
    for pattern in PiiPattern:
        for start, end in pattern_spans(pattern, folded, runs):
            for offset, character in enumerate(_span_masked(text[start:end], pattern)):
                pieces[start + offset] = character
    return "".join(pieces)
