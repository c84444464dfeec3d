"""Ingesting the chat archive (会话存档): page, decrypt, keep only consented chats, store; and partition upkeep.

One page is one transaction: the cursor row is locked, the records after its ``seq`` are
fetched, opened, filtered by consent and stored set-based (one INSERT for the chats, one
for the messages), and the cursor moves to the page's last ``seq`` before the commit. A
crash anywhere before the commit leaves the cursor where it was, so the next run fetches
the same page again: nothing is lost and nothing is stored twice. One ingester runs at a
time (a PostgreSQL advisory lock held for the run).

What is stored: text, image/file/voice/video metadata (never the bytes), revocations
(``revoked_msgid``) and the chat each belongs to — 1:1 keyed ``"<staff userid>|<external
userid>"``, groups by ``roomid``. A message is stored only when every external party in
it agreed to archiving: a linked customer's ``chat_archive_consent`` decides for them,
WeCom's agree status (``msgaudit/check_single_agree``, cached) for contacts not linked to
a customer. Messages of others are discarded unread (counted, never stored or scanned);
so are staff-only chats, which the bank's customer supervision does not cover. A record
that does not open (unknown key version, wrong key, damaged ciphertext) is refused: kept
encrypted in ``ArchiveRefusedRecord``, logged and counted, and the batch goes on.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from channels.contacts.selectors import customer_ids_by_external_userid, group_owner_ids_by_chat_id
from channels.wecom.gateway import wecom
from customers.selectors import customers_by_ids_for_system
from risk.compliance.archive.crypto import RecordKeyError, random_key_decrypt
from risk.compliance.archive.models import ArchiveCursor, ArchiveRefusedRecord, ChatKind, RefusalReason, SenderKind
from risk.compliance.archive.sources import (
    ArchiveRecord,
    ArchiveSource,
    RecordDecryptError,
    archive_configured,
    archive_source,
)
from risk.compliance.violations.services import violations_scan
from scrm.core.redis import redis_client
from scrm.org.models import Staff

logger = logging.getLogger(__name__)

# External contacts' userids: "wo…"/"wm…" (WeChat users), as WeCom issues them; "wb…" are robots.
EXTERNAL_PREFIXES = ("wo", "wm")
MEDIA_TYPES = ("image", "file", "voice", "video", "emotion")
MEDIA_FIELDS = ("sdkfileid", "md5sum", "filesize", "filename", "fileext", "play_length", "width", "height")
AGREE_CHUNK = 100
_ADVISORY_LOCK_KEY = 0x5C0A7C41  # "one archive ingester": any fixed bigint
PARTITION_PREFIX = "risk_archivedmessage_"
_PARTITION_NAME = re.compile(r"^risk_archivedmessage_y(\d{4})m(\d{2})$")


class LagLevel:
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class _Opened:
    seq: int
    msgid: str
    message: dict[str, Any]


@dataclass(frozen=True)
class _Refused:
    seq: int
    msgid: str
    publickey_ver: int | None
    reason: str
    detail: str
    record: ArchiveRecord


@dataclass
class PageResult:
    """One page's outcome. ``stored_message_ids`` are the ids of the messages this page stored."""

    fetched: int = 0
    stored_message_ids: list[int] = field(default_factory=list)
    violations: int = 0
    discarded: int = 0
    refused: int = 0
    skipped: int = 0
    seq: int = 0
    caught_up: bool = False
    busy: bool = False


@dataclass
class IngestResult:
    pages: int = 0
    fetched: int = 0
    stored: int = 0
    violations: int = 0
    discarded: int = 0
    refused: int = 0
    busy: bool = False
    configured: bool = True
    lag_seconds: float | None = None
    lag_level: str = LagLevel.OK


# --- opening records ---------------------------------------------------------------------------------


