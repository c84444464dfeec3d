"""Importing extracts end to end: upload, validate, stage, upsert, report — as the worker runs it."""

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files import File
from django.db.models import Count
from django.utils import timezone, translation

from customers.audit import CustomerAuditAction
from customers.imports import tasks
from customers.imports.services import import_job_create, import_job_run
from customers.models import (
    Customer,
    Gender,
    ImportJob,
    ImportKind,
    ImportMode,
    JobStatus,
    LifecycleStage,
    ProductHolding,
    TimelineEvent,
    TimelineKind,
)
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from scrm.pii import PiiKind, blind_index, unseal
from tests.conftest import World
from tests.customers.imports.conftest import ImportRunner
from tests.customers.imports.extracts import (
    CUSTOMER_HEADER,
    CUSTOMER_HEADER_ZH,
    HOLDING_HEADER,
    csv_write,
    customer_row,
    error_lines,
    holding_row,
    job_uploaded,
    xlsx_write,
)

pytestmark = pytest.mark.django_db

Row = Callable[..., dict[str, str]]


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def row(world: World) -> Row:
    """A valid customer row for the BJ-HD-1 outlet, owned by its RM."""

    def make(serial: int, **overrides: str) -> dict[str, str]:
        return customer_row(serial, owner=world.rm_bj.employee_no, branch=world.bj_hd_1.code, **overrides)

    return make


def imported(customer_no: str) -> Customer:
    return Customer.objects.select_related("branch", "owner").get(customer_no=customer_no)


def timeline_kinds() -> dict[str, int]:
    return dict(TimelineEvent.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))


# --- A good file ---------------------------------------------------------------------------


