"""The import writes the consent history of the marketing flags it changes, in its own statement."""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from customers.models import ConsentRecord, ConsentSource, Customer, ImportMode
from tests.conftest import World
from tests.customers.imports.conftest import ImportRunner
from tests.customers.imports.extracts import csv_write, customer_row

pytestmark = pytest.mark.django_db

Row = Callable[..., dict[str, str]]


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def row(world: World) -> Row:
    def make(serial: int, **overrides: str) -> dict[str, str]:
        return customer_row(serial, owner=world.rm_bj.employee_no, branch=world.bj_hd_1.code, **overrides)

    return make


def history() -> list[tuple[str, bool | None, bool]]:
    return [
        (customer_no, previous, granted)
        for customer_no, previous, granted in ConsentRecord.objects.order_by("customer__customer_no", "id").values_list(
            "customer__customer_no", "previous", "granted"
        )
    ]


def test_created_customers_with_consent_get_a_history_row_and_those_without_none(
    world: World, row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    job = run_import(csv_write(tmp_path / "day1.csv", [row(1), row(2, marketing_consent="N")]))

    assert history() == [("K00000001", None, True)]
    record = ConsentRecord.objects.get()
    assert (record.purpose, record.source, record.reason) == ("marketing", ConsentSource.IMPORT, "")
    assert (record.actor, record.import_job_id) == (world.hq_admin, job.pk)


def test_only_a_changed_flag_adds_history_and_other_changes_add_none(
    row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    run_import(csv_write(tmp_path / "day1.csv", [row(1), row(2, marketing_consent="N"), row(3)]))

    run_import(
        csv_write(
            tmp_path / "day2.csv",
            [row(1, marketing_consent="N"), row(2, marketing_consent="Y"), row(3, aum="1.00")],
        )
    )

    assert history() == [
        ("K00000001", None, True),
        ("K00000001", True, False),
        ("K00000002", False, True),
        ("K00000003", None, True),
    ]
    assert Customer.objects.get(customer_no="K00000003").marketing_consent is True


def test_a_dry_run_and_a_refused_file_write_no_history(row: Row, run_import: ImportRunner, tmp_path: Path) -> None:
    run_import(csv_write(tmp_path / "dry.csv", [row(1)]), dry_run=True)
    run_import(csv_write(tmp_path / "bad.csv", [row(2), row(3, aum="lots")]), mode=ImportMode.ALL_OR_NOTHING)

    assert history() == []


def test_the_history_is_written_by_the_upsert_statement_not_row_by_row(
    row: Row, run_import: ImportRunner, tmp_path: Path
) -> None:
    rows = [row(serial) for serial in range(1, 41)]

    with CaptureQueriesContext(connection) as queries:
        run_import(csv_write(tmp_path / "many.csv", rows))

    consent_inserts = [query["sql"] for query in queries if "customers_consentrecord" in query["sql"]]
    assert len(consent_inserts) == 1
    assert "INSERT INTO customers_customer AS c" in consent_inserts[0], "the same statement as the upsert"
    assert ConsentRecord.objects.count() == 40
