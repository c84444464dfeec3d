"""Processing an inbox row: dispatch by (Event, ChangeType), at most one success, failures kept and retried."""

import datetime
import time

import pytest
from django.db import connection
from django.utils import timezone

from channels.callbacks import handlers, services, tasks
from channels.contacts import services as contact_services
from channels.contacts.tags import corp_tag_changed
from channels.groups.services import group_changed
from channels.models import CallbackInbox, InboxStatus
from channels.transfers.services import transfer_failed
from tests.channels.callbacks import recording
from tests.channels.callbacks.queue import captured
from tests.channels.callbacks.signing import contact_event

pytestmark = pytest.mark.django_db


def _row(xml: str | None = None, **fields) -> CallbackInbox:
    xml = xml or contact_event(external_user_id=f"wm{CallbackInbox.objects.count()}", create_time=1700000000)
    defaults = {"digest": f"{hash(xml):064x}"[-64:], "event": "change_external_contact", "body": xml}
    return CallbackInbox.objects.create(**{**defaults, **fields})


def test_the_handler_gets_the_parsed_event_and_the_row_is_marked_processed(recorder) -> None:
    inbox = _row(contact_event(external_user_id="wmABC", create_time=1700000000))

    result = services.callback_process(inbox_id=inbox.pk)

    assert result is not None
    inbox.refresh_from_db()
    assert (inbox.status, inbox.attempts, inbox.error) == (InboxStatus.PROCESSED, 1, "")
    assert inbox.processed_at is not None
    [event] = recorder
    assert (event.change_type, event.user_id, event.external_user_id, event.welcome_code) == (
        "add_external_contact",
        "zhangsan",
        "wmABC",
        "WELCOMECODE",
    )
    assert services.callback_retry_delay(result) is None


def test_a_processed_row_is_left_alone(recorder) -> None:
    inbox = _row(status=InboxStatus.PROCESSED, attempts=1)

    services.callback_process(inbox_id=inbox.pk)

    inbox.refresh_from_db()
    assert (inbox.status, inbox.attempts) == (InboxStatus.PROCESSED, 1)
    assert recorder == []


def test_a_handler_error_marks_the_row_failed_with_the_error_and_a_rerun_succeeds(monkeypatch, recorder) -> None:
    monkeypatch.setitem(
        handlers.HANDLERS,
        ("change_external_contact", "add_external_contact"),
        recording.fail_then_record,
    )
    recording.FAILURES_LEFT[0] = 1
    inbox = _row()

    failed = services.callback_process(inbox_id=inbox.pk)

    inbox.refresh_from_db()
    assert (inbox.status, inbox.attempts, inbox.error) == (InboxStatus.FAILED, 1, "RuntimeError: WeCom is busy (-1)")
    assert inbox.processed_at is None
    assert services.callback_retry_delay(failed) == services.RETRY_BACKOFF_SECONDS

    services.callback_process(inbox_id=inbox.pk)

    inbox.refresh_from_db()
    assert (inbox.status, inbox.attempts, inbox.error) == (InboxStatus.PROCESSED, 2, "")
    assert len(recorder) == 1


def test_retries_back_off_and_stop_at_the_attempt_cap(monkeypatch, recorder) -> None:
    monkeypatch.setitem(
        handlers.HANDLERS,
        ("change_external_contact", "add_external_contact"),
        recording.fail_then_record,
    )
    recording.FAILURES_LEFT[0] = 100
    inbox = _row()

    delays = []
    for _ in range(services.MAX_ATTEMPTS + 2):
        result = services.callback_process(inbox_id=inbox.pk)
        delays.append(services.callback_retry_delay(result))

    inbox.refresh_from_db()
    assert (inbox.status, inbox.attempts) == (InboxStatus.FAILED, services.MAX_ATTEMPTS)
    assert delays == [30, 60, 120, 240, None, None, None]
    assert recorder == []


