"""Receiving WeCom callbacks and processing them: verify → store → acknowledge → handle.

Receiving (the web request) does the least that makes the event safe: check the
signature, decrypt, check the timestamp window, parse, claim the nonce, and store the
plaintext with one ``INSERT … ON CONFLICT`` into the inbox. The handler runs later on a
realtime worker (``channels.callback_process``), so WeCom gets its empty 200 within
milliseconds, far inside its 5 s limit.

Processing runs a row's handler outside any long transaction, because handlers call
WeCom: a session-level advisory lock on the row keeps a second worker (or a redelivered
task message) out while the handler runs, and goes away by itself if the worker dies,
leaving the row retryable. See docs/callbacks.md.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from channels.callbacks.handlers import handler_for
from channels.callbacks.publish import task_publish
from channels.callbacks.replay import nonce_claim, nonce_release
from channels.callbacks.selectors import callback_inbox_stale_ids
from channels.models import CallbackInbox, InboxStatus
from channels.wecom.crypto import CallbackCrypto, CallbackDecryptError, CallbackSignatureError
from channels.wecom.events import EventParseError, WeComEvent, message_type, parse_event

logger = logging.getLogger(__name__)

# A row is tried this many times (each claim counts, including a worker that died
# mid-handler); then it stays failed, with its error, for an operator to look at.
MAX_ATTEMPTS = 5
# Celery retries a failed row after 30 s, 60 s, 120 s, 240 s (capped at 10 minutes).
RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 600
# A row still "received" this long after it arrived lost its task message: re-enqueue.
SWEEP_RECEIVED_AFTER = timedelta(seconds=60)

_ERROR_MAX_CHARS = 2000
# Session-level advisory lock key: this namespace in the top 16 bits, the row id below.
_LOCK_NAMESPACE = 0x5C0B


class CallbackRejectedError(Exception):
    """A callback refused before anything was stored: answer ``status`` with ``reason``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class CallbackReceipt:
    inbox_id: int | None  # None: a message of a type not handled, dropped by configuration
    created: bool  # False: a redelivery of an event already in the inbox
    enqueued: bool


# --- Receiving ----------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _crypto(token: str, encoding_aes_key: str, corp_id: str) -> CallbackCrypto:
    return CallbackCrypto(token=token, encoding_aes_key=encoding_aes_key, receive_id=corp_id)


def callback_crypto() -> CallbackCrypto:
    """The crypto for this corp's callback token and key (built once per configuration)."""
    return _crypto(settings.WECOM_CALLBACK_TOKEN, settings.WECOM_CALLBACK_AES_KEY, settings.WECOM_CORP_ID)


def _require(**params: str | None) -> dict[str, str]:
    missing = [name for name, value in params.items() if not value]
    if missing:
        raise CallbackRejectedError(400, f"missing {', '.join(missing)}")
    return {name: str(value) for name, value in params.items()}


def callback_url_verify(
    *, msg_signature: str | None, timestamp: str | None, nonce: str | None, echostr: str | None
) -> str:
    """WeCom's GET check when the callback URL is saved: the decrypted echostr, to be echoed back."""
    params = _require(msg_signature=msg_signature, timestamp=timestamp, nonce=nonce, echostr=echostr)
    try:
        return callback_crypto().verify_url(**params)
    except CallbackSignatureError as error:
        raise CallbackRejectedError(403, "signature mismatch") from error
    except CallbackDecryptError as error:
        raise CallbackRejectedError(400, f"undecryptable echostr: {error}") from error


def _check_age(timestamp: str, now: float) -> None:
    max_age = settings.WECOM_CALLBACK_MAX_AGE_SECONDS
    try:
        sent_at = int(timestamp)
    except ValueError as error:
        raise CallbackRejectedError(400, "timestamp is not a number") from error
    # Compared as numbers, not subtracted: a timestamp of hundreds of digits overflows a float.
    if max_age > 0 and not now - max_age <= sent_at <= now + max_age:
        raise CallbackRejectedError(400, f"timestamp outside the {max_age} s window")


