"""The audit trail is append-only and tamper-evident."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from scrm.audit.models import AuditAction, AuditEvent
from scrm.audit.selectors import audit_chain_verify
from scrm.audit.services import audit_record
from tests.conftest import World

pytestmark = pytest.mark.django_db


def record_three(world: World) -> list[AuditEvent]:
    actor = world.hq_admin.user
    return [
        audit_record(actor=actor, action=AuditAction.LOGIN),
        audit_record(actor=actor, action=AuditAction.EXPORT, target_type="segment", target_id="7", data={"rows": 120}),
        audit_record(actor=actor, action=AuditAction.LOGOUT),
    ]


def tamper(sql: str, params: list[object]) -> None:
    """What a DBA with owner rights could do: switch the guard off, edit, switch it back."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_append_only")


def test_events_form_a_chain(world: World) -> None:
    first, second, third = record_three(world)

    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert audit_chain_verify().ok
    assert audit_chain_verify().checked == 3


def test_the_database_refuses_updates_and_deletes(world: World) -> None:
    event = record_three(world)[0]

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.LOGOUT)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.LOGIN


def test_an_altered_row_is_named_by_the_verifier(world: World) -> None:
    record_three(world)
    tamper("UPDATE audit_auditevent SET data = %s WHERE sequence = 2", ['{"rows": 1}'])

    result = audit_chain_verify()

    assert (result.ok, result.broken_sequence, result.checked) == (False, 2, 1)
    assert result.reason == "content does not match its hash"
    with pytest.raises(CommandError, match="broken at row 2"):
        call_command("verify_audit_log")


def test_a_removed_row_is_named_by_the_verifier(world: World) -> None:
    record_three(world)
    tamper("DELETE FROM audit_auditevent WHERE sequence = %s", [2])

    result = audit_chain_verify()

    assert (result.broken_sequence, result.reason) == (2, "row 2 is missing")


def test_a_rehashed_row_still_breaks_the_link_to_its_successor(world: World) -> None:
    """Forging one row's hash is not enough: the next row points at the old hash."""
    record_three(world)
    tamper("UPDATE audit_auditevent SET hash = %s WHERE sequence = 2", ["f" * 64])

    result = audit_chain_verify()

    assert result.broken_sequence == 2


def test_verify_command_reports_an_intact_log(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    record_three(world)

    call_command("verify_audit_log")

    assert "3 rows verified" in capsys.readouterr().out
