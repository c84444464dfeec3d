"""System checks of the database role the application connects as (``check --database default``).

``migrate`` runs them too, connected as the owner: they are about the application's role, so
they stand aside then.
"""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections


@register(Tags.database)
def application_database_role_check(
    app_configs: Sequence[AppConfig] | None = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for alias in databases or []:
        connection = connections[alias]
        owner = settings.DATABASE_OWNER
        if owner is not None and connection.settings_dict["USER"] == owner["USER"]:
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                "AND relowner = r.oid) FROM pg_roles r WHERE rolname = current_user"
            )
            superuser, owns_tables = cursor.fetchone()
        if superuser:
            messages.append(
                Error(
                    f"Database {alias!r}: the application connects as a PostgreSQL superuser, "
                    "which can rewrite the audit trail.",
                    hint="Connect DATABASE_URL as a role with row privileges only; migrate with DATABASE_OWNER_URL.",
                    id="core.E001",
                )
            )
        elif owns_tables:
            messages.append(
                Warning(
                    f"Database {alias!r}: the application's role owns the tables, so it could switch "
                    "the audit table's triggers off.",
                    hint="Give the schema to an owner role and set DATABASE_OWNER_URL for migrate only.",
                    id="core.W001",
                )
            )
    return messages
