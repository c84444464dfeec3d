"""Resident identity numbers (居民身份证号码, GB 11643-1999), pure and dependency-free.

An 18-character number reads::

    RRRRRR YYYYMMDD SSS C
    region birth    seq check

``RRRRRR`` is the GB/T 2260 administrative division, ``SSS`` is odd for men and
even for women, and ``C`` is the ISO 7064 MOD 11-2 check character (``0``–``9``
or ``X``) over the first 17 digits.
"""

import datetime
import re

# 2^(17-i) mod 11 for i = 0..16: the ISO 7064 MOD 11-2 weights of the first 17 digits.
CHECK_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# The check character for each weighted sum modulo 11.
CHECK_CHARACTERS = "10X98765432"

_BODY = re.compile(r"[0-9]{17}")
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def id_number_check_digit(first17: str) -> str:
    """The check character that completes the given 17 digits."""
    if not _BODY.fullmatch(first17):
        raise ValueError("an ID number's body is exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, CHECK_WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_number_birth_date(value: str) -> datetime.date:
    """The birth date encoded in an 18-character ID number; ValueError when it is no date."""
    return datetime.datetime.strptime(value[6:14], "%Y%m%d").date()


def id_number_is_male(value: str) -> bool:
    return int(value[16]) % 2 == 1


def is_valid_id_number(value: str) -> bool:
    """Shape, a real birth date no later than today, and the check character all agree."""
    value = value.upper()
    if not _SHAPE.fullmatch(value):
        return False
    try:
        born = id_number_birth_date(value)
    except ValueError:
        return False
    return born <= datetime.date.today() and id_number_check_digit(value[:17]) == value[17]
