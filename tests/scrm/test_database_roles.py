"""The application connects as a role that can read and write rows, and nothing more.

The tests themselves run as that role (conftest); migrations ran as the owner.
"""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, connection, transaction

from scrm.core.checks import application_database_role_check
from scrm.core.database_roles import connection_credentials_swap
from tests.conftest import World
from tests.support.database_roles import owner_session

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(settings.DATABASE_OWNER is None, reason="one database role configured (no DATABASE_OWNER_URL)"),
]


def scalar(sql: str, params: list[object] | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def refused(sql: str) -> str:
    """The database's error for ``sql`` run as the application; nothing it did is kept."""
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(error.value)


def test_the_application_is_not_a_superuser_and_owns_no_table() -> None:
    assert connection.settings_dict["USER"] == settings.DATABASE_APPLICATION_ROLE
    assert scalar("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user") is False
    assert (
        scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'audit_auditevent'")
        == (settings.DATABASE_OWNER["USER"])
    )
    owned = scalar(
        "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    )
    assert owned == 0


def test_on_the_audit_table_it_holds_select_and_insert_only() -> None:
    privileges = {
        privilege: scalar("SELECT has_table_privilege(current_user, 'audit_auditevent', %s)", [privilege])
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")
    }

    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
        "TRIGGER": False,
        "REFERENCES": False,
    }


def test_it_cannot_empty_the_trail_switch_its_triggers_off_or_replicate_past_them(world: World) -> None:
    assert "permission denied" in refused("TRUNCATE audit_auditevent")
    assert "must be owner" in refused("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
    assert "must be owner" in refused("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    assert "permission denied" in refused("SET session_replication_role = replica")
    assert "must be owner" in refused("DROP TABLE audit_auditevent")
    assert scalar("SHOW session_replication_role") == "origin"


def test_it_cannot_change_the_schema() -> None:
    assert "permission denied" in refused("CREATE TABLE intruder (id int)")
    assert "must be owner" in refused("ALTER TABLE customers_customer ADD COLUMN intruder int")
    assert "permission denied" in refused("CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'")


def test_every_other_table_is_readable_and_writable_but_never_truncatable() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, has_table_privilege(current_user, oid, 'SELECT, INSERT, UPDATE, DELETE') AS rows, "
            "has_table_privilege(current_user, oid, 'TRUNCATE') AS truncate "
            "FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') "
            "AND relname <> 'audit_auditevent'"
        )
        tables = cursor.fetchall()

    assert len(tables) > 30
    assert [name for name, rows, _ in tables if not rows] == []
    assert [name for name, _, truncate in tables if truncate] == []


@pytest.mark.django_db(transaction=True)
def test_migrate_grants_a_new_table_the_row_privileges_and_keeps_the_audit_table_narrowed() -> None:
    """A table some later migration creates (here: by the owner's hand) is the application's after migrate."""
    with owner_session() as owner:
        owner.execute("CREATE TABLE core_arrival (id int)")
    try:
        assert scalar("SELECT has_table_privilege(current_user, 'core_arrival', 'SELECT')") is False

        call_command("migrate", verbosity=0)

        assert scalar("SELECT has_table_privilege(current_user, 'core_arrival', 'SELECT, INSERT, UPDATE, DELETE')")
        assert scalar("SELECT has_table_privilege(current_user, 'audit_auditevent', 'UPDATE')") is False
        assert connection.settings_dict["USER"] == settings.DATABASE_APPLICATION_ROLE
    finally:
        with owner_session() as owner:
            owner.execute("DROP TABLE core_arrival")


def test_the_system_check_passes_for_the_application_role() -> None:
    assert application_database_role_check(databases=["default"]) == []


@pytest.mark.django_db(transaction=True)
def test_the_system_check_warns_of_a_role_that_owns_the_tables(settings) -> None:
    """As the owner with no owner configured, the check sees a role that owns the tables."""
    settings.DATABASE_OWNER, owner = None, settings.DATABASE_OWNER
    replaced = connection_credentials_swap("default", owner)
    try:
        messages = application_database_role_check(databases=["default"])
    finally:
        connection_credentials_swap("default", replaced)

    assert [message.id for message in messages] == ["core.W001"]


@pytest.mark.django_db(transaction=True)
def test_the_system_check_refuses_a_superuser(settings) -> None:
    """The embedded cluster's bootstrap superuser stands in for a deployment that connects as one."""
    replaced = connection_credentials_swap("default", {**settings.DATABASE_OWNER, "USER": "postgres"})
    try:
        try:
            connection.ensure_connection()
        except OperationalError:
            pytest.skip("no superuser named postgres reachable on this database server")
        messages = application_database_role_check(databases=["default"])
    finally:
        connection_credentials_swap("default", replaced)

    assert [message.id for message in messages] == ["core.E001"]
