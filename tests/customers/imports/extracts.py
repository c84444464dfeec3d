"""Core-banking extracts for the import tests, written from plain rows into CSV or XLSX files."""

import csv
import datetime
from collections.abc import Sequence
from pathlib import Path

import openpyxl
from django.core.files import File

from customers.identity import id_number_check_digit
from customers.imports.services import import_job_create
from customers.models import ImportJob, ImportKind, ImportMode
from scrm.org.models import Staff

CUSTOMER_HEADER = (
    "customer_no",
    "name",
    "phone",
    "id_number",
    "gender",
    "birth_date",
    "branch_code",
    "owner_employee_no",
    "aum",
    "risk_level",
    "marketing_consent",
    "consent_source",
    "opened_on",
)
# The same columns as a Chinese core-banking system names them.
CUSTOMER_HEADER_ZH = (
    "客户号",
    "姓名",
    "手机号",
    "证件号码",
    "性别",
    "出生日期",
    "机构号",
    "客户经理工号",
    "资产",
    "风险等级",
    "营销授权",
    "授权渠道",
    "开户日期",
)
HOLDING_HEADER = (
    "customer_no",
    "product_code",
    "product_name",
    "product_type",
    "amount",
    "opened_on",
    "maturity_date",
)


def id_number(born: datetime.date, *, male: bool, region: str = "110101", serial: int = 12) -> str:
    """A valid GB 11643 number: the 17th digit is odd for men, and the check character completes it."""
    sequence = f"{serial:02d}{1 if male else 2}"
    body = f"{region}{born:%Y%m%d}{sequence}"
    return body + id_number_check_digit(body)


def customer_row(serial: int, *, owner: str, branch: str = "BJ-HD-1", **overrides: str) -> dict[str, str]:
    """A valid row of a customer of ``branch`` owned by the RM ``owner``; ``overrides`` replace cells by column."""
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=serial * 37 % 15_000)
    male = serial % 2 == 0
    row = {
        "customer_no": f"K{serial:08d}",
        "name": f"客户{serial}",
        "phone": f"139{serial:08d}",
        "id_number": id_number(born, male=male, serial=serial % 100),
        "gender": "M" if male else "F",
        "birth_date": born.isoformat(),
        "branch_code": branch,
        "owner_employee_no": owner,
        "aum": f"{10000 + serial}.50",
        "risk_level": "C3",
        "marketing_consent": "Y",
        "consent_source": "counter",
        "opened_on": "2015-06-01",
    }
    return row | overrides


def holding_row(customer_no: str, product_code: str = "TD-1Y", **overrides: str) -> dict[str, str]:
    row = {
        "customer_no": customer_no,
        "product_code": product_code,
        "product_name": "一年期整存整取",
        "product_type": "time_deposit",
        "amount": "50000.00",
        "opened_on": "2026-01-15",
        "maturity_date": "2027-01-15",
    }
    return row | overrides


def csv_write(
    path: Path,
    rows: Sequence[dict[str, str]],
    *,
    header: Sequence[str] = CUSTOMER_HEADER,
    labels: Sequence[str] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Rows as CSV; ``labels`` renames the header cells (e.g. the Chinese aliases)."""
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(labels or header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
    return path


def xlsx_write(path: Path, rows: Sequence[dict[str, object]], *, header: Sequence[str] = CUSTOMER_HEADER) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(column) for column in header])
    workbook.save(path)
    return path


def error_lines(report: bytes) -> list[list[str]]:
    """The error report's rows (header included), decoded as Excel would: UTF-8 with a BOM."""
    assert report.startswith("\ufeff".encode())
    return list(csv.reader(report.decode("utf-8-sig").splitlines()))


def job_uploaded(
    path: Path,
    *,
    actor: Staff,
    kind: ImportKind = ImportKind.CUSTOMERS,
    mode: ImportMode = ImportMode.VALID_ROWS,
    dry_run: bool = False,
) -> ImportJob:
    """The file uploaded as ``actor``'s import job, not yet run (the test runs or enqueues it)."""
    with path.open("rb") as handle:
        return import_job_create(
            file=File(handle),
            original_name=path.name,
            kind=kind,
            mode=mode,
            dry_run=dry_run,
            actor=actor,
            enqueue=False,
        )