def _open(source: ArchiveSource, record: ArchiveRecord) -> _Opened | _Refused:
    """A record's message, or why it was refused; never raises for a bad record."""
    seq = int(record.get("seq", 0))
    msgid = str(record.get("msgid", ""))[:64]
    version: int | None = None
    try:
        version = int(record["publickey_ver"])
        random_key = random_key_decrypt(version=version, encrypt_random_key=str(record["encrypt_random_key"]))
        message = source.decrypt(random_key=random_key, encrypt_chat_msg=str(record["encrypt_chat_msg"]))
    except RecordKeyError as error:
        return _Refused(seq, msgid, version, error.reason, str(error), record)
    except RecordDecryptError as error:
        return _Refused(seq, msgid, version, RefusalReason.BAD_MESSAGE, str(error), record)
    except (KeyError, TypeError, ValueError) as error:
        return _Refused(seq, msgid, version, RefusalReason.MALFORMED, f"{type(error).__name__}: {error}", record)
    if str(message.get("msgid", "")) != msgid:
        return _Refused(seq, msgid, version, RefusalReason.MALFORMED, "the message's msgid is not the record's", record)
    return _Opened(seq, msgid, message)


def _open_all(source: ArchiveSource, records: list[ArchiveRecord]) -> list[_Opened | _Refused]:
    """Every record opened, in order; RSA releases the GIL, so threads share the cores."""
    threads = max(1, settings.ARCHIVE_DECRYPT_THREADS)
    if threads == 1 or len(records) < 50:
        return [_open(source, record) for record in records]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda record: _open(source, record), records, chunksize=64))


# --- who is in a message, and whether they agreed ---------------------------------------------------


def _is_external(userid: str) -> bool:
    return userid.startswith(EXTERNAL_PREFIXES)


@dataclass(frozen=True)
class _Message:
    opened: _Opened
    kind: str
    chat_key: str
    roomid: str
    staff_userid: str
    external_userid: str
    externals: tuple[str, ...]
    sent_at: datetime


def _classify(opened: _Opened) -> _Message | None:
    """The chat a message belongs to; None for what is not a chat message (e.g. action "switch")."""
    message = opened.message
    if message.get("action") not in ("send", "recall") or "from" not in message or "msgtime" not in message:
        return None
    sender = str(message["from"])
    tolist = [str(u) for u in message.get("tolist") or []]
    people = [sender, *tolist]
    externals = tuple(dict.fromkeys(u for u in people if _is_external(u)))
    staff = [u for u in people if not _is_external(u) and not u.startswith("wb")]
    sent_at = datetime.fromtimestamp(int(message["msgtime"]) / 1000, tz=UTC)
    roomid = str(message.get("roomid") or "")
    staff_userid = sender if not _is_external(sender) else (staff[0] if staff else "")
    if roomid:
        return _Message(opened, ChatKind.GROUP, roomid, roomid, staff_userid, "", externals, sent_at)
    external = externals[0] if externals else ""
    key = f"{staff_userid}|{external}"
    return _Message(opened, ChatKind.SINGLE, key, "", staff_userid, external, externals, sent_at)


