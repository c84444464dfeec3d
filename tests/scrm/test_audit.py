"""The audit trail is append-only and tamper-evident."""

import base64
import json

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, models, transaction

from campaigns.audit import ContentAuditAction
from channels.audit import ChannelAuditAction
from customers.audit import CustomerAuditAction
from scrm.audit import actions as audit_actions_module
from scrm.audit.actions import audit_action_label, audit_actions_register, audit_actions_registered
from scrm.audit.chain import GENESIS_HASH, chain_keys, event_hash
from scrm.audit.models import AuditAction, AuditEvent
from scrm.audit.selectors import audit_chain_verify, audit_digest_storage
from scrm.audit.services import audit_digest_export, audit_record
from tests.conftest import World
from tests.support.database_roles import owner_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def digests_of_this_test(settings, tmp_path) -> None:
    """Digests live outside the database, so the test's rollback would not remove them."""
    settings.STORAGES = {
        **settings.STORAGES,
        "audit_digests": {**settings.STORAGES["audit_digests"], "OPTIONS": {"location": str(tmp_path / "digests")}},
    }


def record_three(world: World) -> list[AuditEvent]:
    actor = world.hq_admin.user
    return [
        audit_record(actor=actor, action=AuditAction.LOGIN),
        audit_record(actor=actor, action=AuditAction.EXPORT, target_type="segment", target_id="7", data={"rows": 120}),
        audit_record(actor=actor, action=AuditAction.LOGOUT),
    ]


# Rewriting the trail takes the owner's rights, in a session of its own that sees only
# committed rows: the tests that tamper are transactional.
tampering = pytest.mark.django_db(transaction=True)


def tamper(sql: str, params: list[object]) -> None:
    """What a DBA with owner rights could do: switch the guard off, edit, switch it back."""
    with owner_session() as owner, owner.transaction():
        owner.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
        owner.execute(sql, params)
        owner.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_append_only")


def test_events_form_a_chain(world: World) -> None:
    first, second, third = record_three(world)

    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert audit_chain_verify().ok
    assert audit_chain_verify().checked == 3


def test_the_application_may_not_update_or_delete_the_trail(world: World) -> None:
    event = record_three(world)[0]

    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.LOGOUT)
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.LOGIN


@tampering
def test_the_database_refuses_updates_and_deletes_even_by_the_owner(world: World) -> None:
    event = record_three(world)[0]

    with owner_session() as owner:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            owner.execute("UPDATE audit_auditevent SET action = 'logout' WHERE id = %s", [event.pk])
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            owner.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.LOGIN


@tampering
def test_an_altered_row_is_named_by_the_verifier(world: World) -> None:
    record_three(world)
    tamper("UPDATE audit_auditevent SET data = %s WHERE sequence = 2", ['{"rows": 1}'])

    result = audit_chain_verify()

    assert (result.ok, result.broken_sequence, result.checked) == (False, 2, 1)
    assert result.reason == "content does not match its hash"
    with pytest.raises(CommandError, match="broken at row 2"):
        call_command("verify_audit_log")


@tampering
def test_a_removed_row_is_named_by_the_verifier(world: World) -> None:
    record_three(world)
    tamper("DELETE FROM audit_auditevent WHERE sequence = %s", [2])

    result = audit_chain_verify()

    assert (result.broken_sequence, result.reason) == (2, "row 2 is missing")


@tampering
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


def test_an_app_registers_a_new_action_without_a_migration(world: World, monkeypatch) -> None:
    # The registry is the process's: the example action must not outlive this test.
    monkeypatch.setattr(audit_actions_module, "_owners", dict(audit_actions_module._owners))
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


# --- Keyed chain, signed digests ------------------------------------------------------------


def rewrite_row(sequence: int, *, data: dict, key: bytes | None) -> None:
    """An attacker's rewrite of one row that recomputes its hash and every hash after it."""
    prev_hash = AuditEvent.objects.get(sequence=sequence - 1).hash if sequence > 1 else GENESIS_HASH
    for event in AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"):
        if event.sequence == sequence:
            event.data = data
        fields = {name: getattr(event, name) for name in ("sequence", "occurred_at", "actor_id", "actor_username")}
        fields |= {name: getattr(event, name) for name in ("action", "target_type", "target_id", "data", "ip_address")}
        digest = event_hash(prev_hash=prev_hash, key=key, **fields)
        tamper(
            "UPDATE audit_auditevent SET data = %s, prev_hash = %s, hash = %s WHERE sequence = %s",
            [json.dumps(event.data), prev_hash, digest, event.sequence],
        )
        prev_hash = digest


