"""Import a core-banking extract from the command line, inline, through the same service as uploads."""

import time
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from customers.imports.services import import_job_create, import_job_fail, import_job_run
from customers.models import ImportKind, ImportMode, JobStatus
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Role, Staff, StaffStatus


class Command(BaseCommand):
    help = (
        "Import customers or product holdings from a CSV or XLSX extract (column contract: docs/imports.md). "
        "Runs inline and prints the outcome and where the error report is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .csv or .xlsx extract")
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.CUSTOMERS)
        parser.add_argument(
            "--mode",
            choices=ImportMode.values,
            default=ImportMode.VALID_ROWS,
            help="valid_rows: import the valid rows and report the rest; all_or_nothing: any error rejects the file",
        )
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
        parser.add_argument(
            "--as",
            dest="username",
            help="the HQ admin the import is recorded for (default: the first active one)",
        )

    def handle(
        self, *args: Any, file: Path, kind: str, mode: str, dry_run: bool, username: str | None, **options: Any
    ) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        actor = self._actor(username)
        started = time.perf_counter()
        try:
            with file.open("rb") as handle:
                job = import_job_create(
                    file=File(handle),
                    original_name=file.name,
                    kind=ImportKind(kind),
                    mode=ImportMode(mode),
                    dry_run=dry_run,
                    actor=actor,
                    enqueue=False,
                )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        try:
            import_job_run(job_id=job.pk)
        except BaseException:
            import_job_fail(
                job_id=job.pk, message=_("The import stopped on an unexpected error; nothing was imported.")
            )
            raise
        elapsed = time.perf_counter() - started
        job.refresh_from_db()

        self.stdout.write(f"Import #{job.pk} of {file.name}: {job.get_status_display()} in {elapsed:.1f} s.")
        self.stdout.write(job.message)
        if job.processed_rows and elapsed > 0:
            self.stdout.write(f"{job.processed_rows} rows, {job.processed_rows / elapsed:,.0f} rows/s.")
        if job.error_report:
            self.stdout.write(f"Error report: {self._location(job.error_report)}")
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"Import #{job.pk} failed.")

    @staticmethod
    def _location(report: FieldFile) -> str:
        try:
            return report.path
        except NotImplementedError:  # a storage without local paths
            return report.url

    def _actor(self, username: str | None) -> Staff:
        admins = Staff.objects.select_related("user").filter(
            role=Role.HQ_ADMIN, status=StaffStatus.ACTIVE, user__is_active=True
        )
        if username:
            admins = admins.filter(user__username=username)
        actor = admins.order_by("pk").first()
        if actor is None:
            who = f"{username!r} is not" if username else "There is no"
            raise CommandError(f"{who} an active HQ admin; imports are recorded against one.")
        return actor
