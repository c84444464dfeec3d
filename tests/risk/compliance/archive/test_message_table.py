"""The archived-message table: partitioned by month in PostgreSQL, one row per message."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from risk.models import ArchivedChat, ArchivedMessage

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _chat() -> ArchivedChat:
    return ArchivedChat.objects.create(
        kind="single", chat_key="rm_li|wmEXT01", staff_userid="rm_li", first_message_at=SENT, last_message_at=SENT
    )


def _message(chat: ArchivedChat, msgid: str = "m1") -> ArchivedMessage:
    return ArchivedMessage.objects.create(
        msgid=msgid, seq=1, sent_at=SENT, chat=chat, sender_kind="staff", sender_id="rm_li", msgtype="text", text="您好"
    )


def test_the_message_table_is_partitioned_by_send_time() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_partkeydef('risk_archivedmessage'::regclass)",
        )
        assert cursor.fetchone()[0] == "RANGE (sent_at)"


def test_a_message_is_stored_and_read_back_through_the_model() -> None:
    stored = _message(_chat())

    assert ArchivedMessage.objects.get(pk=stored.pk).text == "您好"


def test_the_same_message_cannot_be_stored_twice() -> None:
    chat = _chat()
    _message(chat)

    with pytest.raises(IntegrityError), transaction.atomic():
        _message(chat)
