"""The word library's writes: validated, unique once normalised, audited, and all-or-nothing in bulk."""

import pytest

from risk.audit import ComplianceAuditAction
from risk.compliance.models import ContentAction, ContentCategory, LibraryVersion, PiiPattern, SensitiveWord
from risk.compliance.selectors import library_version_current, pii_patterns_list, sensitive_words_list
from risk.compliance.services import (
    pii_pattern_update,
    sensitive_word_create,
    sensitive_word_delete,
    sensitive_word_set_active,
    sensitive_word_update,
    sensitive_words_bulk_add,
)
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_a_new_word_is_stored_normalised_audited_and_bumps_the_version(world: World) -> None:
    before = library_version_current()

    word = sensitive_word_create(
        word=" 穩賺 不賠 ", category=ContentCategory.PROMISED_RETURN, note="承诺收益", actor=world.compliance
    )

    assert (word.word, word.normalised, word.action, word.is_active) == ("穩賺 不賠", "稳赚不赔", "block", True)
    assert word.created_by == world.compliance
    event = AuditEvent.objects.get(action=ComplianceAuditAction.WORD_CHANGED, target_id=str(word.pk))
    assert event.actor_username == world.compliance.user.username
    assert event.data["operation"] == "created"
    assert event.data["changes"]["category"] == "promised_return"
    assert library_version_current() != before


