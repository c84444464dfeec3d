"""Writing segment members out as CSV or XLSX, a bounded chunk at a time.

Rows are read through one server-side cursor and written as they arrive, so memory
stays flat whatever the size of the segment. Personal information leaves only in
masked form. Cells that a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from customers.models import AumBand, Customer, CustomerTag
from customers.pii import pii_masked
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch, BranchLevel
from scrm.pii import PiiKind

ROWS_PER_FETCH = 2_000
FILE_CHUNK_BYTES = 64 * 1024
# An XLSX sheet holds 1,048,576 rows, one of them the header.
XLSX_MAX_ROWS = 1_048_575
TAG_SEPARATOR = "、"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def content_type(self) -> str:
        if self is ExportFormat.CSV:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_header() -> list[str]:
    return [
        _("Customer number"),
        _("Name"),
        _("Phone"),
        _("Outlet code"),
        _("Outlet"),
        # A customer belongs to an outlet; the 分行 is its branch-level ancestor.
        pgettext("branch level", "Branch"),
        _("Owner employee number"),
        _("Owner"),
        _("AUM band"),
        _("Tags"),
    ]


def export_rows(customers: QuerySet[Customer]) -> Iterator[list[str]]:
    """One list of display strings per customer, in id order, from one streamed query."""
    tag_names = ArraySubquery(
        CustomerTag.objects.filter(customer_id=OuterRef("pk")).order_by("tag__code").values("tag__name")
    )
    # The 分行 is the ancestor whose materialised path is the first two steps of the outlet's.
    branch_of_outlet = Branch.objects.filter(
        level=BranchLevel.BRANCH, path=Substr(OuterRef("branch__path"), 1, 2 * Branch.steplen)
    ).values("name")[:1]
    rows = (
        customers.order_by("id")
        .annotate(tag_names=tag_names, branch_level_name=Subquery(branch_of_outlet))
        .values_list(
            "customer_no",
            "name_cipher",
            "phone_cipher",
            "branch__code",
            "branch__name",
            "branch_level_name",
            "owner__employee_no",
            "owner__name",
            "aum_band",
            "tag_names",
        )
        .iterator(chunk_size=ROWS_PER_FETCH)
    )
    band_labels = dict(AumBand.choices)
    for customer_no, name, phone, outlet_code, outlet_name, branch_name, owner_no, owner_name, band, tags in rows:
        yield [
            customer_no,
            pii_masked(name, kind=PiiKind.NAME) or "",
            pii_masked(phone, kind=PiiKind.PHONE) or "",
            outlet_code,
            outlet_name,
            branch_name or "",
            owner_no or "",
            owner_name or "",
            str(band_labels.get(band, band)),
            TAG_SEPARATOR.join(tags),
        ]


def export_fits(format: ExportFormat, row_count: int) -> None:
    """Refuse, before anything is written or audited, an XLSX export larger than one sheet."""
    if format is ExportFormat.XLSX and row_count > XLSX_MAX_ROWS:
        raise ApplicationError(
            _("%(count)d rows do not fit in one Excel sheet (at most %(limit)d); export as CSV instead.")
            % {"count": row_count, "limit": XLSX_MAX_ROWS},
            {"field": "format", "row_count": row_count},
        )


def spreadsheet_safe(value: str) -> str:
    """Prefix a cell that Excel would evaluate (=, +, -, @) so it stays text."""
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


def csv_chunks(
    rows: Iterable[list[str]], *, rows_per_chunk: int = ROWS_PER_FETCH, header: list[str] | None = None
) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly; ``header`` defaults to a segment's."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header or export_header())
    pending = 0
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(rows: Iterable[list[str]], *, sheet_title: str, header: list[str] | None = None) -> Iterator[bytes]:
    """Build the workbook in write-only mode (rows go straight to disk), then stream the file."""
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(title=_sheet_title(sheet_title))
    sheet.append(header or export_header())
    for row in rows:
        sheet.append([spreadsheet_safe(value) for value in row])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(FILE_CHUNK_BYTES):
            yield chunk


def _sheet_title(title: str) -> str:
    """Sheet names are at most 31 characters and may not contain []:*?/\\."""
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip()
    return cleaned[:31] or "Sheet1"
