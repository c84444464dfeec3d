"""Mainland mobile numbers (中国大陆手机号): the one pattern every app recognises them by."""

import re

# 11 digits, a 1 then 3–9: the prefixes mainland carriers hand out.
MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
# A mainland mobile number inside free text (an RM's remark, say), not part of a longer run of digits.
MAINLAND_MOBILE_IN_TEXT = re.compile(rf"(?<!\d)({MAINLAND_MOBILE.pattern})(?!\d)")
# An 18-digit resident ID number (居民身份证号): 17 digits and a check digit or X, inside text.
ID_NUMBER_IN_TEXT = re.compile(r"(?<![\dXx])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dXx])")
# A mobile number as it reaches a log line: with a +86/86 prefix, spaced or dashed, or URL-encoded
# in a query string (``%2B86+138+0013+8000``).
_SEPARATOR = r"(?:[\s+.-]|%20|%2[Bb]|%2[Dd])?"
MAINLAND_MOBILE_LOOSE_IN_TEXT = re.compile(
    rf"(?<![\dA-Za-z])(?:(?:\+|%2[Bb])?86{_SEPARATOR})?(1[3-9]\d){_SEPARATOR}(\d{{4}}){_SEPARATOR}(\d{{4}})(?!\d)"
)
