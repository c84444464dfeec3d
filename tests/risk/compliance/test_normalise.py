"""Normalisation: disguised text reads like the plain word, and every position maps back."""

import pytest

from risk.compliance.normalise import term_normalise, text_compact, text_fold


@pytest.mark.parametrize(
    ("written", "reads"),
    [
        ("保本保息", "保本保息"),
        ("ＡＢＣ１２３", "abc123"),
        ("ETF", "etf"),
        ("穩賺不賠", "稳赚不赔"),
        ("保 本", "保本"),
        ("保*本", "保本"),
        ("保。本", "保本"),
        ("保\u3000本", "保本"),
        ("保😀本", "保本"),
        ("保\u200b本", "保本"),
        ("稳-赚_不~赔!", "稳赚不赔"),
    ],
)
def test_a_disguised_word_reads_as_the_plain_word(written: str, reads: str) -> None:
    assert term_normalise(written) == reads


def test_folding_keeps_every_position() -> None:
    text = "ＡＢ穩賺İ，ﬁ"

    folded = text_fold(text)

    assert len(folded) == len(text)
    assert folded[:4] == "ab稳赚"
    # A character that would become two (a ligature, a dotted capital I) stays as written.
    assert folded[-1] == "ﬁ"


def test_a_compact_position_maps_back_to_the_original() -> None:
    text = "您好，保 * 本。保息"
    compact = text_compact(text_fold(text))

    assert compact.text == "您好保本保息"
    assert compact.original_span(2, 4) == (3, 8)
    assert text[3:8] == "保 * 本"
    assert compact.original_index(4) == 9


def test_traditional_text_throughout_is_folded() -> None:
    text = "這款產品穩賺不賠，請您放心。" * 100

    assert text_fold(text) == "这款产品稳赚不赔，请您放心。" * 100
