"""The import pages: upload, then a progress panel that htmx polls until the job has finished."""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from customers.imports.selectors import import_job_progress
from customers.imports.services import import_job_run
from customers.models import ImportJob, ImportMode, JobStatus
from tests.conftest import World
from tests.customers.imports.extracts import CUSTOMER_HEADER, csv_write, customer_row, error_lines

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.customers.imports.urls")]

ClientFor = Callable[[str], Client]
UPLOAD = "/customers/imports/"


def post_upload(client: Client, path: Path, **fields: str) -> object:
    with path.open("rb") as handle:
        return client.post(UPLOAD, {"file": handle, "kind": "customers", "mode": "valid_rows", **fields})


@pytest.fixture
def extract(world: World, tmp_path: Path) -> Path:
    owner = world.rm_bj.employee_no
    return csv_write(
        tmp_path / "客户.csv", [customer_row(1, owner=owner), customer_row(2, owner=owner, id_number="110101")]
    )


def test_the_upload_page_offers_the_form_the_contract_and_recent_imports(client_for: ClientFor) -> None:
    response = client_for("hq_admin").get(UPLOAD)

    assert response.status_code == 200
    assertContains(response, '<h1 class="scrm-page-title">核心系统数据导入</h1>', html=True)
    assertContains(response, 'enctype="multipart/form-data"')
    assertContains(response, 'accept=".csv,.xlsx"')
    assertContains(response, "<code>owner_employee_no</code>", html=True)
    assertContains(response, "客户经理工号")
    assertContains(response, "尚无导入记录。")


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_only_hq_admins_may_open_the_pages(client_for: ClientFor, role: str, world: World) -> None:
    job = ImportJob.objects.create(
        kind="customers", mode="valid_rows", original_name="x.csv", created_by=world.hq_admin
    )

    for path in (UPLOAD, f"/customers/imports/{job.pk}/", f"/customers/imports/{job.pk}/progress/"):
        assert client_for(role).get(path).status_code == 403, path


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    assertRedirects(Client().get(UPLOAD), f"/login/?next={UPLOAD}")


def test_uploading_leads_to_the_job_page_which_polls_while_the_job_runs(client_for: ClientFor, extract: Path) -> None:
    client = client_for("hq_admin")

    response = post_upload(client, extract)

    job = ImportJob.objects.get()
    assertRedirects(response, f"/customers/imports/{job.pk}/")
    page = client.get(f"/customers/imports/{job.pk}/")
    assertContains(page, "客户.csv")
    assertContains(page, f'hx-get="/customers/imports/{job.pk}/progress/"')
    assertContains(page, 'hx-trigger="every 1s"')
    assertContains(page, 'data-status="queued"')
    assertContains(page, "排队中")


def test_the_finished_panel_shows_the_counts_and_the_report_and_stops_polling(
    client_for: ClientFor, extract: Path
) -> None:
    client = client_for("hq_admin")
    post_upload(client, extract)
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)

    panel = client.get(f"/customers/imports/{job.pk}/progress/")

    assert panel.status_code == 200
    assertNotContains(panel, "hx-get")
    assertContains(panel, 'data-status="succeeded"')
    assertContains(panel, '<dd class="col-6 col-md-3" id="import-created">1</dd>', html=True)
    assertContains(panel, '<dd class="col-6 col-md-3" id="import-errors">1</dd>', html=True)
    assertContains(panel, 'aria-valuenow="100"')
    assertContains(panel, "新增 1 条，更新 0 条，0 条不变；跳过有错误的 1 行。")
    assertContains(panel, f'href="/customers/imports/{job.pk}/errors/"')

    report = client.get(f"/customers/imports/{job.pk}/errors/")

    assert report.status_code == 200
    assert error_lines(b"".join(report.streaming_content))[1][:2] == ["3", "id_number"]


def test_a_refused_file_is_explained_on_the_form(world: World, client_for: ClientFor, tmp_path: Path) -> None:
    path = csv_write(
        tmp_path / "extract.csv",
        [customer_row(1, owner=world.rm_bj.employee_no)],
        header=tuple(column for column in CUSTOMER_HEADER if column != "aum"),
    )

    response = post_upload(client_for("hq_admin"), path)

    assert response.status_code == 200
    assertContains(response, "文件缺少必需的列：aum (资产)。")
    assert not ImportJob.objects.exists()


def test_a_dry_run_reads_as_one(client_for: ClientFor, extract: Path) -> None:
    client = client_for("hq_admin")
    post_upload(client, extract, dry_run="on", mode=ImportMode.ALL_OR_NOTHING)
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)

    panel = client.get(f"/customers/imports/{job.pk}/progress/")

    assert job.dry_run
    assertContains(panel, "试运行")
    assertContains(panel, 'data-status="failed"')
    assertContains(panel, "1 行有错误，因此未导入任何数据")
    assert ImportJob.objects.get().status == JobStatus.FAILED


@pytest.mark.parametrize(
    ("status", "processed", "total", "percent"),
    [
        (JobStatus.QUEUED, 0, 0, 0),
        (JobStatus.RUNNING, 50_000, 200_000, 25),
        # The total is an estimate while running: the bar waits at 99 % until the job has finished.
        (JobStatus.RUNNING, 200_000, 200_000, 99),
        (JobStatus.SUCCEEDED, 199_990, 199_990, 100),
        (JobStatus.FAILED, 100, 200_000, 0),
    ],
)
def test_the_progress_bar(world: World, status: JobStatus, processed: int, total: int, percent: int) -> None:
    job = ImportJob(status=status, processed_rows=processed, total_rows=total, created_by=world.hq_admin)

    progress = import_job_progress(job=job)

    assert progress.percent == percent
    assert progress.finished == (status in (JobStatus.SUCCEEDED, JobStatus.FAILED))
