"""Free text a person types: no invisible or direction-changing characters.

Bidi overrides (U+202A–202E, U+2066–2069) can make an audit row or a name read
differently from what it stores (Trojan Source); zero-width and control characters
hide text. They are refused where text is written, with the character named. The
zero-width joiner (U+200D) stays allowed: emoji sequences need it.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from scrm.core.exceptions import ApplicationError

HIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def text_require_plain(value: str, *, field: str) -> str:
    """``value`` unchanged, or an ApplicationError naming the first hidden character and the field."""
    hidden = HIDDEN_CHARACTERS.search(value)
    if hidden is not None:
        raise ApplicationError(
            _("The text contains an invisible or direction-changing character (U+%(code)s); remove it.")
            % {"code": f"{ord(hidden.group()):04X}"},
            extra={"field": field, "position": hidden.start()},
        )
    return value
