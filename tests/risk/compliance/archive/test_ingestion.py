"""Ingesting the archive: pages from the cursor, stores consented chats only, refuses bad records, survives crashes."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from risk.compliance.archive import services
from risk.compliance.archive.models import (
    ArchiveCursor,
    ArchivedChat,
    ArchivedMessage,
    ArchiveRefusedRecord,
    RefusalReason,
)
from risk.compliance.archive.services import archive_ingest, archive_page_ingest
from risk.compliance.archive.sources import ArchiveSourceError
from risk.compliance.models import ContentCategory
from risk.compliance.violations.models import Violation
from tests.compliance_factories import SensitiveWordFactory
from tests.factories import ExternalContactFactory
from tests.risk.compliance.archive.conftest import OTHER_KEY, Archive, private_pem, public_pem

pytestmark = pytest.mark.django_db


def _texts() -> list[str]:
    return list(ArchivedMessage.objects.order_by("seq").values_list("text", flat=True))


def test_a_consented_conversation_is_stored_with_its_chat_staff_and_customer(archive: Archive, world) -> None:
    archive.post(
        archive.text(archive.rm_userid, archive.agreed_external, "您好，我是您的客户经理"),
        archive.text(archive.agreed_external, archive.rm_userid, "你好"),
    )

    page = archive_page_ingest(source=archive.source)

    assert page.fetched == 2
    assert len(page.stored_message_ids) == 2
    chat = ArchivedChat.objects.get()
    assert chat.kind == "single"
    assert chat.chat_key == f"{archive.rm_userid}|{archive.agreed_external}"
    assert (chat.staff, chat.customer, chat.message_count) == (world.rm_bj, archive.agreed, 2)
    messages = list(ArchivedMessage.objects.order_by("seq"))
    assert [m.pk for m in messages] == page.stored_message_ids
    assert [(m.sender_kind, m.text) for m in messages] == [("staff", "您好，我是您的客户经理"), ("customer", "你好")]
    cursor = ArchiveCursor.objects.get()
    assert (cursor.seq, cursor.stored_count, cursor.last_error) == (2, 2, "")
    assert cursor.caught_up_at is not None


def test_messages_of_a_customer_who_did_not_agree_are_never_stored(archive: Archive) -> None:
    archive.post(
        archive.text(archive.rm_userid, archive.refused_external, "保本保息，稳赚不赔"),
        archive.text(archive.rm_userid, archive.agreed_external, "您好"),
        archive.text(archive.rm_userid, "wmUNKNOWN00001", "陌生人"),
    )

    page = archive_page_ingest(source=archive.source)

    assert _texts() == ["您好"]
    assert page.discarded == 2
    assert not ArchivedChat.objects.filter(external_userid__in=[archive.refused_external, "wmUNKNOWN00001"]).exists()
    cursor = ArchiveCursor.objects.get()
    assert (cursor.seq, cursor.discarded_count) == (3, 2)


def test_a_contact_the_product_has_not_linked_is_stored_when_wecom_says_they_agreed(archive: Archive) -> None:
    ExternalContactFactory(customer=None, external_userid="wmLEAD00000001")
    archive.sandbox.archive_agree(userid=archive.rm_userid, external_userid="wmLEAD00000001", deliver=False)
    archive.sandbox.archive_agree(userid=archive.rm_userid, external_userid="wmNEW000000001", deliver=False)
    archive.post(
        archive.text(archive.rm_userid, "wmLEAD00000001", "线索客户"),
        archive.text("wmNEW000000001", archive.rm_userid, "新客户"),
        archive.text(archive.rm_userid, "wmNOPE00000001", "没同意"),
    )

    archive_page_ingest(source=archive.source)

    assert _texts() == ["线索客户", "新客户"]
    # WeCom was asked once for the three pairs, and the answer is cached.
    [call] = archive.sandbox.calls("msgaudit/check_single_agree")
    assert len(call["body"]["info"]) == 3
    archive.post(archive.text(archive.rm_userid, "wmNOPE00000001", "还是没同意"))
    archive_page_ingest(source=archive.source)
    assert len(archive.sandbox.calls("msgaudit/check_single_agree")) == 1


def test_a_customer_s_own_refusal_wins_over_wecom_s_agree_status(archive: Archive) -> None:
    archive.sandbox.archive_agree(userid=archive.rm_userid, external_userid=archive.refused_external, deliver=False)
    archive.post(archive.text(archive.rm_userid, archive.refused_external, "您好"))

    archive_page_ingest(source=archive.source)

    assert not ArchivedMessage.objects.exists()


def test_staff_only_chats_are_discarded(archive: Archive, world) -> None:
    archive.post(archive.text(archive.rm_userid, str(world.rm_bj2.wecom_userid), "内部沟通"))

    page = archive_page_ingest(source=archive.source)

    assert (page.discarded, ArchivedMessage.objects.count()) == (1, 0)


def test_paging_continues_from_the_stored_cursor(archive: Archive) -> None:
    archive.post(*(archive.text(archive.rm_userid, archive.agreed_external, f"第{n}条") for n in range(5)))

    first = archive_page_ingest(source=archive.source, limit=2)
    second = archive_page_ingest(source=archive.source, limit=2)

    assert (first.seq, second.seq, first.caught_up) == (2, 4, False)
    assert _texts() == ["第0条", "第1条", "第2条", "第3条"]
    result = archive_ingest(source=archive.source)
    assert _texts() == [f"第{n}条" for n in range(5)]
    assert (result.stored, ArchiveCursor.objects.get().seq) == (1, 5)
    assert archive_ingest(source=archive.source).stored == 0


def test_a_crash_after_the_insert_stores_nothing_and_the_next_run_stores_each_message_once(
    archive: Archive, monkeypatch
) -> None:
    archive.post(*(archive.text(archive.rm_userid, archive.agreed_external, f"第{n}条") for n in range(3)))

    def crash(*args, **kwargs) -> None:
        raise RuntimeError("worker lost")

    with monkeypatch.context() as patched:
        patched.setattr(services, "_cursor_advance", crash)
        with pytest.raises(RuntimeError):
            archive_ingest(source=archive.source)

    assert ArchivedMessage.objects.count() == 0
    assert not ArchivedChat.objects.exists()
    cursor = ArchiveCursor.objects.get()
    assert cursor.seq == 0
    assert "worker lost" in cursor.last_error

    archive_ingest(source=archive.source)
    archive_ingest(source=archive.source)

    assert _texts() == ["第0条", "第1条", "第2条"]
    assert ArchivedChat.objects.get().message_count == 3
    assert ArchiveCursor.objects.get().seq == 3


def test_an_unreachable_archive_stores_nothing_and_leaves_the_cursor(archive: Archive) -> None:
    archive.post(archive.text(archive.rm_userid, archive.agreed_external, "您好"))
    archive.source.base_url = "http://127.0.0.1:9/finance/"

    with pytest.raises(ArchiveSourceError):
        archive_ingest(source=archive.source)

    assert ArchiveCursor.objects.get().seq == 0
    assert not ArchivedMessage.objects.exists()


def test_a_tampered_record_a_wrong_key_and_an_unknown_version_are_refused_and_logged_without_stopping(
    archive: Archive, archive_keys, caplog, settings, tmp_path
) -> None:
    posted = archive.post(
        archive.text(archive.rm_userid, archive.agreed_external, "第一条"),
        archive.text(archive.rm_userid, archive.agreed_external, "被篡改的消息"),
        archive.text(archive.rm_userid, archive.agreed_external, "被篡改的密钥"),
    )
    archive.sandbox.archive_corrupt(seq=posted[1]["seq"], part="message")
    archive.sandbox.archive_corrupt(seq=posted[2]["seq"], part="random_key")
    # Version 2: a key this product does not hold. Version 3: it holds the wrong private key.
    # Version 4: it holds the right one.
    archive.sandbox.archive_set_public_key(version=2, pem=public_pem(OTHER_KEY))
    archive.post(archive.text(archive.rm_userid, archive.agreed_external, "未知版本"))
    archive.sandbox.archive_set_public_key(version=3, pem=public_pem(OTHER_KEY))
    archive.post(archive.text(archive.rm_userid, archive.agreed_external, "错误私钥"))
    archive.sandbox.archive_set_public_key(version=4, pem=public_pem(OTHER_KEY))
    archive.post(archive.text(archive.rm_userid, archive.agreed_external, "最后一条"))
    right = tmp_path / "v4.pem"
    right.write_bytes(private_pem(OTHER_KEY))
    settings.WECOM_ARCHIVE_PRIVATE_KEYS = {**settings.WECOM_ARCHIVE_PRIVATE_KEYS, 3: str(archive_keys), 4: str(right)}

    with caplog.at_level(logging.ERROR, logger="risk.compliance.archive.services"):
        page = archive_page_ingest(source=archive.source)

    assert _texts() == ["第一条", "最后一条"]
    assert page.refused == 4
    refused = {r.seq: r for r in ArchiveRefusedRecord.objects.all()}
    assert sorted(refused) == [2, 3, 4, 5]
    assert refused[2].reason == RefusalReason.BAD_MESSAGE
    assert refused[4].reason == RefusalReason.UNKNOWN_KEY
    assert refused[4].publickey_ver == 2
    # PKCS#1 v1.5 with implicit rejection cannot tell a wrong key from a good one: the
    # message then fails to open. Either way the record is refused.
    assert {refused[3].reason, refused[5].reason} <= {RefusalReason.BAD_KEY, RefusalReason.BAD_MESSAGE}
    assert refused[2].encrypt_chat_msg  # kept, still encrypted, to open later
    cursor = ArchiveCursor.objects.get()
    assert (cursor.seq, cursor.refused_count, cursor.stored_count) == (6, 4, 2)
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(logged) == 4
    assert any("seq=4" in line and "reason=unknown_key" in line for line in logged)
    assert not any("篡改" in line for line in logged)


def test_image_file_and_revoked_messages_are_stored_with_their_metadata(archive: Archive) -> None:
    [image] = archive.post(
        {"from": archive.agreed_external, "to": archive.rm_userid, "msgtype": "image", "image": {"size": 300}}
    )
    archive.post(
        {
            "from": archive.rm_userid,
            "to": archive.agreed_external,
            "msgtype": "file",
            "file": {"filename": "产品说明书.pdf", "size": 1000},
        },
        {
            "from": archive.agreed_external,
            "to": archive.rm_userid,
            "msgtype": "revoke",
            "revoke": {"pre_msgid": image["msgid"]},
        },
    )

    archive_page_ingest(source=archive.source)

    stored = list(ArchivedMessage.objects.order_by("seq"))
    assert [m.msgtype for m in stored] == ["image", "file", "revoke"]
    assert stored[0].media == {
        "sdkfileid": image["message"]["image"]["sdkfileid"],
        "md5sum": image["message"]["image"]["md5sum"],
        "filesize": 300,
    }
    assert (stored[1].media["filename"], stored[1].media["filesize"]) == ("产品说明书.pdf", 1000)
    assert stored[2].revoked_msgid == image["msgid"]
    # The media itself comes through the source in slices, on demand.
    piece = archive.source.media_data(sdkfileid=stored[0].media["sdkfileid"], index_buf="")
    assert (len(piece.data), piece.is_finish) == (300, True)


def test_a_group_message_is_stored_under_its_roomid_only_when_every_customer_in_it_agreed(archive: Archive) -> None:
    archive.post(
        {
            "from": archive.rm_userid,
            "tolist": [archive.agreed_external],
            "roomid": "wrGROUP01",
            "text": {"content": "群公告"},
        },
        {
            "from": archive.rm_userid,
            "tolist": [archive.agreed_external, archive.refused_external],
            "roomid": "wrGROUP02",
            "text": {"content": "有人没同意"},
        },
    )

    archive_page_ingest(source=archive.source)

    assert _texts() == ["群公告"]
    chat = ArchivedChat.objects.get()
    assert (chat.kind, chat.chat_key, chat.roomid) == ("group", "wrGROUP01", "wrGROUP01")


def test_a_second_ingester_finds_the_cursor_taken_and_stores_nothing(archive: Archive) -> None:
    from django.db import connection

    archive.post(archive.text(archive.rm_userid, archive.agreed_external, "您好"))
    with connection.cursor() as db:
        db.execute("SELECT pg_advisory_lock(%s)", [services._ADVISORY_LOCK_KEY])
    try:
        # The same session holds it: a second session is what a second worker would be.
        import psycopg
        from django.conf import settings as django_settings

        db_settings = django_settings.DATABASES["default"]
        with psycopg.connect(
            host=db_settings["HOST"],
            port=db_settings["PORT"],
            user=db_settings["USER"],
            password=db_settings["PASSWORD"],
            dbname=connection.settings_dict["NAME"],
        ) as other:
            taken = other.execute("SELECT pg_try_advisory_lock(%s)", [services._ADVISORY_LOCK_KEY]).fetchone()[0]
        assert taken is False
    finally:
        with connection.cursor() as db:
            db.execute("SELECT pg_advisory_unlock(%s)", [services._ADVISORY_LOCK_KEY])


def test_the_lag_is_the_time_since_the_archive_was_last_read_to_its_end(archive: Archive, caplog, settings) -> None:
    archive.post(archive.text(archive.rm_userid, archive.agreed_external, "您好"))
    archive_ingest(source=archive.source)
    cursor = ArchiveCursor.objects.get()
    now = cursor.caught_up_at

    assert services.archive_lag(cursor, now=now) == 0
    assert services.archive_lag_alarm(now=now + timedelta(hours=1)) == (3600.0, "ok")
    with caplog.at_level(logging.ERROR, logger="risk.compliance.archive.services"):
        lag, level = services.archive_lag_alarm(now=now + timedelta(hours=80))
        assert level == "warning"
        assert services.archive_lag_alarm(now=now + timedelta(hours=97))[1] == "critical"
    assert lag == 80 * 3600
    assert [r.levelname for r in caplog.records if "archive lag" in r.getMessage()] == ["ERROR", "ERROR"]


def test_a_run_that_stops_mid_archive_measures_the_lag_from_the_newest_message_read(archive: Archive) -> None:
    sent = timezone.now() - timedelta(hours=90)
    archive.post(
        *(
            archive.text(archive.rm_userid, archive.agreed_external, f"{n}", msgtime=int(sent.timestamp() * 1000) + n)
            for n in range(3)
        )
    )

    archive_page_ingest(source=archive.source, limit=2)

    lag, level = services.archive_lag_alarm()
    assert lag is not None
    assert 89.9 * 3600 < lag < 90.1 * 3600
    assert level == "warning"


def test_an_installation_without_a_chat_archive_ingests_nothing_and_does_not_fail(settings) -> None:
    settings.WECOM_FINANCE_SDK_PATH = ""
    settings.WECOM_ARCHIVE_SANDBOX_URL = ""

    result = archive_ingest()

    assert result.configured is False
    assert not ArchiveCursor.objects.exists()


def test_a_run_over_many_pages_reads_each_page_ahead_and_still_stores_each_message_once_in_order(
    archive: Archive, settings
) -> None:
    settings.ARCHIVE_PAGE_LIMIT = 3
    archive.post(*(archive.text(archive.rm_userid, archive.agreed_external, f"第{n}条") for n in range(10)))

    result = archive_ingest(source=archive.source)

    assert (result.pages, result.stored) == (4, 10)
    assert _texts() == [f"第{n}条" for n in range(10)]
    assert ArchiveCursor.objects.get().seq == 10
    # Four pages, each fetched once (the last one short: the archive was read to its end).
    assert archive_ingest(source=archive.source).stored == 0


def test_a_crash_mid_run_keeps_the_pages_already_committed_and_the_rerun_picks_up_after_them(
    archive: Archive, settings, monkeypatch
) -> None:
    settings.ARCHIVE_PAGE_LIMIT = 2
    archive.post(*(archive.text(archive.rm_userid, archive.agreed_external, f"第{n}条") for n in range(6)))
    real = services._messages_insert
    calls = []

    def crash_on_the_second_page(messages, chat_ids):
        calls.append(1)
        if len(calls) == 2:
            real(messages, chat_ids)
            raise RuntimeError("worker killed")
        return real(messages, chat_ids)

    with monkeypatch.context() as patched:
        patched.setattr(services, "_messages_insert", crash_on_the_second_page)
        with pytest.raises(RuntimeError):
            archive_ingest(source=archive.source)

    assert _texts() == ["第0条", "第1条"]
    assert ArchiveCursor.objects.get().seq == 2
    archive_ingest(source=archive.source)
    assert _texts() == [f"第{n}条" for n in range(6)]
    assert ArchivedChat.objects.get().message_count == 6


def test_each_stored_page_is_scanned_in_its_own_transaction_so_a_crash_repeats_neither_messages_nor_violations(
    archive: Archive, monkeypatch
) -> None:
    SensitiveWordFactory(word="保本保息", category=ContentCategory.PROMISED_RETURN)
    archive.post(
        archive.text(archive.rm_userid, archive.agreed_external, "这款产品保本保息"),
        archive.text(archive.agreed_external, archive.rm_userid, "好的"),
    )

    def crash(*args, **kwargs) -> None:
        raise RuntimeError("worker lost")

    with monkeypatch.context() as patched:
        patched.setattr(services, "_cursor_advance", crash)
        with pytest.raises(RuntimeError):
            archive_ingest(source=archive.source)
    assert not Violation.objects.exists()

    first = archive_ingest(source=archive.source)
    archive_ingest(source=archive.source)

    # Whatever else fires (the hour of the test run may be outside working hours), it is stored once.
    assert first.violations == Violation.objects.count() >= 1
    violation = Violation.objects.get(rule="promised_return")
    assert (violation.rule, violation.matched_text) == ("promised_return", "保本保息")
    assert violation.message_id == ArchivedMessage.objects.get(text="这款产品保本保息").pk