@tampering
def test_the_database_refuses_truncate(world: World) -> None:
    """Even for the owner, who may empty tables: the statement trigger refuses."""
    record_three(world)
    with owner_session() as owner, owner.transaction(force_rollback=True):
        # Off in the test database only, so that transactional tests can be flushed (conftest).
        owner.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_truncate")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            owner.execute("TRUNCATE audit_auditevent")

    assert AuditEvent.objects.count() == 3


def test_each_row_is_keyed_and_names_its_key(world: World) -> None:
    first = record_three(world)[0]

    assert first.key_id == chain_keys().current_id
    fields = {name: getattr(first, name) for name in ("sequence", "occurred_at", "actor_id", "actor_username")}
    fields |= {name: getattr(first, name) for name in ("action", "target_type", "target_id", "data", "ip_address")}
    assert first.hash != event_hash(prev_hash=GENESIS_HASH, key=None, **fields)


@tampering
def test_a_rewrite_without_the_key_is_named_even_when_every_later_hash_was_recomputed(world: World) -> None:
    record_three(world)
    rewrite_row(2, data={"rows": 1}, key=b"a guessed key, not the chain key!")

    result = audit_chain_verify()

    assert (result.broken_sequence, result.reason) == (2, "content does not match its hash")


@tampering
def test_a_keyless_rewrite_after_keyed_rows_is_a_downgrade(world: World) -> None:
    record_three(world)
    tamper("UPDATE audit_auditevent SET key_id = '' WHERE sequence >= 2", [])
    rewrite_row(2, data={"rows": 1}, key=None)

    result = audit_chain_verify()

    assert (result.broken_sequence, result.reason) == (2, "has no chain key after keyed rows (downgraded)")


@tampering
def test_a_rewrite_by_a_holder_of_the_chain_key_is_caught_by_the_signed_digest(world: World) -> None:
    record_three(world)
    assert audit_digest_export() == "audit-digest-000000000003.json"
    keys = chain_keys()
    rewrite_row(2, data={"rows": 1}, key=keys.keys[keys.current_id])

    result = audit_chain_verify()

    assert result.checked == 3  # the chain itself now verifies
    assert result.broken_sequence == 2
    assert "signed digest audit-digest-000000000003.json" in result.reason
    with pytest.raises(CommandError, match="broken at row 2"):
        call_command("verify_audit_log")


def test_a_forged_digest_is_refused(world: World) -> None:
    record_three(world)
    name = audit_digest_export()
    storage = audit_digest_storage()
    document = json.loads(storage.open(name).read())
    document["statement"]["hashes"][1][1] = "0" * 64
    storage.delete(name)
    storage.save(name, ContentFile(json.dumps(document).encode()))

    result = audit_chain_verify()

    assert (result.broken_sequence, result.reason) == (1, f"signed digest {name} has no valid signature")


def test_digests_cover_each_row_once_and_a_repeated_export_writes_nothing(world: World) -> None:
    record_three(world)
    first = audit_digest_export()
    again = audit_digest_export()
    audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)
    second = audit_digest_export()

    assert (first, again, second) == ("audit-digest-000000000003.json", None, "audit-digest-000000000004.json")
    later = json.loads(audit_digest_storage().open(second).read())["statement"]
    assert [sequence for sequence, _ in later["hashes"]] == [4]
    result = audit_chain_verify()
    assert (result.ok, result.digests_checked) == (True, 2)


def test_a_rotated_key_keeps_old_rows_verifying(world: World, settings) -> None:
    record_three(world)
    new_key = base64.b64encode(b"n" * 32).decode()
    settings.AUDIT_CHAIN_KEYS = f"k2:{new_key},{settings.AUDIT_CHAIN_KEYS}"

    fourth = audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)

    assert fourth.key_id == "k2"
    assert audit_chain_verify().ok
    settings.AUDIT_CHAIN_KEYS = f"k2:{new_key}"
    result = audit_chain_verify()
    assert result.broken_sequence == 1
    assert "not configured" in result.reason


def test_the_verify_command_reports_the_digests_it_matched(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    record_three(world)
    audit_digest_export()

    call_command("verify_audit_log")

    assert "3 rows verified, 1 signed digests match" in capsys.readouterr().out
