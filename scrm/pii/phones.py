"""Mainland mobile numbers (中国大陆手机号): the one pattern every app recognises them by."""

import re

# 11 digits, a 1 then 3–9: the prefixes mainland carriers hand out.
MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
# A mainland mobile number inside free text (an RM's remark, say), not part of a longer run of digits.
MAINLAND_MOBILE_IN_TEXT = re.compile(rf"(?<!\d)({MAINLAND_MOBILE.pattern})(?!\d)")
