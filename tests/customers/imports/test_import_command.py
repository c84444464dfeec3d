"""``manage.py import_customers``: the same import, run inline, with its outcome printed."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from customers.models import Customer, ImportJob, JobStatus, ProductHolding
from tests.conftest import World
from tests.customers.imports.extracts import HOLDING_HEADER, csv_write, customer_row, holding_row

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("import_customers", *args, stdout=out)
    return out.getvalue()


def test_the_command_imports_and_says_where_the_error_report_is(world: World, tmp_path: Path) -> None:
    owner = world.rm_bj.employee_no
    path = csv_write(tmp_path / "extract.csv", [customer_row(1, owner=owner), customer_row(2, owner=owner, aum="x")])

    output = run(str(path))

    job = ImportJob.objects.get()
    assert (job.status, job.created_count, job.error_count, job.created_by) == (
        JobStatus.SUCCEEDED,
        1,
        1,
        world.hq_admin,
    )
    lines = output.splitlines()
    assert lines[0].startswith(f"Import #{job.pk} of extract.csv: Succeeded in ")
    assert lines[1] == "1 created, 0 updated, 0 unchanged; 1 rows with errors were skipped."
    assert lines[2].startswith("2 rows, ")
    assert lines[3] == f"Error report: {job.error_report.path}"
    assert Path(job.error_report.path).read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_dry_run_in_all_or_nothing_mode_as_a_named_admin(world: World, tmp_path: Path) -> None:
    path = csv_write(tmp_path / "extract.csv", [customer_row(1, owner=world.rm_bj.employee_no)])
    customers = Customer.objects.count()

    output = run(str(path), "--dry-run", "--mode", "all_or_nothing", "--as", "hq_admin")

    assert "Dry run, nothing was written: 1 would be created" in output
    assert Customer.objects.count() == customers
    job = ImportJob.objects.get()
    assert (job.dry_run, job.mode) == (True, "all_or_nothing")


def test_holdings(world: World, tmp_path: Path) -> None:
    customer = world.customers_rm_sh[0]
    path = csv_write(tmp_path / "holdings.csv", [holding_row(customer.customer_no)], header=HOLDING_HEADER)

    run(str(path), "--kind", "holdings")

    assert ProductHolding.objects.get(customer=customer).product_code == "TD-1Y"


def test_a_rejected_file_fails_the_command(world: World, tmp_path: Path) -> None:
    path = csv_write(tmp_path / "extract.csv", [customer_row(1, owner="nobody")])

    with pytest.raises(CommandError, match=r"^Import #\d+ failed\.$"):
        run(str(path), "--mode", "all_or_nothing")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv is not a file."),
        (["{extract}", "--as", "rm"], "'rm' is not an active HQ admin; imports are recorded against one."),
    ],
)
def test_refusals(world: World, tmp_path: Path, args: list[str], message: str) -> None:
    extract = csv_write(tmp_path / "extract.csv", [customer_row(1, owner=world.rm_bj.employee_no)])

    with pytest.raises(CommandError) as refused:
        run(*(arg.format(extract=extract) for arg in args))

    assert str(refused.value) == message
    assert not ImportJob.objects.exists()


def test_a_file_that_is_no_extract_is_refused_with_the_reason(world: World, tmp_path: Path) -> None:
    path = tmp_path / "extract.csv"
    path.write_text("id,name\n1,x\n")

    with pytest.raises(CommandError, match=r"^The file lacks required columns: customer_no \(客户号\), "):
        run(str(path))
