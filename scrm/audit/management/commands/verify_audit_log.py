from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scrm.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's keyed chain and signed digests; exit non-zero naming the first broken row."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_chain_verify()
        if not result.ok:
            raise CommandError(
                f"audit log broken at row {result.broken_sequence}: {result.reason} "
                f"({result.checked} rows verified before it)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"audit log intact: {result.checked} rows verified, {result.digests_checked} signed digests match"
            )
        )
