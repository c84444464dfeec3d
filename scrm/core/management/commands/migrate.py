"""``migrate`` as the schema owner, then the application's privileges on what it created."""

from typing import Any

from django.core.management.commands import migrate

from scrm.core.database_roles import application_privileges_grant, connected_as_owner


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        with connected_as_owner(options["database"]):
            super().handle(*args, **options)
            application_privileges_grant(options["database"])
