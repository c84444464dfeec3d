"""Free text refuses invisible and direction-changing characters, and keeps everything else."""

import pytest

from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain


@pytest.mark.parametrize(
    "text",
    ["客户来电核实", "Line one\nline two\ttabbed", "家庭👨\u200d👩\u200d👧", "¥ 1,000 —「保本」"],
)
def test_ordinary_text_passes_unchanged(text: str) -> None:
    assert text_require_plain(text, field="note") == text


@pytest.mark.parametrize(
    "hidden", ["\u202a", "\u202e", "\u2066", "\u2069", "\u200b", "\u200e", "\u2060", "\x00", "\x1b"]
)
def test_hidden_characters_are_named_with_the_field_and_position(hidden: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        text_require_plain(f"ab{hidden}c", field="note")

    assert f"U+{ord(hidden):04X}" in raised.value.message
    assert raised.value.extra == {"field": "note", "position": 2}