@pytest.mark.parametrize(
    ("word", "field"),
    [
        ("", "word"),
        ("   ", "word"),
        ("，。！", "word"),
        ("x" * 65, "word"),
        ("保\u202e本", "word"),
    ],
)
def test_a_word_that_cannot_match_or_hides_characters_is_refused(world: World, word: str, field: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        sensitive_word_create(word=word, category=ContentCategory.CUSTOM, actor=world.hq_admin)

    assert refused.value.extra["field"] == field
    assert not SensitiveWord.objects.exists()
    assert not AuditEvent.objects.filter(action=ComplianceAuditAction.WORD_CHANGED).exists()


def test_a_word_that_reads_like_one_in_the_library_is_a_duplicate(world: World) -> None:
    sensitive_word_create(word="保本保息", category=ContentCategory.PROMISED_RETURN, actor=world.hq_admin)

    with pytest.raises(ApplicationError, match="保本保息"):
        sensitive_word_create(word="保 本 保 息", category=ContentCategory.CUSTOM, actor=world.hq_admin)

    assert SensitiveWord.objects.count() == 1


def test_unknown_category_or_action_is_refused_but_labels_are_understood(world: World) -> None:
    with pytest.raises(ApplicationError) as refused:
        sensitive_word_create(word="飞单", category="nonsense", actor=world.hq_admin)
    assert refused.value.extra["field"] == "category"

    word = sensitive_word_create(word="飞单", category="飞单", action="复核", actor=world.hq_admin)

    assert (word.category, word.action) == (ContentCategory.OFF_BOOK_SALE, ContentAction.REVIEW)


def test_an_update_records_old_and_new_values(world: World) -> None:
    word = SensitiveWordFactory(word="某某银行", category=ContentCategory.COMPETITOR)

    sensitive_word_update(entry=word, actor=world.compliance, changes={"action": ContentAction.REVIEW, "note": "同业"})

    word.refresh_from_db()
    assert (word.action, word.note, word.updated_by) == ("review", "同业", world.compliance)
    event = AuditEvent.objects.get(action=ComplianceAuditAction.WORD_CHANGED, data__operation="updated")
    assert event.data["changes"] == {"action": ["block", "review"], "note": ["", "同业"]}


def test_an_update_that_changes_nothing_writes_nothing(world: World) -> None:
    word = SensitiveWordFactory(word="某某银行")
    version = library_version_current()

    sensitive_word_update(entry=word, actor=world.compliance, changes={"word": "某某银行"})

    assert library_version_current() == version
    assert not AuditEvent.objects.filter(action=ComplianceAuditAction.WORD_CHANGED).exists()


def test_deactivating_keeps_the_word_and_reactivating_brings_it_back(world: World) -> None:
    word = SensitiveWordFactory(word="稳赚")

    sensitive_word_set_active(entry=word, active=False, actor=world.hq_admin)
    assert list(sensitive_words_list(is_active=True)) == []
    assert list(sensitive_words_list(is_active=False)) == [word]

    sensitive_word_set_active(entry=word, active=True, actor=world.hq_admin)
    assert list(sensitive_words_list(is_active=True)) == [word]
    changes = [
        event.data["changes"]["is_active"]
        for event in AuditEvent.objects.filter(action=ComplianceAuditAction.WORD_CHANGED).order_by("sequence")
    ]
    assert changes == [[True, False], [False, True]]


def test_a_deleted_word_leaves_its_record_in_the_audit_trail(world: World) -> None:
    word = SensitiveWordFactory(word="飞单")

    sensitive_word_delete(entry=word, actor=world.hq_admin)

    assert not SensitiveWord.objects.exists()
    event = AuditEvent.objects.get(action=ComplianceAuditAction.WORD_CHANGED, data__operation="deleted")
    assert event.data["word"] == "飞单"


def test_the_list_is_searched_in_the_written_and_the_normalised_form(world: World) -> None:
    promise = SensitiveWordFactory(word="穩賺不賠", category=ContentCategory.PROMISED_RETURN)
    SensitiveWordFactory(word="某某银行", category=ContentCategory.COMPETITOR, action=ContentAction.REVIEW)

    assert list(sensitive_words_list(query="稳赚")) == [promise]
    assert list(sensitive_words_list(category=ContentCategory.COMPETITOR, action=ContentAction.BLOCK)) == []


def test_a_pattern_reviews_by_default_and_its_action_can_change(world: World) -> None:
    assert {state.pattern: state.action for state in pii_patterns_list()} == {
        "mobile": "review",
        "id_number": "review",
        "bank_card": "review",
    }

    pii_pattern_update(pattern=PiiPattern.BANK_CARD, action=ContentAction.BLOCK, is_active=False, actor=world.hq_admin)

    [card] = [state for state in pii_patterns_list() if state.pattern == "bank_card"]
    assert (card.action, card.is_active) == ("block", False)
    event = AuditEvent.objects.get(action=ComplianceAuditAction.PATTERN_CHANGED)
    assert event.data["changes"] == {"action": ["review", "block"], "is_active": [True, False]}


def test_an_unknown_pattern_is_refused(world: World) -> None:
    with pytest.raises(ApplicationError):
        pii_pattern_update(pattern="email", action=ContentAction.BLOCK, is_active=True, actor=world.hq_admin)


def test_the_version_row_appears_with_the_first_change(world: World) -> None:
    assert not LibraryVersion.objects.exists()

    SensitiveWordFactory()
    SensitiveWordFactory()

    assert LibraryVersion.objects.get().version == 2


# --- Bulk add -------------------------------------------------------------------------


def test_bulk_lines_are_added_with_their_own_or_the_default_category_and_action(world: World) -> None:
    content = "敏感词,类别,动作,备注\n保本保息,承诺收益,拦截,收益承诺\n\n某某银行,competitor,review\n私下转账\n"

    result = sensitive_words_bulk_add(
        content=content, default_category="off_book_sale", default_action="review", actor=world.compliance
    )

    assert result.errors == []
    assert [(w.word, w.category, w.action, w.note) for w in sensitive_words_list().order_by("id")] == [
        ("保本保息", "promised_return", "block", "收益承诺"),
        ("某某银行", "competitor", "review", ""),
        ("私下转账", "off_book_sale", "review", ""),
    ]
    event = AuditEvent.objects.get(action=ComplianceAuditAction.WORDS_BULK_ADDED)
    assert event.data["count"] == 3


def test_one_bad_line_adds_nothing_and_every_bad_line_is_reported(world: World) -> None:
    SensitiveWordFactory(word="飞单")
    content = "\n".join(["稳赚不赔", "。。。", "保本,不存在的类别", "飞 单", "稳赚不赔", "a,b,c,d,e", "好词"])
    before = (SensitiveWord.objects.count(), AuditEvent.objects.count(), library_version_current())

    result = sensitive_words_bulk_add(
        content=content, default_category="custom", default_action="block", actor=world.compliance
    )

    assert result.created == []
    assert [(error.line, error.text) for error in result.errors] == [
        (2, "。。。"),
        (3, "保本,不存在的类别"),
        (4, "飞 单"),
        (5, "稳赚不赔"),
        (6, "a,b,c,d,e"),
    ]
    assert "line 1" in result.errors[3].reason or "第 1 行" in result.errors[3].reason
    assert (SensitiveWord.objects.count(), AuditEvent.objects.count(), library_version_current()) == before


def test_bulk_without_words_is_refused(world: World) -> None:
    with pytest.raises(ApplicationError):
        sensitive_words_bulk_add(
            content="\n \n", default_category="custom", default_action="block", actor=world.hq_admin
        )