def _agreed_by_wecom(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """WeCom's agree status of each (member, contact) pair, cached in Redis for ARCHIVE_AGREE_CACHE_SECONDS."""
    if not pairs:
        return {}
    ordered = sorted(pairs)
    redis = redis_client()
    keys = [f"archive:agree:{userid}|{external}" for userid, external in ordered]
    cached = redis.mget(keys)
    agreed: dict[tuple[str, str], bool] = {}
    unknown = []
    for pair, value in zip(ordered, cached, strict=True):
        if value is None:
            unknown.append(pair)
        else:
            agreed[pair] = value in (b"1", "1")
    for start in range(0, len(unknown), AGREE_CHUNK):
        answer = wecom().check_single_agree(unknown[start : start + AGREE_CHUNK])
        pipe = redis.pipeline()
        for pair, ok in answer.items():
            agreed[pair] = ok
            pipe.set(f"archive:agree:{pair[0]}|{pair[1]}", "1" if ok else "0", ex=settings.ARCHIVE_AGREE_CACHE_SECONDS)
        pipe.execute()
    return agreed


def _consenting(messages: list[_Message]) -> tuple[set[tuple[str, str]], dict[str, int | None]]:
    """The (member, contact) pairs that may be archived, and each contact's linked customer."""
    externals = sorted({e for m in messages for e in m.externals})
    linked = customer_ids_by_external_userid(externals)
    customer_ids = [c for c in linked.values() if c is not None]
    agreeing_customers = set(
        customers_by_ids_for_system(customer_ids=customer_ids)
        .filter(chat_archive_consent=True)
        .values_list("id", flat=True)
    )
    pairs = {(m.staff_userid, e) for m in messages for e in m.externals}
    allowed = {(s, e) for s, e in pairs if linked.get(e) is not None and linked[e] in agreeing_customers}
    # The bank's record decides for a linked customer; WeCom's agree status for everyone else.
    ask = {(s, e) for s, e in pairs if linked.get(e) is None and s}
    allowed |= {pair for pair, ok in _agreed_by_wecom(ask).items() if ok}
    return allowed, linked


# --- storing -------------------------------------------------------------------------------------------


def _message_row(message: _Message) -> tuple[str, str, str, str, dict[str, Any], str]:
    """(sender kind, sender id, msgtype, text, media, revoked msgid) of one message."""
    raw = message.opened.message
    sender = str(raw["from"])
    sender_kind = SenderKind.CUSTOMER if _is_external(sender) else SenderKind.STAFF
    if sender.startswith("wb"):
        sender_kind = SenderKind.OTHER
    msgtype = str(raw.get("msgtype", ""))[:24]
    text, media, revoked = "", {}, ""
    body = raw.get(msgtype)
    if msgtype == "text" and isinstance(body, dict):
        text = str(body.get("content", ""))
    elif msgtype == "link" and isinstance(body, dict):
        text = f"{body.get('title', '')}\n{body.get('description', '')}".strip()
    elif msgtype in MEDIA_TYPES and isinstance(body, dict):
        media = {k: body[k] for k in MEDIA_FIELDS if k in body}
    elif msgtype == "revoke" and isinstance(body, dict):
        revoked = str(body.get("pre_msgid", ""))[:64]
    return sender_kind, sender[:64], msgtype, text, media, revoked


def _chats_upsert(messages: list[_Message], linked: dict[str, int | None]) -> dict[str, int]:
    """The chats of ``messages`` created or widened in one statement; their ids by chat key."""
    chats: dict[str, list[_Message]] = {}
    for message in messages:
        chats.setdefault(message.chat_key, []).append(message)
    staff_userids = {m.staff_userid for m in messages if m.staff_userid}
    staff_ids = dict(Staff.objects.filter(wecom_userid__in=staff_userids).values_list("wecom_userid", "id"))
    owners = group_owner_ids_by_chat_id([key for key, rows in chats.items() if rows[0].kind == ChatKind.GROUP])
    columns: dict[str, list[Any]] = {name: [] for name in ("kind", "key", "room", "staff", "suid", "euid", "cust")}
    first: list[datetime] = []
    last: list[datetime] = []
    for key, rows in chats.items():
        head = rows[0]
        staff_id = owners.get(key) if head.kind == ChatKind.GROUP else None
        columns["kind"].append(head.kind)
        columns["key"].append(key[:200])
        columns["room"].append(head.roomid[:64])
        columns["staff"].append(staff_id or staff_ids.get(head.staff_userid))
        columns["suid"].append(head.staff_userid[:64])
        columns["euid"].append(head.external_userid[:64])
        columns["cust"].append(linked.get(head.external_userid) if head.external_userid else None)
        first.append(min(m.sent_at for m in rows))
        last.append(max(m.sent_at for m in rows))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO risk_archivedchat
                (kind, chat_key, roomid, staff_id, staff_userid, external_userid, customer_id,
                 first_message_at, last_message_at, message_count)
            SELECT k, ck, r, s, su, eu, c, f, l, 0
            FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::bigint[],
                        %s::timestamptz[], %s::timestamptz[]) AS t(k, ck, r, s, su, eu, c, f, l)
            ON CONFLICT (chat_key) DO UPDATE SET
                first_message_at = LEAST(risk_archivedchat.first_message_at, EXCLUDED.first_message_at),
                last_message_at = GREATEST(risk_archivedchat.last_message_at, EXCLUDED.last_message_at),
                staff_id = COALESCE(risk_archivedchat.staff_id, EXCLUDED.staff_id),
                customer_id = COALESCE(risk_archivedchat.customer_id, EXCLUDED.customer_id)
            RETURNING chat_key, id
            """,
            [*columns.values(), first, last],
        )
        return dict(cursor.fetchall())


def _messages_insert(messages: list[_Message], chat_ids: dict[str, int]) -> list[int]:
    """The page's messages in one INSERT; the ids stored (a message already stored is skipped).

    The rows travel as one JSON document (``jsonb_to_recordset``): quoting a dozen arrays of
    a thousand values each cost more than the insert itself.
    """
    rows = []
    for message in messages:
        sender_kind, sender_id, msgtype, text, media, revoked = _message_row(message)
        rows.append(
            {
                "msgid": message.opened.msgid,
                "seq": message.opened.seq,
                "sent_at": message.sent_at.isoformat(),
                "chat_id": chat_ids[message.chat_key[:200]],
                "sender_kind": sender_kind,
                "sender_id": sender_id,
                "msgtype": msgtype,
                "text": text,
                "media": media,
                "revoked_msgid": revoked,
            }
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH stored AS (
                INSERT INTO risk_archivedmessage
                    (msgid, seq, sent_at, chat_id, sender_kind, sender_id, msgtype, text, media, revoked_msgid,
                     ingested_at)
                SELECT msgid, seq, sent_at, chat_id, sender_kind, sender_id, msgtype, text, media, revoked_msgid, %s
                FROM jsonb_to_recordset(%s::jsonb) AS t(
                    msgid text, seq bigint, sent_at timestamptz, chat_id bigint, sender_kind text, sender_id text,
                    msgtype text, text text, media jsonb, revoked_msgid text)
                ON CONFLICT DO NOTHING
                RETURNING id, chat_id
            ), counted AS (
                UPDATE risk_archivedchat AS chat SET message_count = chat.message_count + n.count
                FROM (SELECT chat_id, count(*) AS count FROM stored GROUP BY chat_id) AS n
                WHERE chat.id = n.chat_id
            )
            SELECT id FROM stored ORDER BY id
            """,
            [timezone.now(), json.dumps(rows, ensure_ascii=False)],
        )
        return [row[0] for row in cursor.fetchall()]


