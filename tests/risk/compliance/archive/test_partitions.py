"""Monthly partitions of the message table: created ahead, rows moved out of DEFAULT, dropped by retention."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from risk.compliance.archive.services import archive_partitions, archive_partitions_ensure, partition_name
from risk.models import ArchivedChat, ArchivedMessage

pytestmark = pytest.mark.django_db


def _chat() -> ArchivedChat:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return ArchivedChat.objects.create(kind="single", chat_key="rm|wmX", first_message_at=at, last_message_at=at)


def _message(chat: ArchivedChat, msgid: str, sent_at: datetime) -> ArchivedMessage:
    return ArchivedMessage.objects.create(
        msgid=msgid, seq=1, sent_at=sent_at, chat=chat, sender_kind="staff", sender_id="rm", msgtype="text"
    )


def _partition_of(msgid: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM risk_archivedmessage WHERE msgid = %s", [msgid])
        return str(cursor.fetchone()[0])


def test_partitions_run_from_the_retention_start_to_months_ahead(settings) -> None:
    settings.ARCHIVE_RETENTION_MONTHS = 3
    settings.ARCHIVE_PARTITION_MONTHS_AHEAD = 2

    result = archive_partitions_ensure(today=date(2026, 12, 3))

    expected = [partition_name(*m) for m in [(2026, 10), (2026, 11), (2026, 12), (2027, 1), (2027, 2)]]
    assert result.created == expected
    assert archive_partitions() == expected
    assert archive_partitions_ensure(today=date(2026, 12, 3)).created == []


def test_a_month_s_partition_takes_its_rows_out_of_the_default_partition_and_bounds_are_china_months(
    settings,
) -> None:
    settings.ARCHIVE_RETENTION_MONTHS = 2
    settings.ARCHIVE_PARTITION_MONTHS_AHEAD = 0
    chat = _chat()
    # 2026-12-01 00:30 in Beijing is still November in UTC.
    _message(chat, "early", datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    _message(chat, "late", datetime(2026, 11, 30, 15, 30, tzinfo=UTC))
    assert _partition_of("early") == "risk_archivedmessage_default"

    archive_partitions_ensure(today=date(2026, 12, 3))

    assert _partition_of("early") == "risk_archivedmessage_y2026m12"
    assert _partition_of("late") == "risk_archivedmessage_y2026m11"
    _message(chat, "new", datetime(2026, 12, 20, tzinfo=UTC))
    assert _partition_of("new") == "risk_archivedmessage_y2026m12"


def test_retention_drops_whole_months_older_than_it_and_old_rows_waiting_in_default(settings) -> None:
    settings.ARCHIVE_RETENTION_MONTHS = 3
    settings.ARCHIVE_PARTITION_MONTHS_AHEAD = 0
    archive_partitions_ensure(today=date(2026, 10, 15))
    chat = _chat()
    _message(chat, "august", datetime(2026, 8, 10, tzinfo=UTC))
    _message(chat, "october", datetime(2026, 10, 10, tzinfo=UTC))
    _message(chat, "ancient", datetime(2025, 1, 10, tzinfo=UTC))  # in DEFAULT

    result = archive_partitions_ensure(today=date(2026, 12, 3))

    assert result.dropped == [partition_name(2026, 8), partition_name(2026, 9)]
    assert result.created == [partition_name(2026, 11), partition_name(2026, 12)]
    assert list(ArchivedMessage.objects.values_list("msgid", flat=True)) == ["october"]
    assert archive_partitions()[0] == partition_name(2026, 10)


def test_the_application_role_cannot_create_tables_itself_only_through_the_partition_function() -> None:
    from django.db import ProgrammingError, transaction

    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE risk_archivedmessage_y2030m01 (LIKE risk_archivedmessage)")
    with pytest.raises(Exception, match="no such month"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT risk_archive_partition_create(2030, 13, 'Asia/Shanghai')")
