from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.services import customer_surname_index_backfill
from scrm.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Build the surname blind index of customers written before it existed (name search by surname). "
        "Safe to interrupt and run again; a second run writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per transaction (default 5000)")

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        try:
            written = customer_surname_index_backfill(batch_size=batch_size)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"{written} customers indexed by surname"))