def _refusals_record(corp_id: str, refused: list[_Refused]) -> None:
    for refusal in refused:
        # Logged without the ciphertext or any content: which record, and why.
        logger.error(
            "archive record refused corp=%s seq=%s msgid=%s publickey_ver=%s reason=%s: %s",
            corp_id,
            refusal.seq,
            refusal.msgid,
            refusal.publickey_ver,
            refusal.reason,
            refusal.detail,
        )
    ArchiveRefusedRecord.objects.bulk_create(
        [
            ArchiveRefusedRecord(
                corp_id=corp_id,
                seq=r.seq,
                msgid=r.msgid,
                publickey_ver=r.publickey_ver,
                reason=r.reason,
                detail=r.detail[:200],
                encrypt_random_key=str(r.record.get("encrypt_random_key", "")),
                encrypt_chat_msg=str(r.record.get("encrypt_chat_msg", "")),
            )
            for r in refused
        ],
        ignore_conflicts=True,
    )


def _cursor_advance(cursor: ArchiveCursor, result: PageResult, newest: datetime | None, fetched_at: datetime) -> None:
    """Move the cursor past the page, in the page's transaction."""
    updates: dict[str, Any] = {
        "seq": result.seq,
        "last_run_at": fetched_at,
        "last_error": "",
        "stored_count": F("stored_count") + len(result.stored_message_ids),
        "discarded_count": F("discarded_count") + result.discarded + result.skipped,
        "refused_count": F("refused_count") + result.refused,
        "updated_at": fetched_at,
    }
    if newest is not None and (cursor.last_message_at is None or newest > cursor.last_message_at):
        updates["last_message_at"] = newest
    if result.caught_up:
        updates["caught_up_at"] = fetched_at
    ArchiveCursor.objects.filter(pk=cursor.pk).update(**updates)


