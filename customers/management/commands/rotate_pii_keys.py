from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.services import pii_rotate_keys
from scrm.core.exceptions import ApplicationError
from scrm.pii import primary_key_id


class Command(BaseCommand):
    help = (
        "Re-seal customer PII under the primary key of PII_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones listed, run this, then retire the old keys. "
        "Safe to interrupt and run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per transaction (default 5000)")

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        try:
            rewritten = pii_rotate_keys(batch_size=batch_size)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"{rewritten} customers re-sealed under key {primary_key_id()!r}"))
