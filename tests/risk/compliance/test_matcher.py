"""content_check: every hit of the library in a text, in positions of the original text."""

import pickle

import pytest
from django.core.cache import cache

from customers.identity import id_number_check_digit
from risk.compliance import matcher
from risk.compliance.matcher import CompiledLibrary, ContentHit, content_check, library_compile
from risk.compliance.models import ContentAction, ContentCategory, PiiPattern
from risk.compliance.normalise import term_normalise
from risk.compliance.patterns import luhn_is_valid
from risk.compliance.services import pii_pattern_update, sensitive_word_create, sensitive_word_set_active
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World

ID_NUMBER = "110101199003076632"
PHONE = "13800138000"


def _luhn_complete(body: str) -> str:
    return next(body + digit for digit in "0123456789" if luhn_is_valid(body + digit))


BANK_CARD = _luhn_complete("622202123456789012")


def _library(*words: tuple[str, str, str], patterns: bool = False) -> CompiledLibrary:
    return library_compile(
        token="t",
        version=1,
        words=[
            (index, word, term_normalise(word), category, action)
            for index, (word, category, action) in enumerate(words, start=1)
        ],
        patterns=[(pattern.value, ContentAction.REVIEW) for pattern in PiiPattern] if patterns else [],
    )


PROMISE = ("保本保息", ContentCategory.PROMISED_RETURN, ContentAction.BLOCK)
SURE_WIN = ("稳赚不赔", ContentCategory.PROMISED_RETURN, ContentAction.BLOCK)
COMPETITOR = ("某某银行", ContentCategory.COMPETITOR, ContentAction.REVIEW)


def _spans(hits: list[ContentHit]) -> list[tuple[str, int, int, str]]:
    return [(hit.entry.term, hit.start, hit.end, hit.matched) for hit in hits]


def test_a_plain_word_is_found_where_it_stands() -> None:
    text = "这款产品保本保息，欢迎咨询。"

    [hit] = _library(PROMISE, SURE_WIN).check(text)

    assert (hit.category, hit.action, hit.start, hit.end, hit.matched) == (
        ContentCategory.PROMISED_RETURN,
        ContentAction.BLOCK,
        4,
        8,
        "保本保息",
    )
    assert hit.entry.kind == "word"
    assert hit.entry.word_id == 1
    assert hit.blocks


@pytest.mark.parametrize(
    "disguised",
    ["保 本 保 息", "保*本*保*息", "保。本。保。息", "保，本……保息", "保\u200b本保息", "保😀本保息"],
)
def test_a_disguised_word_is_found_with_the_characters_between(disguised: str) -> None:
    text = f"您好！{disguised}哦"

    [hit] = _library(PROMISE).check(text)

    assert hit.matched == disguised
    assert text[hit.start : hit.end] == disguised


def test_traditional_full_width_and_upper_case_writing_still_match() -> None:
    library = _library(SURE_WIN, ("ETF基金", ContentCategory.CUSTOM, ContentAction.REVIEW))

    hits = library.check("穩賺不賠的ｅｔｆ基金")

    assert _spans(hits) == [("稳赚不赔", 0, 4, "穩賺不賠"), ("ETF基金", 5, 10, "ｅｔｆ基金")]


def test_overlapping_entries_each_report_their_hit_and_repeats_count() -> None:
    library = _library(PROMISE, ("保本", ContentCategory.CUSTOM, ContentAction.REVIEW))

    hits = library.check("保本保息，保本")

    assert _spans(hits) == [("保本", 0, 2, "保本"), ("保本保息", 0, 4, "保本保息"), ("保本", 5, 7, "保本")]


def test_a_clean_text_and_an_empty_library_have_no_hits() -> None:
    assert _library(PROMISE).check("理财非存款，产品有风险，投资须谨慎。") == []
    assert _library().check("保本保息") == []
    assert _library(PROMISE).check("") == []


def test_personal_information_is_found_by_its_own_checks() -> None:
    library = _library(patterns=True)
    text = f"电话{PHONE}，身份证{ID_NUMBER}，卡号{BANK_CARD}。"

    hits = library.check(text)

    assert [(hit.entry.term, hit.matched) for hit in hits] == [
        (PiiPattern.MOBILE, PHONE),
        (PiiPattern.ID_NUMBER, ID_NUMBER),
        (PiiPattern.BANK_CARD, BANK_CARD),
    ]
    assert {hit.category for hit in hits} == {ContentCategory.PERSONAL_INFORMATION}
    assert {hit.action for hit in hits} == {ContentAction.REVIEW}