def archive_cursor(corp_id: str | None = None) -> ArchiveCursor:
    cursor, _ = ArchiveCursor.objects.get_or_create(corp_id=corp_id or settings.WECOM_CORP_ID)
    return cursor


@dataclass(frozen=True)
class _Fetched:
    """A page fetched and opened ahead, while the previous page was being stored."""

    after_seq: int
    records: list[ArchiveRecord]
    opened: list[_Opened | _Refused]


def _fetch_and_open(source: ArchiveSource, seq: int, limit: int) -> _Fetched:
    records = source.chat_data(seq=seq, limit=limit)
    return _Fetched(seq, records, _open_all(source, records))


def archive_page_ingest(
    *, source: ArchiveSource | None = None, corp_id: str | None = None, limit: int | None = None
) -> PageResult:
    """Fetch, open, filter and store one page after the cursor, and move the cursor, in one transaction.

    Returns what the page did; ``stored_message_ids`` are the new messages (for scanning).
    ``busy`` when another ingester holds the cursor. Raises ``ArchiveSourceError`` (or a WeCom
    error from the agree check) with nothing stored and the cursor unmoved.
    """
    result, _ = _page_ingest(source=source or archive_source(), corp_id=corp_id, limit=limit)
    return result


def _page_ingest(
    *,
    source: ArchiveSource,
    corp_id: str | None,
    limit: int | None,
    ahead: Future[_Fetched] | None = None,
    pool: ThreadPoolExecutor | None = None,
) -> tuple[PageResult, Future[_Fetched] | None]:
    """One page (see ``archive_page_ingest``); with a ``pool``, the next page is fetched and opened
    while this one is stored. A page fetched ahead is used only if it starts at the cursor."""
    corp_id = corp_id or settings.WECOM_CORP_ID
    limit = limit or settings.ARCHIVE_PAGE_LIMIT
    archive_cursor(corp_id)
    next_ahead: Future[_Fetched] | None = None
    with transaction.atomic():
        cursor = ArchiveCursor.objects.select_for_update(skip_locked=True).filter(corp_id=corp_id).first()
        if cursor is None:
            return PageResult(busy=True), None
        fetched_at = timezone.now()
        fetched: _Fetched | None = None
        if ahead is not None:
            try:
                fetched = ahead.result()
            except Exception:  # fetched again below, where a lasting error surfaces
                fetched = None
            if fetched is not None and (fetched.after_seq != cursor.seq or len(fetched.records) > limit):
                fetched = None
        records = fetched.records if fetched is not None else source.chat_data(seq=cursor.seq, limit=limit)
        result = PageResult(fetched=len(records), seq=cursor.seq, caught_up=len(records) < limit)
        if not records:
            _cursor_advance(cursor, result, None, fetched_at)
            return result, None
        result.seq = max(cursor.seq, *(int(r["seq"]) for r in records))
        if pool is not None and not result.caught_up:
            next_ahead = pool.submit(_fetch_and_open, source, result.seq, limit)
        opened = fetched.opened if fetched is not None else _open_all(source, records)
        refused = [o for o in opened if isinstance(o, _Refused)]
        messages: list[_Message] = []
        for item in opened:
            if isinstance(item, _Opened):
                classified = _classify(item)
                if classified is None:
                    result.skipped += 1
                else:
                    messages.append(classified)
        newest = max((m.sent_at for m in messages), default=None)
        # Staff-only chats are out of scope; the others need every external party's agreement.
        with_customers = [m for m in messages if m.externals]
        allowed, linked = _consenting(with_customers)
        kept = [m for m in with_customers if all((m.staff_userid, e) in allowed for e in m.externals)]
        result.discarded = len(messages) - len(kept)
        result.refused = len(refused)
        if refused:
            _refusals_record(corp_id, refused)
        if kept:
            chat_ids = _chats_upsert(kept, linked)
            result.stored_message_ids = _messages_insert(kept, chat_ids)
            # Scanned in the page's transaction: a crash repeats the page and its scan together.
            result.violations = violations_scan(result.stored_message_ids)
        _cursor_advance(cursor, result, newest, fetched_at)
    return result, next_ahead


