"""Two database roles: an owner that migrates, and the application that only reads and writes rows.

The web, workers and beat connect with ``DATABASE_URL`` as a role that is not a superuser
and owns nothing, so it cannot drop or alter a table, disable a trigger, or set
``session_replication_role``. Only the process that migrates is also given
``DATABASE_OWNER_URL``; ``migrate`` and ``flush`` switch to it for their run
(:func:`connected_as_owner`). After migrating, the owner grants the application row
privileges on every new table (:func:`application_privileges_grant`); an app whose table
takes appends only sets that table's own (:func:`application_privileges_append_only`).

Without ``DATABASE_OWNER_URL`` there is one role and all of this is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def connection_credentials_swap(using: str, credentials: dict[str, Any]) -> dict[str, Any]:
    """Reconnect ``using`` with other credentials from its next query on; returns the ones replaced.

    Not inside a transaction: the open connection is closed.
    """
    connection = connections[using]
    replaced = {key: connection.settings_dict[key] for key in CREDENTIALS}
    connection.close()
    connection.settings_dict.update(credentials)
    return replaced


@contextmanager
def connected_as_owner(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """For the block, ``using`` connects as the schema owner (when one is configured)."""
    owner: dict[str, Any] | None = settings.DATABASE_OWNER
    if owner is None:
        yield
        return
    replaced = connection_credentials_swap(using, owner)
    try:
        yield
    finally:
        connection_credentials_swap(using, replaced)


def _application_role(using: str) -> str | None:
    """The role to grant to, when it differs from the role connected now (the owner)."""
    role: str | None = settings.DATABASE_APPLICATION_ROLE
    if role is None or role == connections[using].settings_dict["USER"]:
        return None
    return role


def _execute(using: str, statements: list[sql.Composed]) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.as_string(connection.connection))


def application_privileges_grant(using: str = DEFAULT_DB_ALIAS) -> None:
    """Rows only on every table the application cannot read yet (a new one); every sequence's next values.

    Never TRUNCATE, REFERENCES or TRIGGER, and never ownership. A table whose privileges its
    app narrowed (it can be read) is left as it is, so the order of the two steps does not
    matter. Idempotent; ``migrate`` runs it at the end.
    """
    role_name = _application_role(using)
    if role_name is None:
        return
    role = sql.Identifier(role_name)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') "
            "AND NOT has_table_privilege(%s, c.oid, 'SELECT')",
            [role_name],
        )
        new_tables = [sql.Identifier(name) for (name,) in cursor.fetchall()]
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
    ]
    if new_tables:
        statements.append(
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(sql.SQL(", ").join(new_tables), role)
        )
    _execute(using, statements)


def application_privileges_append_only(table: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """The application may read and append to ``table``: never change, delete or empty it."""
    role_name = _application_role(using)
    if role_name is None:
        return
    role = sql.Identifier(role_name)
    table_name = sql.Identifier(table)
    _execute(
        using,
        [
            sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(table_name, role),
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}").format(table_name, role),
        ],
    )
