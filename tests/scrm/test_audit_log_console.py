"""Reading the trail for the compliance console: filters, keyset pages, and recorded chain checks."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from customers.audit import CustomerAuditAction
from scrm.audit.models import AuditAction, AuditEvent, ChainBreak, ChainCheck, ChainCheckStatus
from scrm.audit.selectors import (
    AuditLogFilters,
    audit_log_cursor_parse,
    audit_log_filtered,
    audit_log_filters_parse,
    audit_log_iter,
    audit_log_page,
    chain_check_latest,
    chain_check_running,
)
from scrm.audit.services import audit_record, chain_check_request, chain_check_run
from scrm.audit.tasks import audit_verify_chain_task
from scrm.core.exceptions import ApplicationError
from tests.conftest import World
from tests.support.database_roles import owner_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def digests_of_this_test(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "audit_digests": {**settings.STORAGES["audit_digests"], "OPTIONS": {"location": str(tmp_path / "digests")}},
    }


def _reveal(world: World, customer_no: str, *, actor=None) -> AuditEvent:
    return audit_record(
        actor=actor or world.rm_bj.user,
        action=AuditAction.PII_REVEAL,
        target_type="customers.customer",
        target_id="1",
        data={"field": "phone", "purpose": "回访", "customer_no": customer_no},
    )


def test_keyset_pages_cover_every_row_once_newest_first(world: World) -> None:
    for index in range(23):
        audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN, data={"n": index})

    seen: list[int] = []
    before = None
    pages = 0
    while True:
        page = audit_log_page(filters=AuditLogFilters(action=AuditAction.LOGIN), before=before, limit=5)
        seen += [row.sequence for row in page.rows]
        pages += 1
        if page.next_before is None:
            break
        before = page.next_before

    expected = list(
        AuditEvent.objects.filter(action=AuditAction.LOGIN).order_by("-sequence").values_list("sequence", flat=True)
    )
    assert seen == expected
    assert len(seen) == 23
    assert len(set(seen)) == 23
    assert pages == 5


def test_rows_appended_while_paging_neither_shift_nor_repeat_a_page(world: World) -> None:
    for _ in range(6):
        audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)
    first = audit_log_page(filters=AuditLogFilters(), limit=3)
    for _ in range(4):
        audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)

    second = audit_log_page(filters=AuditLogFilters(), before=first.next_before, limit=3)

    assert {row.sequence for row in first.rows}.isdisjoint(row.sequence for row in second.rows)
    assert second.rows[0].sequence == first.rows[-1].sequence - 1


def test_the_export_iterator_reads_past_its_chunks_without_a_gap(world: World) -> None:
    for _ in range(12):
        audit_record(actor=world.hq_admin.user, action=AuditAction.LOGOUT)

    rows = list(audit_log_iter(filters=AuditLogFilters(action=AuditAction.LOGOUT), limit=10, chunk_size=4))

    assert len(rows) == 10
    assert [row.sequence for row in rows] == sorted((row.sequence for row in rows), reverse=True)
    assert rows[0].sequence - rows[-1].sequence == 9


def test_filters_by_actor_action_customer_and_days(world: World) -> None:
    mine = _reveal(world, "C100")
    _reveal(world, "C200")
    _reveal(world, "C100", actor=world.rm_sh.user)
    audit_record(actor=world.rm_bj.user, action=CustomerAuditAction.CONSENT, data={"customer_no": "C100"})
    audit_record(actor=world.rm_bj.user, action=AuditAction.LOGIN)

    def found(**filters) -> list[int]:
        return [row.sequence for row in audit_log_page(filters=AuditLogFilters(**filters)).rows]

    assert found(actor="rm", action=AuditAction.PII_REVEAL, customer_no="C100") == [mine.sequence]
    assert len(found(customer_no="C100")) == 3
    assert len(found(actor="rm")) == 4
    today = timezone.localdate()
    assert len(found(since=today, until=today)) == 5
    assert found(until=today - datetime.timedelta(days=1)) == []
    assert found(since=today + datetime.timedelta(days=1)) == []


def test_the_parser_turns_query_parameters_into_filters() -> None:
    filters = audit_log_filters_parse(
        params={"actor": " rm ", "action": "pii.reveal", "customer": "C1", "since": "2026-12-01", "until": "2026-12-04"}
    )

    assert filters == AuditLogFilters(
        actor="rm",
        action="pii.reveal",
        customer_no="C1",
        since=datetime.date(2026, 12, 1),
        until=datetime.date(2026, 12, 4),
    )
    assert audit_log_filters_parse(params={}, fixed_action="pii.reveal").action == "pii.reveal"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-13-45"}, "请输入有效日期"),
        ({"until": "yesterday"}, "请输入有效日期"),
        ({"since": "2026-12-05", "until": "2026-12-01"}, "开始日期不能晚于结束日期"),
        ({"action": "pii.peek"}, "请从列表中选择操作"),
        ({"actor": "x" * 151}, "用户名过长"),
        ({"customer": "C1\x00"}, "请输入有效的客户号"),
    ],
)
def test_the_parser_refuses_bad_input_with_a_clear_message(params: dict[str, str], message: str) -> None:
    with pytest.raises(ApplicationError, match=message):
        audit_log_filters_parse(params=params)


@pytest.mark.parametrize("cursor", ["abc", "-1", "1" * 19, "3.5"])
def test_a_bad_page_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(ApplicationError):
        audit_log_cursor_parse(cursor)


def test_the_customer_filter_reads_its_own_index(world: World) -> None:
    # Enough other rows that walking the sequence index and filtering costs more than the
    # customer's own index, whatever order the tests ran in (the table is never analysed here).
    for number in range(300):
        _reveal(world, f"C{number:04d}")
    _reveal(world, "C100")
    with connection.cursor() as cursor:
        # Which index path wins depends on statistics this table never gets here (the
        # application role may not ANALYZE); a bitmap scan needs an index condition, so only
        # an index on the filter's own expression can serve one.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = audit_log_filtered(filters=AuditLogFilters(customer_no="C100"))[:51].query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on audit_customer_sequence" in plan, plan


def test_a_requested_check_is_audited_recorded_and_finished_by_the_task(world: World) -> None:
    audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)

    check, new = chain_check_request(actor=world.compliance.user)
    again, new_again = chain_check_request(actor=world.compliance.user)

    assert new
    assert not new_again
    assert again.pk == check.pk
    assert chain_check_running() == check
    assert AuditEvent.objects.filter(action=AuditAction.CHAIN_CHECK, actor_username="compliance").count() == 1
    result = audit_verify_chain_task(check.pk)
    check.refresh_from_db()
    assert result["ok"] is True
    assert check.status == ChainCheckStatus.INTACT
    assert check.finished_at is not None
    assert check.checked == AuditEvent.objects.count()
    assert chain_check_running() is None
    assert chain_check_latest() == check
    # A second delivery of the same task verifies nothing more.
    assert chain_check_run(check_id=check.pk).finished_at == check.finished_at


@pytest.mark.django_db(transaction=True)
def test_the_nightly_check_records_a_break_in_words(world: World) -> None:
    audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)
    audit_record(actor=world.hq_admin.user, action=AuditAction.LOGOUT)
    with owner_session() as owner, owner.transaction():
        owner.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
        owner.execute(
            "UPDATE audit_auditevent SET actor_username = 'someone' WHERE sequence = "
            "(SELECT max(sequence) FROM audit_auditevent)"
        )
        owner.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_append_only")

    result = audit_verify_chain_task()

    check = ChainCheck.objects.get()
    assert result["ok"] is False
    assert check.status == ChainCheckStatus.BROKEN
    assert check.break_kind == ChainBreak.ALTERED
    assert check.broken_sequence == AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True)[0]


def test_a_check_left_running_by_a_dead_worker_does_not_block_a_new_one(world: World) -> None:
    ChainCheck.objects.create(started_at=timezone.now() - datetime.timedelta(hours=2))

    check, new = chain_check_request(actor=world.compliance.user)

    assert new
    assert ChainCheck.objects.count() == 2
    assert chain_check_running() == check