@pytest.mark.parametrize(
    ("text", "pattern", "matched"),
    [
        ("请打 138 0013 8000", PiiPattern.MOBILE, "138 0013 8000"),
        ("请打+86 13800138000", PiiPattern.MOBILE, "+86 13800138000"),
        ("请打１３８００１３８０００", PiiPattern.MOBILE, "１３８００１３８０００"),
        ("卡号 " + " ".join(BANK_CARD[i : i + 4] for i in range(0, 19, 4)), PiiPattern.BANK_CARD, None),
        ("证件 11010119900307663x", None, None),  # wrong check character
        ("订单 138001380001", None, None),  # twelve digits: no mobile number
        (f"卡号 {BANK_CARD[:-1]}{(int(BANK_CARD[-1]) + 1) % 10}", None, None),  # wrong Luhn digit
    ],
)
def test_the_patterns_accept_written_forms_and_refuse_near_misses(text: str, pattern: str | None, matched) -> None:
    hits = _library(patterns=True).check(text)

    if pattern is None:
        assert hits == []
    else:
        [hit] = hits
        assert hit.entry.term == pattern
        assert hit.matched == (matched or text[3:])


def test_an_id_number_is_not_also_a_card_number() -> None:
    bodies = (f"11010119900307{sequence:03d}" for sequence in range(1000))
    numbers = (body + id_number_check_digit(body) for body in bodies)
    number = next(number for number in numbers if number.isdigit() and luhn_is_valid(number))

    hits = _library(patterns=True).check(f"身份证{number}")

    assert [hit.entry.term for hit in hits] == [PiiPattern.ID_NUMBER]


def test_a_compiled_library_survives_pickling() -> None:
    library = pickle.loads(pickle.dumps(_library(PROMISE, patterns=True)))  # noqa: S301 — our own bytes

    assert _spans(library.check("保本保息")) == [("保本保息", 0, 4, "保本保息")]


# --- The library of the database -----------------------------------------------------


@pytest.mark.django_db
def test_content_check_uses_the_active_words_and_patterns(world: World) -> None:
    SensitiveWordFactory(word="稳赚不赔", category=ContentCategory.PROMISED_RETURN)
    SensitiveWordFactory(word="飞单", category=ContentCategory.OFF_BOOK_SALE, is_active=False)

    hits = content_check(f"稳赚不赔，飞单，{PHONE}")

    assert [(hit.entry.term, hit.category) for hit in hits] == [
        ("稳赚不赔", ContentCategory.PROMISED_RETURN),
        (PiiPattern.MOBILE, ContentCategory.PERSONAL_INFORMATION),
    ]


@pytest.mark.django_db
def test_a_change_is_seen_by_the_next_check_of_the_process_that_made_it(world: World) -> None:
    assert content_check("稳赚不赔") == []

    word = sensitive_word_create(word="稳赚不赔", category=ContentCategory.PROMISED_RETURN, actor=world.compliance)
    assert [hit.matched for hit in content_check("稳赚不赔")] == ["稳赚不赔"]

    sensitive_word_set_active(entry=word, active=False, actor=world.compliance)
    assert content_check("稳赚不赔") == []

    pii_pattern_update(pattern=PiiPattern.MOBILE, action=ContentAction.BLOCK, is_active=True, actor=world.hq_admin)
    [hit] = content_check(PHONE)
    assert hit.action == ContentAction.BLOCK


@pytest.mark.django_db
def test_another_process_sees_a_change_within_the_check_interval(world: World, settings) -> None:
    settings.COMPLIANCE_LIBRARY_CHECK_SECONDS = 0
    assert content_check("飞单") == []
    sensitive_word_create(word="飞单", category=ContentCategory.OFF_BOOK_SALE, actor=world.compliance)
    # Another process did not mark itself stale; it reads the version at its next check.
    matcher._process.stale = False

    assert [hit.matched for hit in content_check("飞单")] == ["飞单"]


@pytest.mark.django_db
def test_within_the_interval_the_process_keeps_its_library(world: World, settings) -> None:
    settings.COMPLIANCE_LIBRARY_CHECK_SECONDS = 3600
    assert content_check("飞单") == []
    sensitive_word_create(word="飞单", category=ContentCategory.OFF_BOOK_SALE, actor=world.compliance)
    matcher._process.stale = False

    assert content_check("飞单") == []


@pytest.mark.django_db
def test_a_new_version_is_compiled_once_and_shared_through_the_cache(world: World, monkeypatch) -> None:
    sensitive_word_create(word="稳赚不赔", category=ContentCategory.PROMISED_RETURN, actor=world.compliance)
    content_check("x")
    token = matcher._process.library.token
    assert isinstance(cache.get(f"compliance:library:{token}"), CompiledLibrary)

    matcher.library_forget()
    monkeypatch.setattr(matcher, "_library_from_database", lambda *args: pytest.fail("compiled again"))

    assert [hit.matched for hit in content_check("稳赚不赔")] == ["稳赚不赔"]