def callback_receive(
    *,
    body: bytes,
    msg_signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    now: float | None = None,
) -> CallbackReceipt:
    """Verify one POSTed callback and store it in the inbox; raise CallbackRejectedError to refuse it.

    The checks run cheapest-to-forge last: the signature first, so that a forged request
    can never burn a genuine nonce; then decryption and the timestamp window; the nonce
    is claimed last, so that a refused request changes nothing at all. Whatever passes
    the signature is WeCom's and is acknowledged: a type without a handler is stored as
    not handled (or dropped, by ``WECOM_CALLBACK_NOT_HANDLED``), never refused.
    """
    params = _require(msg_signature=msg_signature, timestamp=timestamp, nonce=nonce)
    try:
        plaintext = callback_crypto().decrypt_callback(body=body, **params)
    except CallbackSignatureError as error:
        raise CallbackRejectedError(403, "signature mismatch") from error
    except CallbackDecryptError as error:
        raise CallbackRejectedError(400, f"undecryptable body: {error}") from error
    _check_age(params["timestamp"], time.time() if now is None else now)
    try:
        event: WeComEvent | None = parse_event(plaintext)
    except EventParseError:
        # Signed and decrypted, so it is WeCom's: acknowledged, or WeCom retries it and
        # in time flags the callback URL, even though the product cannot read it.
        event = None
    handled = event is not None and handler_for(event.event, event.change_type) is not None
    kind = message_type(event)
    if not handled:
        logger.info("wecom callback not handled type=%s", kind)
        if settings.WECOM_CALLBACK_NOT_HANDLED == "drop":
            return CallbackReceipt(inbox_id=None, created=False, enqueued=False)

    if not _nonce_fresh(params["nonce"], params["msg_signature"]):
        raise CallbackRejectedError(409, "nonce already used")
    initial_status = InboxStatus.RECEIVED if handled else InboxStatus.NOT_HANDLED
    try:
        inbox_id, created, status = _inbox_upsert(
            plaintext,
            # A plain message has no Event: its row is named by its kind (msg:text).
            event=event.event if event is not None and event.event else kind,
            change_type=event.change_type if event is not None else "",
            status=initial_status,
        )
    except BaseException:
        # Nothing was stored: let WeCom's retry of this very request through.
        with suppress(RedisError):
            nonce_release(nonce=params["nonce"], msg_signature=params["msg_signature"])
        raise
    # A redelivery of an event that is processed (or failing, with its own retries)
    # needs no second task; one still waiting gets another, in case the first was lost.
    enqueued = status == InboxStatus.RECEIVED
    if enqueued:
        _enqueue_after_commit(inbox_id)
    return CallbackReceipt(inbox_id=inbox_id, created=created, enqueued=enqueued)


def _nonce_fresh(nonce: str, msg_signature: str) -> bool:
    """The replay check; open when Redis is unreachable.

    Refusing every callback while Redis restarts would lose events once WeCom's three
    attempts are spent. Accepting them is safe: a replay still collapses onto the row
    of the event it repeats (the digest), so it can count a delivery but never be
    handled twice.
    """
    try:
        return nonce_claim(
            nonce=nonce, msg_signature=msg_signature, max_age_seconds=settings.WECOM_CALLBACK_MAX_AGE_SECONDS
        )
    except RedisError:
        logger.warning("wecom callback replay check unavailable: accepted on the inbox's dedupe")
        return True


def _inbox_upsert(plaintext: str, *, event: str, change_type: str, status: str) -> tuple[int, bool, str]:
    """One statement: insert the event, or count one more delivery of the same event.

    The digest is over the whole decrypted XML, not (sender, CreateTime): WeCom's retry
    carries the same plaintext, while two distinct events in the same second do not.
    """
    digest = hashlib.sha256(plaintext.encode("utf-8")).hexdigest()
    # PostgreSQL text cannot hold NUL; the digest stays that of what WeCom sent.
    body = plaintext.replace("\x00", "\ufffd")
    table = connection.ops.quote_name(CallbackInbox._meta.db_table)
    sql = (
        f"INSERT INTO {table} "  # noqa: S608 - the table name is the model's, every value a parameter
        "(digest, event, change_type, body, status, deliveries, attempts, error, received_at) "
        "VALUES (%s, %s, %s, %s, %s, 1, 0, '', %s) "
        f"ON CONFLICT (digest) DO UPDATE SET deliveries = {table}.deliveries + 1 "
        "RETURNING id, deliveries, status"
    )
    params: list[str | datetime] = [
        digest,
        event[:64],
        change_type[:64],
        body,
        status,
        timezone.now(),
    ]
    inbox_id, deliveries, status = _execute_own_health_check(sql, params)
    return inbox_id, deliveries == 1, status


def _execute_own_health_check(sql: str, params: list[str | datetime]) -> tuple[int, int, str]:
    """Run the upsert, which is its own connection health check.

    ``CONN_HEALTH_CHECKS`` costs every request a ``SELECT 1`` round trip before its first
    query. The upsert skips it: if a connection kept from an earlier request turns out
    dead (PostgreSQL restarted meanwhile), the statement runs once more on a new one.
    Running it twice is safe: a statement that failed to reach the server stored
    nothing, and one whose connection died after the commit only counts one more
    delivery of its row the second time.
    """
    kept = connection.connection is not None and not connection.in_atomic_block
    if kept:
        connection.health_check_done = True  # type: ignore[attr-defined]  # Django's own flag, not in the stubs
        try:
            return _execute_one_row(sql, params)
        except (InterfaceError, OperationalError):
            connection.close()
    return _execute_one_row(sql, params)


def _execute_one_row(sql: str, params: list[str | datetime]) -> tuple[int, int, str]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row: tuple[int, int, str] = cursor.fetchone()
    return row


def _enqueue_after_commit(inbox_id: int) -> None:
    transaction.on_commit(partial(_enqueue, inbox_id))


