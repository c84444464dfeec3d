"""A damaged extract is the import's own clear error, at upload or in the job, never a crash.

Each file here once ended the request or the job with an exception from deep inside the
CSV module or openpyxl; every one must now be refused with a message a person can act on,
and nothing is imported from it.
"""

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from customers.imports.services import import_job_run
from customers.models import Customer, ImportJob, JobStatus
from scrm.core.exceptions import ApplicationError
from tests.conftest import World
from tests.customers.imports.extracts import CUSTOMER_HEADER, customer_row, job_uploaded, xlsx_write

pytestmark = pytest.mark.django_db

NOT_A_WORKBOOK = "The file is not a readable .xlsx workbook."


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _upload(world: World, path: Path) -> ImportJob:
    return job_uploaded(path, actor=world.hq_admin)


def _workbook(world: World, path: Path, rows: int = 3) -> Path:
    owner, branch = world.rm_bj.employee_no, world.bj_hd_1.code
    return xlsx_write(path, [customer_row(serial, owner=owner, branch=branch) for serial in range(1, rows + 1)])


def _rewritten(source: Path, target: Path, parts: dict[str, bytes | None]) -> Path:
    """A copy of the workbook with ``parts`` replaced (bytes) or left out (None)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            if item.filename not in parts:
                copy.writestr(item, original.read(item.filename))
            elif (replacement := parts[item.filename]) is not None:
                copy.writestr(item.filename, replacement)
    return target


def _refused(world: World, path: Path) -> str:
    """The message the import gives for the file: refused at upload, or the failed job's."""
    try:
        job = _upload(world, path)
    except ApplicationError as error:
        assert not ImportJob.objects.exists()
        return error.message
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    return job.message


@pytest.mark.parametrize(
    ("case", "parts"),
    [
        ("malformed workbook.xml", {"xl/workbook.xml": b"<workbook><sheets><sheet"}),
        ("malformed sheet XML", {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row r='1'><c"}),
        ("missing workbook part", {"xl/workbook.xml": None}),
        ("sheet that is not XML", {"xl/worksheets/sheet1.xml": b"\x00\xff\x00\xff"}),
    ],
)
def test_a_damaged_workbook_is_refused_as_unreadable(
    world: World, tmp_path: Path, case: str, parts: dict[str, bytes | None]
) -> None:
    damaged = _rewritten(_workbook(world, tmp_path / "good.xlsx"), tmp_path / "extract.xlsx", parts)

    assert _refused(world, damaged) == NOT_A_WORKBOOK, case
    assert not Customer.objects.filter(customer_no__startswith="K").exists()


EMPTY_WORKBOOK_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>'
)


@pytest.mark.parametrize(
    ("case", "parts"),
    [
        ("no sheet declared", {"xl/workbook.xml": EMPTY_WORKBOOK_XML}),
        ("the sheet's part is missing", {"xl/worksheets/sheet1.xml": None}),
    ],
)
def test_a_workbook_without_a_sheet_says_so(
    world: World, tmp_path: Path, case: str, parts: dict[str, bytes | None]
) -> None:
    damaged = _rewritten(_workbook(world, tmp_path / "good.xlsx"), tmp_path / "extract.xlsx", parts)

    assert _refused(world, damaged) == "The workbook has no sheet: the extract must be on its first sheet.", case


def test_a_truncated_workbook_is_refused_as_unreadable(world: World, tmp_path: Path) -> None:
    source = _workbook(world, tmp_path / "good.xlsx", rows=200).read_bytes()
    damaged = tmp_path / "extract.xlsx"
    damaged.write_bytes(source[: len(source) * 2 // 3])

    assert _refused(world, damaged) == NOT_A_WORKBOOK


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(",".join(CUSTOMER_HEADER).replace("name", "na\rme").encode() + b"\n", id="CR in the header"),
        pytest.param(b'customer_no,"name\n', id="unclosed quote in the header"),
    ],
)
def test_a_malformed_csv_header_is_refused_with_the_reason(world: World, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "extract.csv"
    path.write_bytes(content)

    message = _refused(world, path)

    assert message.startswith("The CSV file is malformed") or message.startswith("The file lacks required columns")


def test_a_bare_cr_inside_a_record_never_crashes_the_job(world: World, tmp_path: Path) -> None:
    owner, branch = world.rm_bj.employee_no, world.bj_hd_1.code
    lines = [",".join(CUSTOMER_HEADER)]
    for serial in (1, 2):
        record = customer_row(serial, owner=owner, branch=branch)
        lines.append(",".join(record[column] for column in CUSTOMER_HEADER))
    lines[1] = lines[1].replace(",", ",\r", 1)
    path = tmp_path / "extract.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode())

    job = _upload(world, path)
    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    # pandas reads the CR as a line end: the cut record's halves are reported as bad rows.
    assert job.status in {JobStatus.FAILED, JobStatus.SUCCEEDED}
    if job.status == JobStatus.FAILED:
        assert job.message.startswith("The CSV file is malformed")
    assert Customer.objects.filter(customer_no=customer_row(1, owner="", branch="")["customer_no"]).count() == 0


def test_a_csv_that_changes_encoding_after_its_start_fails_the_job_with_the_reason(
    world: World, tmp_path: Path
) -> None:
    """The encoding is sniffed from the first 64 KiB: a GBK record further down is not UTF-8."""
    owner, branch = world.rm_bj.employee_no, world.bj_hd_1.code
    records = [customer_row(serial, owner=owner, branch=branch) for serial in range(1, 801)]
    lines = [",".join(CUSTOMER_HEADER)] + [",".join(record[column] for column in CUSTOMER_HEADER) for record in records]
    head = ("\n".join(lines) + "\n").encode()
    assert len(head) > 64 * 1024
    path = tmp_path / "extract.csv"
    path.write_bytes(head + ",".join(records[0][column] for column in CUSTOMER_HEADER).encode("gbk") + b"\n")

    message = _refused(world, path)

    assert message == "The CSV file is neither UTF-8 nor GBK text throughout: save it as UTF-8 and upload it again."
    assert not Customer.objects.filter(customer_no=records[0]["customer_no"]).exists()


def test_an_unclosed_quote_in_the_first_record_fails_the_job_with_the_reason(world: World, tmp_path: Path) -> None:
    """pandas parses the first rows as soon as its reader opens: that too is the malformed-CSV refusal."""
    path = tmp_path / "extract.csv"
    path.write_bytes((",".join(CUSTOMER_HEADER) + '\n"K0001,张三\n').encode())

    assert _refused(world, path).startswith("The CSV file is malformed")
