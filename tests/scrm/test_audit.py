"""The audit trail is append-only and tamper-evident."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, models, transaction

from campaigns.audit import ContentAuditAction
from channels.audit import ChannelAuditAction
from customers.audit import CustomerAuditAction
from scrm.audit.actions import audit_action_label, audit_actions_register, audit_actions_registered
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


# --- Actions are registered by the app that performs them --------------------------------


class _ExampleAction(models.TextChoices):
    PLANTED = "example.planted", "Planted"


def test_an_unregistered_action_is_refused_and_nothing_is_written(world: World) -> None:
    before = AuditEvent.objects.count()

    with pytest.raises(ValueError, match=r"unregistered audit action 'example\.nothing'"):
        audit_record(actor=world.hq_admin.user, action="example.nothing")

    assert AuditEvent.objects.count() == before


def test_an_app_registers_a_new_action_without_a_migration(world: World) -> None:
    audit_actions_register(_ExampleAction)

    event = audit_record(actor=world.hq_admin.user, action=_ExampleAction.PLANTED)

    assert AuditEvent.objects.get(pk=event.pk).action == "example.planted"
    assert audit_action_label("example.planted") == "Planted"
    assert audit_chain_verify().ok


def test_two_apps_cannot_declare_the_same_action() -> None:
    class Clash(models.TextChoices):
        LOGIN = AuditAction.LOGIN.value, "Someone else's sign-in"

    with pytest.raises(ImproperlyConfigured, match="declared by both AuditAction and Clash"):
        audit_actions_register(Clash)


def test_every_app_s_actions_are_registered_at_start_up() -> None:
    registered = set(audit_actions_registered())

    for actions in (AuditAction, CustomerAuditAction, ChannelAuditAction, ContentAuditAction):
        assert {str(action.value) for action in actions} <= registered