def _enqueue(inbox_id: int) -> None:
    """Publish the task; if the broker stays unreachable the row is stored anyway, and the sweep sends it.

    One LPUSH on a kept connection (``channels.callbacks.publish``), with short retries
    (well under a second): a stale broker connection should not cost the sweep's minute
    when a welcome code lives 20 s.
    """
    from channels.callbacks import tasks  # the tasks module imports this one

    try:
        task_publish(tasks.callback_process_task, inbox_id)
    except Exception:  # kombu and redis raise several types; every one means "not sent"
        logger.warning("wecom callback not enqueued, left to the sweep inbox_id=%s", inbox_id)


# --- Processing ---------------------------------------------------------------------------


@contextmanager
def _processing_lock(inbox_id: int) -> Iterator[bool]:
    """Hold the row's advisory lock for the whole run; yields False when another worker has it.

    A session lock, not a row lock, so that no transaction stays open while the handler
    calls WeCom; PostgreSQL drops it with the connection of a worker that died.
    """
    key = (_LOCK_NAMESPACE << 48) | inbox_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (acquired,) = cursor.fetchone()
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                logger.warning("wecom callback lock not released inbox_id=%s", inbox_id)


def _claim(inbox_id: int) -> CallbackInbox | None:
    """Count one more attempt on a row that still needs handling; None when it is done."""
    with transaction.atomic():
        inbox = CallbackInbox.objects.select_for_update().filter(pk=inbox_id).first()
        if inbox is None or inbox.status in {InboxStatus.PROCESSED, InboxStatus.NOT_HANDLED}:
            return None
        if inbox.attempts >= MAX_ATTEMPTS:
            # e.g. a handler that kills its worker every time: stop, and say so.
            if inbox.status != InboxStatus.FAILED:
                inbox.status = InboxStatus.FAILED
                inbox.error = (inbox.error + f"\ngave up after {inbox.attempts} attempts").strip()
                inbox.save(update_fields=["status", "error"])
            return None
        inbox.attempts += 1
        inbox.save(update_fields=["attempts"])
    return inbox


def _finish(inbox: CallbackInbox, *, error: BaseException | None) -> None:
    if error is None:
        inbox.status, inbox.error, inbox.processed_at = InboxStatus.PROCESSED, "", timezone.now()
    else:
        inbox.status, inbox.error = InboxStatus.FAILED, f"{type(error).__name__}: {error}"[:_ERROR_MAX_CHARS]
    # Only this lock holder can change the row now; the filter is a second guard.
    CallbackInbox.objects.filter(pk=inbox.pk).exclude(status=InboxStatus.PROCESSED).update(
        status=inbox.status, error=inbox.error, processed_at=inbox.processed_at
    )


def callback_process(*, inbox_id: int) -> CallbackInbox | None:
    """Run the handler of one inbox row unless it is processed or being run; the row afterwards.

    Returns None when another worker holds the row (it will finish or fail it). Safe to
    call any number of times: a processed row is returned untouched.
    """
    with _processing_lock(inbox_id) as acquired:
        if not acquired:
            logger.info("wecom callback busy elsewhere inbox_id=%s", inbox_id)
            return None
        inbox = _claim(inbox_id)
        if inbox is None:
            return CallbackInbox.objects.filter(pk=inbox_id).first()
        try:
            event = parse_event(inbox.body)
            handler = handler_for(event.event, event.change_type)
            if handler is not None:
                handler(event)
        except Exception as error:  # any handler failure is recorded and retried
            # The error type only: messages may carry a customer's ids or names.
            logger.warning(
                "wecom callback failed inbox_id=%s attempt=%s error=%s", inbox.pk, inbox.attempts, type(error).__name__
            )
            _finish(inbox, error=error)
        else:
            _finish(inbox, error=None)
    return inbox


def callback_retry_delay(inbox: CallbackInbox) -> int | None:
    """Seconds until a failed row's next try, or None when it is done or out of attempts."""
    if inbox.status != InboxStatus.FAILED or inbox.attempts >= MAX_ATTEMPTS:
        return None
    return min(RETRY_BACKOFF_SECONDS * 2 ** max(inbox.attempts - 1, 0), RETRY_BACKOFF_MAX_SECONDS)


def _retry_schedule() -> timedelta:
    """The longest a failed row's Celery retries can take from its arrival, plus a minute."""
    delays = (min(RETRY_BACKOFF_SECONDS * 2**n, RETRY_BACKOFF_MAX_SECONDS) for n in range(MAX_ATTEMPTS))
    return timedelta(seconds=sum(delays)) + SWEEP_RECEIVED_AFTER


def callback_sweep(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue the rows whose task message was lost; the ids enqueued.

    A row still ``received`` a minute after it arrived, and a failed row under the
    attempt cap whose retry chain should have ended, are sent to a worker again. A row
    that is merely slow is safe to send again: its advisory lock keeps the second task out.
    """
    from channels.callbacks import tasks

    moment = timezone.now() if now is None else now
    ids = callback_inbox_stale_ids(
        received_before=moment - SWEEP_RECEIVED_AFTER,
        failed_before=moment - _retry_schedule(),
        max_attempts=MAX_ATTEMPTS,
    )
    for inbox_id in ids:
        tasks.callback_process_task.delay(inbox_id)
    if ids:
        logger.info("wecom callback sweep re-enqueued count=%s", len(ids))
    return ids