def archive_ingest(*, source: ArchiveSource | None = None, max_pages: int | None = None) -> IngestResult:
    """Read the archive from the cursor to its end (or ``max_pages``), page by page; one ingester at a time.

    Partitions are ensured first, so no message falls into the DEFAULT partition. The lag
    alarm is checked at the end, whatever happened.
    """
    total = IngestResult()
    if source is None and not archive_configured():
        total.configured = False
        return total
    with connection.cursor() as db:
        db.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_LOCK_KEY])
        if not db.fetchone()[0]:
            total.busy = True
            return total
    try:
        archive_partitions_ensure()
        source = source or archive_source()
        ahead: Future[_Fetched] | None = None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-ahead")
        for _ in range(max_pages or settings.ARCHIVE_MAX_PAGES_PER_RUN):
            try:
                page, ahead = _page_ingest(source=source, corp_id=None, limit=None, ahead=ahead, pool=pool)
            except Exception as error:
                pool.shutdown(wait=False, cancel_futures=True)
                ArchiveCursor.objects.filter(corp_id=settings.WECOM_CORP_ID).update(
                    last_error=f"{type(error).__name__}: {error}"[:500], last_run_at=timezone.now()
                )
                logger.exception("archive ingestion stopped; the cursor stays where it was")
                raise
            if page.busy:
                total.busy = True
                break
            total.pages += 1
            total.fetched += page.fetched
            total.stored += len(page.stored_message_ids)
            total.violations += page.violations
            total.discarded += page.discarded + page.skipped
            total.refused += page.refused
            if page.caught_up:
                break
        pool.shutdown(wait=False, cancel_futures=True)
    finally:
        with connection.cursor() as db:
            db.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_LOCK_KEY])
        total.lag_seconds, total.lag_level = archive_lag_alarm()
    logger.info(
        "archive ingested pages=%s fetched=%s stored=%s violations=%s discarded=%s refused=%s",
        total.pages,
        total.fetched,
        total.stored,
        total.violations,
        total.discarded,
        total.refused,
    )
    return total


# --- the lag alarm ------------------------------------------------------------------------------------------


def archive_lag(cursor: ArchiveCursor, *, now: datetime | None = None) -> float | None:
    """Seconds of archive not yet read: now − the later of "read to the end at" and "newest message read".

    None before the first run. WeCom forgets records after five days, so this must stay well under it.
    """
    marks = [t for t in (cursor.caught_up_at, cursor.last_message_at) if t is not None]
    if not marks:
        return None
    return max(0.0, ((now or timezone.now()) - max(marks)).total_seconds())


def archive_lag_level(lag_seconds: float | None) -> str:
    if lag_seconds is None:
        return LagLevel.OK
    if lag_seconds >= settings.ARCHIVE_LAG_CRITICAL_HOURS * 3600:
        return LagLevel.CRITICAL
    if lag_seconds >= settings.ARCHIVE_LAG_WARN_HOURS * 3600:
        return LagLevel.WARNING
    return LagLevel.OK