def test_a_good_csv_creates_the_customers_with_sealed_pii_timeline_and_audit(
    world: World, row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    rows = [row(1), row(2, marketing_consent="N", owner_employee_no=""), row(3, aum="6000000.00")]
    before = Customer.objects.count()

    job = run_import(csv_write(tmp_path / "customers.csv", rows))

    assert job.status == JobStatus.SUCCEEDED
    assert (job.total_rows, job.processed_rows, job.created_count, job.updated_count, job.error_count) == (
        3,
        3,
        3,
        0,
        0,
    )
    assert job.message == "3 created, 0 updated, 0 unchanged; 0 rows with errors were skipped."
    assert not job.error_report
    assert Customer.objects.count() == before + 3

    first = imported("K00000001")
    assert unseal(first.name_cipher, kind=PiiKind.NAME) == "客户1"
    assert unseal(first.phone_cipher, kind=PiiKind.PHONE) == "13900000001"
    assert bytes(first.phone_index) == blind_index("13900000001", kind=PiiKind.PHONE)
    assert unseal(first.id_number_cipher, kind=PiiKind.ID_NUMBER) == rows[0]["id_number"]
    assert bytes(first.id_number_index) == blind_index(rows[0]["id_number"], kind=PiiKind.ID_NUMBER)
    assert (first.branch, first.owner, first.gender) == (world.bj_hd_1, world.rm_bj, Gender.FEMALE)
    assert first.birth_date == datetime.date.fromisoformat(rows[0]["birth_date"])
    assert (first.aum, first.risk_level, first.lifecycle_stage) == (Decimal("10001.50"), "C3", LifecycleStage.NEW)
    assert (first.marketing_consent, first.consent_source) == (True, "counter")
    assert first.consent_at is not None
    assert first.opened_on == datetime.date(2015, 6, 1)
    second, third = imported("K00000002"), imported("K00000003")
    assert (second.owner, second.marketing_consent, second.consent_at) == (None, False, None)
    assert third.aum_band == "private"

    events = TimelineEvent.objects.filter(customer__customer_no__startswith="K").order_by("customer__customer_no")
    assert [(e.customer.customer_no, e.kind, e.actor, e.data) for e in events] == [
        (f"K0000000{n}", TimelineKind.IMPORTED, world.hq_admin, {"import_job": job.pk}) for n in (1, 2, 3)
    ]
    assert events[0].summary == "Imported from core banking"

    audit = AuditEvent.objects.get(action=CustomerAuditAction.IMPORT)
    assert (audit.actor_username, audit.target_type, audit.target_id) == (
        "hq_admin",
        "customers.importjob",
        str(job.pk),
    )
    assert audit.data == {
        "file": "customers.csv",
        "kind": "customers",
        "mode": "valid_rows",
        "dry_run": False,
        "status": "succeeded",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "rows_with_errors": 0,
    }


def test_an_xlsx_with_chinese_headers_numeric_and_date_cells(
    world: World, row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    cells = row(1) | {
        "phone": 13900000001,  # a number cell
        "aum": 12345.5,  # a number cell holding money
        "birth_date": datetime.date.fromisoformat(row(1)["birth_date"]),  # a date cell
        "opened_on": datetime.datetime(2015, 6, 1),
    }
    path = tmp_path / "客户.xlsx"
    xlsx_write(path, [cells], header=CUSTOMER_HEADER)
    _rename_header(path, CUSTOMER_HEADER_ZH)

    job = run_import(path)

    assert (job.status, job.created_count, job.error_count) == (JobStatus.SUCCEEDED, 1, 0)
    customer = imported("K00000001")
    assert unseal(customer.phone_cipher, kind=PiiKind.PHONE) == "13900000001"
    assert customer.aum == Decimal("12345.50")
    assert customer.opened_on == datetime.date(2015, 6, 1)


def _rename_header(path: Path, labels: tuple[str, ...]) -> None:
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    for cell, label in zip(workbook.active[1], labels, strict=True):
        cell.value = label
    workbook.save(path)


def test_a_gb18030_csv_from_a_chinese_core_system(row: Row, run_import: ImportRunner, tmp_path: Path) -> None:
    path = csv_write(tmp_path / "extract.csv", [row(1), row(2)], labels=CUSTOMER_HEADER_ZH, encoding="gb18030")

    job = run_import(path)

    assert (job.status, job.created_count) == (JobStatus.SUCCEEDED, 2)
    assert unseal(imported("K00000002").name_cipher, kind=PiiKind.NAME) == "客户2"


# --- Bad rows ------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_their_row_in_the_file_and_the_good_ones_imported(
    world: World, row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    path = tmp_path / "extract.csv"
    csv_write(
        path,
        [
            row(1),
            row(2, phone="12800138000", id_number="110101199003076630"),
            row(3, branch_code="NOPE"),
            row(4, owner_employee_no=world.rm_bj2.employee_no),
            row(1, name="又是客户1"),
        ],
    )
    # A blank line, as spreadsheets leave them, is skipped but still counts as a row.
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:2], "", *lines[2:]]) + "\n")

    job = run_import(path)

    assert job.status == JobStatus.SUCCEEDED
    assert (job.processed_rows, job.created_count, job.error_count) == (5, 1, 4)
    assert job.message == "1 created, 0 updated, 0 unchanged; 4 rows with errors were skipped."
    assert list(Customer.objects.filter(customer_no__startswith="K").values_list("customer_no", flat=True)) == [
        "K00000001"
    ]
    assert unseal(imported("K00000001").name_cipher, kind=PiiKind.NAME) == "客户1"
    assert error_lines(job.error_report.read()) == [
        ["row", "column", "value", "reason"],
        ["4", "phone", "128****8000", "Not a mobile number: expected 11 digits starting with 13 to 19."],
        ["4", "id_number", "110101********6630", "The check character is wrong (GB 11643): the number is mistyped."],
        ["5", "branch_code", "NOPE", "Unknown branch code."],
        [
            "6",
            "owner_employee_no",
            world.rm_bj2.employee_no,
            f"Works at branch {world.bj_hd_2.code}, not at this row's branch.",
        ],
        [
            "7",
            "customer_no",
            "K00000001",
            "This customer number already appears on row 2; each customer may appear once.",
        ],
    ]