def test_a_row_whose_worker_kept_dying_is_given_up_visibly(recorder) -> None:
    # A worker that dies mid-handler leaves the row received, its attempt counted.
    inbox = _row(attempts=services.MAX_ATTEMPTS)

    services.callback_process(inbox_id=inbox.pk)

    inbox.refresh_from_db()
    assert (inbox.status, inbox.attempts, inbox.error) == (InboxStatus.FAILED, 5, "gave up after 5 attempts")
    assert recorder == []


def test_an_event_without_a_handler_is_ignored_and_processed(recorder) -> None:
    xml = (
        "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000000</CreateTime>"
        "<MsgType>event</MsgType><Event>change_contact</Event><ChangeType>update_user</ChangeType></xml>"
    )
    inbox = _row(xml, event="change_contact")

    services.callback_process(inbox_id=inbox.pk)

    inbox.refresh_from_db()
    assert (inbox.status, inbox.error) == (InboxStatus.PROCESSED, "")
    assert recorder == []


def test_a_row_another_worker_is_running_is_skipped(recorder) -> None:
    inbox = _row()
    key = (services._LOCK_NAMESPACE << 48) | inbox.pk
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])

        assert services.callback_process(inbox_id=inbox.pk) is None

        inbox.refresh_from_db()
        assert (inbox.status, inbox.attempts) == (InboxStatus.RECEIVED, 0)
        assert recorder == []
    finally:
        other.close()

    # The lock goes with the other session (the server ends it a moment after the close).
    deadline = time.monotonic() + 10
    while services.callback_process(inbox_id=inbox.pk) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    inbox.refresh_from_db()
    assert inbox.status == InboxStatus.PROCESSED


def test_handlers_are_registered_for_every_change_type_wecom_documents() -> None:
    handler = handlers.handler_for
    assert handler("change_external_contact", "add_external_contact") is contact_services.contact_added
    assert handler("change_external_contact", "add_half_external_contact") is contact_services.contact_added
    assert handler("change_external_contact", "edit_external_contact") is contact_services.contact_edited
    assert handler("change_external_contact", "del_external_contact") is contact_services.contact_deleted_by_staff
    assert handler("change_external_contact", "del_follow_user") is contact_services.contact_deleted_by_customer
    assert handler("change_external_contact", "transfer_fail") is transfer_failed
    for change_type in ("create", "update", "dismiss"):
        assert handler("change_external_chat", change_type) is group_changed
    for change_type in ("create", "update", "delete", "shuffle"):
        assert handler("change_external_tag", change_type) is corp_tag_changed
    assert handler("change_external_contact", "msg_audit_approved") is contact_services.contact_archive_approved
    assert handler("change_contact", "update_user") is None


# --- Sweep ---------------------------------------------------------------------------------


def test_the_sweep_re_enqueues_rows_left_received_and_failed_rows_whose_retries_were_lost() -> None:
    now = timezone.now()
    fresh = _row()
    stale = _row()
    done = _row(status=InboxStatus.PROCESSED)
    failing = _row(status=InboxStatus.FAILED, attempts=2)
    lost_retry = _row(status=InboxStatus.FAILED, attempts=2)
    given_up = _row(status=InboxStatus.FAILED, attempts=services.MAX_ATTEMPTS)
    minute_ago = now - datetime.timedelta(seconds=61)
    hour_ago = now - datetime.timedelta(hours=1)
    CallbackInbox.objects.filter(pk__in=[stale.pk, done.pk, failing.pk]).update(received_at=minute_ago)
    CallbackInbox.objects.filter(pk__in=[lost_retry.pk, given_up.pk]).update(received_at=hour_ago)

    with captured(tasks.callback_process_task) as sent:
        swept = services.callback_sweep(now=now)

    assert swept == [stale.pk, lost_retry.pk]
    assert sent == [[stale.pk], [lost_retry.pk]]
    assert fresh.pk not in swept