def archive_lag_alarm(*, now: datetime | None = None) -> tuple[float | None, str]:
    """The lag and its level, logged at error when it approaches WeCom's five-day limit."""
    cursor = ArchiveCursor.objects.filter(corp_id=settings.WECOM_CORP_ID).first()
    if cursor is None:
        return None, LagLevel.OK
    lag = archive_lag(cursor, now=now)
    level = archive_lag_level(lag)
    if level != LagLevel.OK and lag is not None:
        logger.error(
            "archive lag %s: %.1f hours behind (WeCom keeps 120 hours; warn at %s, critical at %s)",
            level,
            lag / 3600,
            settings.ARCHIVE_LAG_WARN_HOURS,
            settings.ARCHIVE_LAG_CRITICAL_HOURS,
        )
    return lag, level


# --- monthly partitions and retention -------------------------------------------------------------------------


@dataclass
class PartitionResult:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _month_add(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _month_start(year: int, month: int) -> datetime:
    # Months as the bank counts them (TIME_ZONE, China time).
    return timezone.make_aware(datetime(year, month, 1), timezone.get_default_timezone())


def partition_name(year: int, month: int) -> str:
    return f"{PARTITION_PREFIX}y{year:04d}m{month:02d}"


def archive_partitions() -> list[str]:
    """The monthly partitions of the message table, oldest first (the DEFAULT one left out)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname FROM pg_inherits
            JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE pg_inherits.inhparent = 'risk_archivedmessage'::regclass
            """
        )
        return sorted(name for (name,) in cursor.fetchall() if _PARTITION_NAME.match(name))


def _months(first: tuple[int, int], last: tuple[int, int]) -> Iterable[tuple[int, int]]:
    current = first
    while current <= last:
        yield current
        current = _month_add(*current, 1)


def _partition_create(year: int, month: int) -> None:
    """One month's partition (migration 0003's function, with the owner's rights); rows of that
    month waiting in DEFAULT move into it."""
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction must run
        # before PostgreSQL lets the table be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT risk_archive_partition_create(%s, %s, %s)", [year, month, settings.TIME_ZONE])


def _partition_drop(year: int, month: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT risk_archive_partition_drop(%s, %s)", [year, month])


def archive_partitions_ensure(*, today: date | None = None) -> PartitionResult:
    """Monthly partitions from the retention start to ARCHIVE_PARTITION_MONTHS_AHEAD months ahead;
    older ones detached and dropped (ARCHIVE_RETENTION_MONTHS, counting this month)."""
    today = today or timezone.localdate()
    this_month = (today.year, today.month)
    first = _month_add(*this_month, -(settings.ARCHIVE_RETENTION_MONTHS - 1))
    last = _month_add(*this_month, settings.ARCHIVE_PARTITION_MONTHS_AHEAD)
    result = PartitionResult()
    existing = set(archive_partitions())
    for name in sorted(existing):
        match = _PARTITION_NAME.match(name)
        if match and (int(match.group(1)), int(match.group(2))) < first:
            _partition_drop(int(match.group(1)), int(match.group(2)))
            result.dropped.append(name)
    with connection.cursor() as cursor:
        # A message dated before the retention start that waited in DEFAULT goes the same way.
        cursor.execute("DELETE FROM risk_archivedmessage_default WHERE sent_at < %s", [_month_start(*first)])
    for year, month in _months(first, last):
        if partition_name(year, month) not in existing:
            _partition_create(year, month)
            result.created.append(partition_name(year, month))
    if result.created or result.dropped:
        logger.info("archive partitions created=%s dropped=%s", len(result.created), len(result.dropped))
    return result


def archive_retention_start(*, today: date | None = None) -> datetime:
    today = today or timezone.localdate()
    return _month_start(*_month_add(today.year, today.month, -(settings.ARCHIVE_RETENTION_MONTHS - 1)))
