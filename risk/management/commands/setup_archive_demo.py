from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from risk.compliance.archive.demo import demo_chat_archive_create
from risk.compliance.archive.services import archive_ingest
from scrm.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "For the demo against the local WeCom sandbox: the corp's archive key pair, customers who agreed to "
        "chat archiving and their conversations with the demo RM (once), then one ingestion run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.WECOM_SANDBOX_URL:
            raise CommandError("WECOM_SANDBOX_URL is not set: this command only prepares the sandbox demo.")
        try:
            created = demo_chat_archive_create()
        except ApplicationError as error:
            raise CommandError(error.message) from error
        if created:
            self.stdout.write(
                f"Chat archive: {created.agreed} customers agreed, {created.messages} messages archived, "
                f"{created.not_agreed_messages} with a customer who did not agree (never stored); "
                f"the corp's private key is {created.key_path}."
            )
        result = archive_ingest()
        self.stdout.write(f"  Ingested {result.stored} messages, discarded {result.discarded}.")
