"""``flush`` as the schema owner: the application role may not empty tables (the audit table least)."""

from typing import Any

from django.core.management.commands import flush

from scrm.core.database_roles import connected_as_owner


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with connected_as_owner(options["database"]):
            super().handle(**options)
