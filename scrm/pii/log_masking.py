"""Logs never carry a full phone or ID number: a filter on every handler masks them.

It sits in ``scrm.pii`` (not ``scrm.core``) because it uses the patterns that recognise
personal information, and the two are independent layers.
"""

import logging
import re

from scrm.pii.masking import mask_id_number
from scrm.pii.phones import ID_NUMBER_IN_TEXT, MAINLAND_MOBILE_LOOSE_IN_TEXT


def _id_number(match: re.Match[str]) -> str:
    return mask_id_number(match.group(0))


def _mobile(match: re.Match[str]) -> str:
    return f"{match.group(1)}****{match.group(3)}"


def pii_mask_text(text: str) -> str:
    """``13800138000`` → ``138****8000``; ``110101199003071234`` → ``110101********1234``."""
    return MAINLAND_MOBILE_LOOSE_IN_TEXT.sub(_mobile, ID_NUMBER_IN_TEXT.sub(_id_number, text))


class PiiMaskingFilter(logging.Filter):
    """Masks the record's formatted message (arguments included) and its traceback text.

    The record is rewritten in place (``msg`` becomes the masked message, ``args`` empty),
    so every handler after this one sees the masked record too; masking twice is harmless.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        masked = pii_mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = pii_mask_text(record.exc_text)
        return True
