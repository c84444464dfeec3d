"""Scanning archived messages: one violation per message and rule, PII masked; rescans add only new hits."""

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from risk.compliance.models import ContentCategory
from risk.compliance.violations.models import RescanRun, RescanStatus, Violation
from risk.compliance.violations.services import (
    violations_rescan_if_library_changed,
    violations_rescan_range,
    violations_rescan_start,
    violations_scan,
)
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World
from tests.risk.compliance.violations.factories import chat_of, message_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db: None) -> None:
    SensitiveWordFactory(word="保本", category=ContentCategory.PROMISED_RETURN)
    SensitiveWordFactory(word="飞单", category=ContentCategory.OFF_BOOK_SALE)


def test_a_staff_promise_becomes_an_open_violation_of_the_rm_in_their_branch(world: World, library: None) -> None:
    customer = world.customers_rm_bj[0]
    chat = chat_of(world.rm_bj, customer=customer)
    message = message_in(chat, "您好，这款理财产品保本，年化百分之五，放心")

    assert violations_scan([message.pk]) == 1

    violation = Violation.objects.get()
    assert (violation.rule, violation.severity, violation.status) == ("promised_return", "high", "open")
    assert (violation.staff, violation.customer, violation.branch, violation.chat) == (
        world.rm_bj,
        customer,
        world.bj_hd_1,
        chat,
    )
    assert (violation.message_id, violation.message_sent_at) == (message.pk, message.sent_at)
    assert (violation.matched_text, violation.match_start, violation.match_end) == ("保本", 9, 11)
    assert violation.context_before == "您好，这款理财产品"
    assert violation.context_after == "，年化百分之五，放心"
    assert violation.library_version >= 1
    assert violation.category == "promised_return"
    assert violation.entry == "保本"


def test_scanning_the_same_message_again_stores_nothing_twice(world: World, library: None) -> None:
    message = message_in(chat_of(world.rm_bj), "保本的，飞单也行")

    assert violations_scan([message.pk]) == 2
    assert violations_scan([message.pk, message.pk]) == 0
    assert sorted(Violation.objects.values_list("rule", flat=True)) == ["off_book_sale", "promised_return"]


def test_personal_information_is_stored_masked_in_the_hit_and_its_context(world: World, library: None) -> None:
    message = message_in(chat_of(world.rm_bj), "保本。客户电话 13800138000，身份证 11010519491231002X")

    violations_scan([message.pk])

    pii = Violation.objects.get(rule="staff_pii")
    assert pii.matched_text == "138****8000"
    assert pii.context_after == "，身份证 110105********002X"
    promise = Violation.objects.get(rule="promised_return")
    assert "13800138000" not in promise.context_after
    assert promise.context_after.startswith("。客户电话 138****8000")


def test_a_message_without_hits_or_text_and_unknown_ids_store_nothing(world: World, library: None) -> None:
    chat = chat_of(world.rm_bj)
    plain = message_in(chat, "明天见")
    image = message_in(chat, "", msgtype="image")

    assert violations_scan([plain.pk, image.pk, 987654321]) == 0
    assert violations_scan([]) == 0
    assert not Violation.objects.exists()


def test_a_chat_of_an_unknown_member_still_records_the_violation_without_a_branch(library: None) -> None:
    from tests.risk.compliance.violations.factories import ArchivedChatFactory

    message = message_in(ArchivedChatFactory(staff=None), "保本")

    assert violations_scan([message.pk]) == 1
    assert Violation.objects.get().branch is None


def test_the_violation_keeps_the_branch_the_rm_had_when_it_was_found(world: World, library: None) -> None:
    message = message_in(chat_of(world.rm_bj), "保本")
    violations_scan([message.pk])

    world.rm_bj.branch = world.sh_pd_1
    world.rm_bj.save(update_fields=["branch"])

    assert Violation.objects.get().branch == world.bj_hd_1


@override_settings(VIOLATION_WORKING_WEEKDAYS=[1, 2, 3, 4, 5, 6, 7])
def test_an_after_hours_message_is_found_by_its_send_time(world: World, library: None) -> None:
    chat = chat_of(world.rm_bj)
    late = message_in(chat, "在吗", sent_at=datetime(2026, 12, 1, 14, 30, tzinfo=UTC))
    evening = message_in(chat, "在吗", sent_at=datetime(2026, 12, 1, 10, 59, tzinfo=UTC))

    assert violations_scan([late.pk, evening.pk]) == 1
    assert Violation.objects.get().message_id == late.pk


def _run_all_ranges(run: RescanRun) -> None:
    for low in range(run.first_message_id, run.last_message_id + 1, run.chunk_size):
        violations_rescan_range(run_id=run.pk, first_id=low, last_id=min(low + run.chunk_size - 1, run.last_message_id))


@override_settings(VIOLATION_RESCAN_CHUNK_SIZE=2)
def test_a_rescan_after_a_library_change_adds_the_new_hits_and_no_duplicates(world: World, library: None) -> None:
    chat = chat_of(world.rm_bj)
    messages = [message_in(chat, text) for text in ("保本", "高息揽储", "你好", "高息揽储，保本", "再见")]
    assert violations_scan([message.pk for message in messages]) == 2
    SensitiveWordFactory(word="高息揽储", category=ContentCategory.OFF_BOOK_SALE)

    run = violations_rescan_start(actor=world.compliance)
    assert run.total_chunks == 3
    _run_all_ranges(run)
    _run_all_ranges(run)

    run.refresh_from_db()
    assert (run.status, run.progress_percent, run.violations_added) == (RescanStatus.FINISHED, 100, 2)
    assert sorted(Violation.objects.values_list("message_id", "rule")) == sorted(
        [
            (messages[0].pk, "promised_return"),
            (messages[1].pk, "off_book_sale"),
            (messages[3].pk, "off_book_sale"),
            (messages[3].pk, "promised_return"),
        ]
    )


def test_a_second_rescan_while_one_runs_is_the_same_run(world: World, library: None) -> None:
    message_in(chat_of(world.rm_bj), "保本")

    first = violations_rescan_start(actor=world.compliance)

    assert violations_rescan_start(actor=world.hq_admin) == first
    assert RescanRun.objects.count() == 1


def test_a_library_change_starts_a_rescan_once(world: World, library: None) -> None:
    message_in(chat_of(world.rm_bj), "保本")

    run = violations_rescan_if_library_changed()
    assert run is not None
    assert violations_rescan_if_library_changed() is None  # running
    _run_all_ranges(run)
    assert violations_rescan_if_library_changed() is None  # same version

    SensitiveWordFactory(word="稳赚", category=ContentCategory.PROMISED_RETURN)
    assert violations_rescan_if_library_changed() is not None


@override_settings(VIOLATION_RESCAN_ON_LIBRARY_CHANGE=False)
def test_the_automatic_rescan_can_be_switched_off(world: World, library: None) -> None:
    message_in(chat_of(world.rm_bj), "保本")

    assert violations_rescan_if_library_changed() is None


def test_in_a_group_chat_the_violation_is_the_sending_members_not_the_owners(world: World, library: None) -> None:
    from risk.compliance.archive.models import ChatKind

    group = chat_of(world.rm_bj, kind=ChatKind.GROUP, chat_key="wrGROUP01", roomid="wrGROUP01")
    message = message_in(group, "保本", sender_id=world.rm_sh.wecom_userid)

    violations_scan([message.pk])

    violation = Violation.objects.get()
    assert (violation.staff, violation.branch) == (world.rm_sh, world.sh_pd_1)
