"""Archived chats and messages for the violation tests, created directly (no ingestion)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import factory

from risk.compliance.archive.models import ArchivedChat, ArchivedMessage, ChatKind, SenderKind
from scrm.org.models import Staff

# A Tuesday, 10:00 in Shanghai: inside the default working hours.
WORKING_TIME = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


class ArchivedChatFactory(factory.django.DjangoModelFactory):
    """A one-to-one chat of ``staff`` with an external contact (and the customer, if given)."""

    class Meta:
        model = ArchivedChat

    kind = ChatKind.SINGLE
    staff = None
    staff_userid = factory.LazyAttribute(lambda o: (o.staff.wecom_userid or "") if o.staff else "unknown")
    external_userid = factory.Sequence(lambda n: f"wmEXT{n:05d}")
    chat_key = factory.LazyAttribute(lambda o: f"{o.staff_userid}|{o.external_userid}")
    customer = None
    first_message_at = WORKING_TIME
    last_message_at = WORKING_TIME


class ArchivedMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArchivedMessage

    msgid = factory.Sequence(lambda n: f"msg{n:08d}")
    seq = factory.Sequence(lambda n: n + 1)
    sent_at = WORKING_TIME
    chat = factory.SubFactory(ArchivedChatFactory)
    sender_kind = SenderKind.STAFF
    sender_id = factory.LazyAttribute(lambda o: o.chat.staff_userid if o.sender_kind == SenderKind.STAFF else "wmX")
    msgtype = "text"
    text = "您好"


def chat_of(staff: Staff, **kwargs: Any) -> ArchivedChat:
    return ArchivedChatFactory(staff=staff, **kwargs)


def message_in(chat: ArchivedChat, text: str, **kwargs: Any) -> ArchivedMessage:
    return ArchivedMessageFactory(chat=chat, text=text, **kwargs)
