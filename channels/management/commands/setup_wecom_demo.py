from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from channels.demo import (
    demo_channel_codes_create,
    demo_customer_for_verification,
    demo_customer_group_create,
    demo_sandbox_directory_upsert,
    demo_wecom_customers_link,
    demo_wecom_directory_write,
)
from scrm.core.exceptions import ApplicationError
from scrm.pii import mask_phone


class Command(BaseCommand):
    help = (
        "For the demo against the local WeCom sandbox: write the staff directory the sandbox reads, "
        "then create the demo channel codes (once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--directory", type=Path, required=True, help="the sandbox's --directory file")
        parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the sandbox (default 30)")

    def handle(self, *args: Any, directory: Path, wait: float, **options: Any) -> None:
        if not settings.WECOM_SANDBOX_URL:
            raise CommandError("WECOM_SANDBOX_URL is not set: this command only prepares the sandbox demo.")
        written = demo_wecom_directory_write(directory)
        try:
            demo_sandbox_directory_upsert(written, wait_seconds=wait)
            codes = demo_channel_codes_create()
            linked = demo_wecom_customers_link()
            group = demo_customer_group_create()
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"WeCom sandbox: {len(written['users'])} staff, {len(codes)} demo channel codes.")
        if linked:
            self.stdout.write(
                f"  {linked} of the demo RM's customers are now their WeCom contacts (campaigns reach them)."
            )
        if group:
            self.stdout.write(
                f"  Their customer group {group.name} ({group.member_count} members) takes group campaigns."
            )
        for code in codes:
            self.stdout.write(f"  {code.name}: scan it at {settings.WECOM_SANDBOX_URL}/sandbox/scan/{code.config_id}")
        customer = demo_customer_for_verification()
        if customer:
            # The phone is masked here as in every log; the full one is a revealed, audited read.
            page = f"{settings.PUBLIC_BASE_URL}{reverse('customer-page', args=[customer.customer_no])}"
            self.stdout.write(
                f"  To verify as a demo customer, use customer number {customer.customer_no} "
                f"and their phone ({mask_phone(customer.phone)}): reveal it on {page}."
            )