def test_the_error_report_names_columns_as_the_file_does_and_opens_in_excel(
    row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    path = csv_write(tmp_path / "extract.csv", [row(1, aum="-1")], labels=CUSTOMER_HEADER_ZH)

    with translation.override("zh-hans"):
        job = run_import(path)

    report = job.error_report.read()
    assert report.startswith(b"\xef\xbb\xbf")
    assert error_lines(report) == [
        ["行号", "列", "值", "原因"],
        ["2", "资产", "'-1", "不能为负数。"],
    ]


def test_cells_that_excel_would_run_as_formulas_are_reported_as_text(
    row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    path = csv_write(tmp_path / "extract.csv", [row(1, branch_code="=cmd|' /C calc'!A0")])

    job = run_import(path)

    assert error_lines(job.error_report.read())[1] == [
        "2",
        "branch_code",
        "'=cmd|' /C calc'!A0",
        "Unknown branch code.",
    ]


def test_all_or_nothing_writes_nothing_when_any_row_is_bad(row: Row, run_import: ImportRunner, tmp_path: Path) -> None:
    customers, events = Customer.objects.count(), TimelineEvent.objects.count()
    path = csv_write(tmp_path / "extract.csv", [row(1), row(2), row(3, aum="abc")])

    job = run_import(path, mode=ImportMode.ALL_OR_NOTHING)

    assert job.status == JobStatus.FAILED
    assert (job.processed_rows, job.created_count, job.updated_count, job.error_count) == (3, 0, 0, 1)
    assert job.message == ("1 rows have errors, so nothing was imported: the whole file is rejected on any error.")
    assert error_lines(job.error_report.read())[1] == [
        "4",
        "aum",
        "abc",
        "Not an amount: use digits with at most 2 decimal places, e.g. 150000.00.",
    ]
    assert Customer.objects.count() == customers
    assert TimelineEvent.objects.count() == events
    assert AuditEvent.objects.get(action=CustomerAuditAction.IMPORT).data["status"] == "failed"


def test_all_or_nothing_imports_a_clean_file(row: Row, run_import: ImportRunner, tmp_path: Path) -> None:
    job = run_import(csv_write(tmp_path / "extract.csv", [row(1), row(2)]), mode=ImportMode.ALL_OR_NOTHING)

    assert (job.status, job.created_count, job.error_count) == (JobStatus.SUCCEEDED, 2, 0)


def test_a_dry_run_reports_what_would_change_and_writes_nothing(
    world: World, row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    existing = world.customers_rm_bj[0]
    customers, events = Customer.objects.count(), TimelineEvent.objects.count()
    rows = [row(1), row(2), row(3, customer_no=existing.customer_no, aum="999.00"), row(4, phone="1")]

    job = run_import(csv_write(tmp_path / "extract.csv", rows), dry_run=True)

    assert job.status == JobStatus.SUCCEEDED
    assert (job.created_count, job.updated_count, job.error_count) == (2, 1, 1)
    assert job.message == (
        "Dry run, nothing was written: 2 would be created, 1 updated and 0 left unchanged; 1 rows have errors."
    )
    assert Customer.objects.count() == customers
    assert TimelineEvent.objects.count() == events
    existing.refresh_from_db()
    assert existing.aum == Decimal("100000.00")
    assert len(error_lines(job.error_report.read())) == 2


# --- Upsert --------------------------------------------------------------------------------


def test_a_second_import_updates_by_customer_number_and_only_changed_rows_get_events(
    row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    first = run_import(csv_write(tmp_path / "day1.csv", [row(1), row(2), row(3)]))
    sealed_before = {c.customer_no: bytes(c.name_cipher) for c in Customer.objects.filter(customer_no__startswith="K")}

    second = run_import(
        csv_write(tmp_path / "day2.csv", [row(1), row(2, aum="20002.00"), row(3, phone="13700000003", risk_level="C5")])
    )

    assert (second.created_count, second.updated_count, second.error_count) == (0, 2, 0)
    assert second.message == "0 created, 2 updated, 1 unchanged; 0 rows with errors were skipped."
    assert imported("K00000002").aum == Decimal("20002.00")
    third = imported("K00000003")
    assert unseal(third.phone_cipher, kind=PiiKind.PHONE) == "13700000003"
    assert bytes(third.phone_index) == blind_index("13700000003", kind=PiiKind.PHONE)
    assert third.risk_level == "C5"
    # An unchanged value keeps its ciphertext, so "changed" is a byte comparison.
    assert {c.customer_no: bytes(c.name_cipher) for c in Customer.objects.filter(customer_no__startswith="K")} == (
        sealed_before
    )
    updates = TimelineEvent.objects.filter(kind=TimelineKind.UPDATED).order_by("customer__customer_no")
    assert [(e.customer.customer_no, e.data) for e in updates] == [
        ("K00000002", {"import_job": second.pk, "fields": ["aum"]}),
        ("K00000003", {"import_job": second.pk, "fields": ["phone", "risk_level"]}),
    ]
    assert updates[0].summary == "Updated from core banking"
    assert TimelineEvent.objects.filter(kind=TimelineKind.IMPORTED, data__import_job=first.pk).count() == 3


def test_an_import_updates_a_customer_the_bank_already_had(
    world: World, row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    customer = world.customers_rm_sh[0]
    moved = row(
        9,
        customer_no=customer.customer_no,
        name="张三",
        branch_code=world.bj_hd_2.code,
        owner_employee_no=world.rm_bj2.employee_no,
    )

    job = run_import(csv_write(tmp_path / "extract.csv", [moved]))

    assert (job.created_count, job.updated_count) == (0, 1)
    customer.refresh_from_db()
    assert (customer.branch, customer.owner) == (world.bj_hd_2, world.rm_bj2)
    event = TimelineEvent.objects.get(customer=customer, kind=TimelineKind.UPDATED)
    assert event.data["fields"] == [
        "phone",
        "id_number",
        "gender",
        "birth_date",
        "branch",
        "owner",
        "aum",
        "risk_level",
        "marketing_consent",
        "consent_source",
        "opened_on",
    ]


def test_consent_keeps_its_moment_and_is_cleared_when_withdrawn(
    row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    run_import(csv_write(tmp_path / "day1.csv", [row(1)]))
    given_at = imported("K00000001").consent_at

    run_import(csv_write(tmp_path / "day2.csv", [row(1, aum="1.00")]))
    assert imported("K00000001").consent_at == given_at

    run_import(csv_write(tmp_path / "day3.csv", [row(1, marketing_consent="N")]))
    withdrawn = imported("K00000001")
    assert (withdrawn.marketing_consent, withdrawn.consent_at) == (False, None)


def test_an_optional_column_the_file_lacks_is_left_as_it_is(row: Row, run_import: ImportRunner, tmp_path: Path) -> None:
    header = (*CUSTOMER_HEADER, "last_contact_at")
    run_import(csv_write(tmp_path / "day1.csv", [row(1) | {"last_contact_at": "2026-05-20 14:30:00"}], header=header))
    contacted = imported("K00000001").last_contact_at

    job = run_import(csv_write(tmp_path / "day2.csv", [row(1, aum="5.00")]))

    assert job.updated_count == 1
    assert contacted == datetime.datetime(2026, 5, 20, 6, 30, tzinfo=datetime.UTC)
    assert imported("K00000001").last_contact_at == contacted


# --- Holdings ------------------------------------------------------------------------------


def test_holdings_are_upserted_by_customer_and_product(world: World, run_import: ImportRunner, tmp_path: Path) -> None:
    customer = world.customers_rm_bj[0]
    first = run_import(
        csv_write(
            tmp_path / "holdings.csv",
            [
                holding_row(customer.customer_no, "TD-1Y"),
                holding_row(customer.customer_no, "WM-90D", product_type="理财", maturity_date="", amount="1,000"),
                holding_row("K404", "TD-1Y"),
                holding_row(customer.customer_no, "TD-1Y", amount="1.00"),
            ],
            header=HOLDING_HEADER,
        ),
        kind=ImportKind.HOLDINGS,
    )

    assert (first.status, first.created_count, first.updated_count, first.error_count) == (JobStatus.SUCCEEDED, 2, 0, 2)
    assert error_lines(first.error_report.read())[1:] == [
        ["4", "customer_no", "K404", "No customer has this customer number: import the customer first."],
        ["5", "product_code", "TD-1Y", "This product of this customer already appears on row 2."],
    ]
    holdings = {h.product_code: h for h in ProductHolding.objects.filter(customer=customer)}
    assert (holdings["TD-1Y"].amount, holdings["TD-1Y"].maturity_date) == (
        Decimal("50000.00"),
        datetime.date(2027, 1, 15),
    )
    assert (holdings["WM-90D"].product_type, holdings["WM-90D"].amount) == ("wealth", Decimal("1000.00"))
    assert holdings["WM-90D"].maturity_date is None

    second = run_import(
        csv_write(
            tmp_path / "holdings2.csv",
            [
                holding_row(customer.customer_no, "TD-1Y", amount="60000.00"),
                holding_row(customer.customer_no, "WM-90D", product_type="wealth", maturity_date="", amount="1000.00"),
            ],
            header=HOLDING_HEADER,
        ),
        kind=ImportKind.HOLDINGS,
    )

    assert (second.created_count, second.updated_count, second.error_count) == (0, 1, 0)
    assert ProductHolding.objects.get(customer=customer, product_code="TD-1Y").amount == Decimal("60000.00")


# --- Refused at upload ---------------------------------------------------------------------


def _upload(world: World, path: Path, kind: ImportKind = ImportKind.CUSTOMERS) -> ImportJob:
    return job_uploaded(path, actor=world.hq_admin, kind=kind)


def test_a_header_without_required_columns_is_refused_at_upload_naming_them(
    world: World, row: Row, tmp_path: Path
) -> None:
    header = tuple(column for column in CUSTOMER_HEADER if column not in {"phone", "aum"})
    path = csv_write(tmp_path / "extract.csv", [row(1)], header=header)

    with pytest.raises(ApplicationError) as refused:
        _upload(world, path)

    assert refused.value.message == "The file lacks required columns: phone (手机号), aum (资产)."
    assert refused.value.extra == {"missing_columns": ["phone", "aum"], "duplicated_columns": []}
    assert not ImportJob.objects.exists()


def test_a_column_named_twice_is_refused(world: World, row: Row, tmp_path: Path) -> None:
    path = csv_write(tmp_path / "extract.csv", [row(1)], labels=("手机号", *CUSTOMER_HEADER[1:]))

    with pytest.raises(ApplicationError) as refused:
        _upload(world, path)

    assert refused.value.message == (
        "The file lacks required columns: customer_no (客户号). These columns are named twice: phone (手机号)."
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "extract.xls",
            b"\xd0\xcf\x11\xe0",
            "Only .csv and .xlsx files can be imported; save the extract in one of these formats.",
        ),
        ("extract.csv", b"", "The file is empty."),
        ("extract.csv", b"\n\n", "The file is empty: the first row must name the columns."),
        ("extract.xlsx", b"not a zip", "The file is not a readable .xlsx workbook."),
    ],
)
def test_what_is_not_an_extract_is_refused_at_upload(
    world: World, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ApplicationError) as refused:
        _upload(world, path)

    assert refused.value.message == message
    assert not ImportJob.objects.exists()


def test_a_malformed_csv_fails_the_job_and_names_the_line(world: World, row: Row, tmp_path: Path) -> None:
    path = csv_write(tmp_path / "extract.csv", [row(1), row(2)])
    path.write_text(path.read_text() + "K9,too,many,cells,,,,,,,,,,,,\n")
    job = _upload(world, path)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("The CSV file is malformed")
    assert "line 4" in job.message
    assert not Customer.objects.filter(customer_no__startswith="K").exists()


# --- Running a job again ---------------------------------------------------------------------


def test_the_upload_enqueues_the_job_once_its_transaction_commits(
    world: World, row: Row, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    path = csv_write(tmp_path / "extract.csv", [row(1)])

    with django_capture_on_commit_callbacks() as callbacks, path.open("rb") as handle:
        job = import_job_create(
            file=File(handle),
            original_name=path.name,
            kind=ImportKind.CUSTOMERS,
            mode=ImportMode.VALID_ROWS,
            dry_run=False,
            actor=world.hq_admin,
        )

    assert len(callbacks) == 1
    assert (callbacks[0].func, callbacks[0].args) == (tasks.import_run_task.delay, (job.pk,))
    assert job.status == JobStatus.QUEUED


def test_a_finished_job_is_not_run_again(row: Row, run_import: ImportRunner, tmp_path: Path) -> None:
    job = run_import(csv_write(tmp_path / "extract.csv", [row(1)]))
    events = TimelineEvent.objects.count()

    assert import_job_run(job_id=job.pk) is None

    job.refresh_from_db()
    assert (job.status, job.created_count) == (JobStatus.SUCCEEDED, 1)
    assert TimelineEvent.objects.count() == events
    assert AuditEvent.objects.filter(action=CustomerAuditAction.IMPORT).count() == 1


def test_a_job_left_running_by_a_dead_worker_restarts_from_scratch(world: World, row: Row, tmp_path: Path) -> None:
    job = _upload(world, csv_write(tmp_path / "extract.csv", [row(1), row(2)]))
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), processed_rows=1, total_rows=2, error_count=7
    )

    finished = import_job_run(job_id=job.pk)

    assert finished is not None
    assert (finished.status, finished.processed_rows, finished.created_count, finished.error_count) == (
        JobStatus.SUCCEEDED,
        2,
        2,
        0,
    )
