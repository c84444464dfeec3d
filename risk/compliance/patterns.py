"""The built-in patterns for personal information in outgoing text (个人信息).

They run over the folded text (full-width digits already ASCII, same positions as the
original) and accept the digits run together or in the groups people write them in
(138 0013 8000; 6222 0212 3456 7890). A candidate counts only if its own check holds:
an ID number's ISO 7064 MOD 11-2 character and birth date (``customers.identity``), a
card number's Luhn digit. An 18-digit run that is a valid ID number is an ID number, not
also a card.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from customers.identity import is_valid_id_number
from risk.compliance.models import PiiPattern

# A space or a dash between digit groups, half- or full-width.
_SEP = "[ \\-\u3000\uff0d]"
MOBILE_IN_TEXT = re.compile(
    rf"(?<![0-9])(?:\+?86{_SEP}?)?1[3-9][0-9](?:[0-9]{{8}}|{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}})(?![0-9])"
)
ID_NUMBER_IN_TEXT = re.compile(
    rf"(?<![0-9x])[1-9][0-9]{{5}}(?:[0-9]{{11}}|{_SEP}[0-9]{{8}}{_SEP}[0-9]{{3}})[0-9x](?![0-9x])"
)
BANK_CARD_IN_TEXT = re.compile(
    rf"(?<![0-9])(?:[0-9]{{16,19}}|[0-9]{{4}}(?:{_SEP}[0-9]{{4}}){{3}}(?:{_SEP}?[0-9]{{1,3}})?)(?![0-9])"
)

_SEPARATOR = re.compile(_SEP)


def _digits(candidate: str) -> str:
    return _SEPARATOR.sub("", candidate)


def luhn_is_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every bank card number carries in its last digit."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_id_number(candidate: str) -> bool:
    return is_valid_id_number(_digits(candidate))


def _is_bank_card(candidate: str) -> bool:
    digits = _digits(candidate)
    return luhn_is_valid(digits) and not (len(digits) == 18 and is_valid_id_number(digits))


PATTERNS: dict[str, tuple[re.Pattern[str], Callable[[str], bool] | None]] = {
    PiiPattern.MOBILE: (MOBILE_IN_TEXT, None),
    PiiPattern.ID_NUMBER: (ID_NUMBER_IN_TEXT, _is_id_number),
    PiiPattern.BANK_CARD: (BANK_CARD_IN_TEXT, _is_bank_card),
}


# A run of digits as a number is written, with single spaces or dashes between groups: the only
# places a pattern can match. Found first with one quick scan, so that a text without such a
# run costs the three patterns nothing.
_DIGIT_RUN = re.compile(f"[0-9](?:{_SEP}?[0-9x])+")
# The shortest value any pattern accepts: an 11-digit mobile number.
_SHORTEST = 11


def digit_runs(folded: str) -> list[tuple[int, int]]:
    """Where the patterns may match in ``folded``: each (start, end) of a long enough run of digits."""
    return [run.span() for run in _DIGIT_RUN.finditer(folded) if run.end() - run.start() >= _SHORTEST]


def pattern_spans(pattern: str, folded: str, runs: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """Each (start, end) in ``folded`` where the built-in ``pattern`` finds a valid value.

    ``runs`` are ``digit_runs(folded)``, worked out once for all patterns of a check.
    """
    regex, valid = PATTERNS[pattern]
    for start, end in digit_runs(folded) if runs is None else runs:
        # One character before the run for a mobile number's "+"; lookbehinds still see the text before.
        for found in regex.finditer(folded, max(0, start - 1), end):
            if valid is None or valid(found.group()):
                yield found.span()
