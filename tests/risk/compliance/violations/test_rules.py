"""Each violation rule fires on its example and not on its near-misses (pure functions, no database)."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from risk.compliance.matcher import ContentHit, library_compile
from risk.compliance.models import ContentAction, ContentCategory
from risk.compliance.violations.models import Rule
from risk.compliance.violations.rules import MessageFacts, RuleSettings, rules_evaluate

LIBRARY = library_compile(
    token="t",
    version=7,
    words=[
        (1, "保本", "保本", ContentCategory.PROMISED_RETURN, ContentAction.BLOCK),
        (2, "稳赚不赔", "稳赚不赔", ContentCategory.PROMISED_RETURN, ContentAction.BLOCK),
        (3, "私下转账", "私下转账", ContentCategory.OFF_BOOK_SALE, ContentAction.BLOCK),
        (4, "蠢货", "蠢货", ContentCategory.ABUSE, ContentAction.REVIEW),
        (5, "某某银行", "某某银行", ContentCategory.COMPETITOR, ContentAction.REVIEW),
        (6, "稳赚", "稳赚", ContentCategory.PROMISED_RETURN, ContentAction.REVIEW),
    ],
    patterns=[("mobile", "review"), ("id_number", "review"), ("bank_card", "review")],
)
CONFIG = RuleSettings(
    severities={
        "promised_return": "high",
        "off_book_sale": "high",
        "staff_pii": "high",
        "abuse": "medium",
        "customer_complaint": "medium",
        "after_hours": "low",
    },
    working_weekdays=frozenset({1, 2, 3, 4, 5}),
    working_start=time(8, 0),
    working_end=time(21, 0),
    complaint_words=("投诉", "举报"),
    timezone=ZoneInfo("Asia/Shanghai"),
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Tuesday 1 December 2026, 10:00 in Shanghai.
TUESDAY_MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def rules_on(text: str, *, sender: str = "staff", at: datetime = TUESDAY_MORNING) -> dict[str, object]:
    hits: list[ContentHit] = LIBRARY.check(text)
    return {hit.rule.value: hit for hit in rules_evaluate(MessageFacts(text, sender, at), hits, CONFIG)}


def test_a_promised_return_by_staff_is_a_high_severity_violation_at_the_words_place() -> None:
    found = rules_on("这款产品保本，放心买")

    hit = found["promised_return"]
    assert (hit.severity, hit.entry, hit.word_id, hit.start, hit.end) == ("high", "保本", 1, 4, 6)
    assert list(found) == ["promised_return"]


def test_a_disguised_promised_return_still_fires_with_its_original_span() -> None:
    hit = rules_on("稳 赚*不 赔的")["promised_return"]

    assert (hit.start, hit.end) == (0, 7)


def test_a_customer_asking_about_a_guarantee_is_no_promised_return() -> None:
    assert rules_on("这个保本吗？", sender="customer") == {}


def test_a_text_without_a_library_word_fires_nothing() -> None:
    assert rules_on("本产品不承诺收益，过往业绩不代表未来表现") == {}


def test_an_off_book_sale_phrase_by_staff_fires_and_another_category_does_not() -> None:
    assert list(rules_on("我们私下转账就行")) == ["off_book_sale"]
    assert rules_on("某某银行的利率更低") == {}


def test_several_hits_of_one_rule_are_one_violation_that_counts_them() -> None:
    hit = rules_on("保本，真的保本")["promised_return"]

    assert (hit.start, hit.hit_count) == (0, 2)


def test_a_phone_number_sent_by_staff_is_personal_information() -> None:
    hit = rules_on("客户电话 13800138000 请回电")["staff_pii"]

    assert (hit.severity, hit.entry, hit.start, hit.end) == ("high", "mobile", 5, 16)


@pytest.mark.parametrize(
    ("text", "entry"), [("身份证 11010519491231002X", "id_number"), ("卡号 6222021234567890128", "bank_card")]
)
def test_an_id_or_card_number_sent_by_staff_is_personal_information(text: str, entry: str) -> None:
    assert rules_on(text)["staff_pii"].entry == entry


def test_a_phone_number_sent_by_the_customer_is_not_staff_pii() -> None:
    assert rules_on("我的电话是13800138000", sender="customer") == {}


def test_digits_that_are_no_valid_number_are_not_personal_information() -> None:
    # Eleven digits but no mobile prefix; a card number that fails its Luhn check.
    assert rules_on("订单号 10000138000，卡 6222021234567890127") == {}


def test_an_insult_by_staff_is_a_medium_severity_violation() -> None:
    assert rules_on("你这个蠢货")["abuse"].severity == "medium"


def test_a_complaint_word_from_the_customer_fires_with_its_place() -> None:
    hit = rules_on("我要投 诉你们", sender="customer")["customer_complaint"]

    assert (hit.entry, hit.start, hit.end, hit.severity) == ("投诉", 2, 5, "medium")


def test_the_word_complaint_written_by_staff_is_not_a_customer_complaint() -> None:
    assert rules_on("如有问题可拨打投诉电话") == {}


def test_each_configured_complaint_word_fires() -> None:
    assert rules_on("我去举报", sender="customer")["customer_complaint"].entry == "举报"


@pytest.mark.parametrize(
    ("local", "fires"),
    [
        (datetime(2026, 12, 1, 18, 59, tzinfo=SHANGHAI), False),
        (datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI), False),
        (datetime(2026, 12, 1, 20, 59, tzinfo=SHANGHAI), False),
        (datetime(2026, 12, 1, 21, 0, tzinfo=SHANGHAI), True),
        (datetime(2026, 12, 1, 22, 30, tzinfo=SHANGHAI), True),
        (datetime(2026, 12, 1, 7, 59, tzinfo=SHANGHAI), True),
        # Saturday 10:00: not a working day in this configuration.
        (datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI), True),
    ],
)
def test_a_staff_message_outside_working_hours_is_after_hours_contact(local: datetime, fires: bool) -> None:
    assert ("after_hours" in rules_on("在吗", at=local)) is fires


def test_working_hours_are_read_in_local_time_not_utc() -> None:
    # 14:30 UTC is 22:30 in Shanghai.
    assert "after_hours" in rules_on("在吗", at=datetime(2026, 12, 1, 14, 30, tzinfo=UTC))


def test_an_after_hours_hit_names_the_local_weekday_and_time() -> None:
    assert rules_on("在吗", at=datetime(2026, 12, 1, 14, 30, tzinfo=UTC))["after_hours"].entry == "周二 22:30"


def test_a_customer_writing_late_at_night_is_no_violation_of_the_rm() -> None:
    assert rules_on("在吗", sender="customer", at=datetime(2026, 12, 1, 23, 0, tzinfo=SHANGHAI)) == {}


def test_severities_follow_the_configuration() -> None:
    config = RuleSettings(**{**CONFIG.__dict__, "severities": {**CONFIG.severities, "abuse": "high"}})
    hits = LIBRARY.check("蠢货")

    assert rules_evaluate(MessageFacts("蠢货", "staff", TUESDAY_MORNING), hits, config)[0].severity == "high"


def test_one_message_may_break_several_rules_once_each() -> None:
    found = rules_on("保本，电话13800138000", at=datetime(2026, 12, 1, 23, 0, tzinfo=SHANGHAI))

    assert set(found) == {Rule.PROMISED_RETURN, Rule.STAFF_PII, Rule.AFTER_HOURS}


def test_of_two_entries_at_one_place_the_longer_is_the_violations_hit() -> None:
    hit = rules_on("这个稳赚不赔")["promised_return"]

    assert (hit.entry, hit.start, hit.end) == ("稳赚不赔", 2, 6)
