"""The import API: HQ admins upload (202), follow the job and download its error report; nobody else may."""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from customers.imports.services import import_job_run
from customers.models import ImportJob, ImportKind, ImportMode
from tests.conftest import World
from tests.customers.imports.extracts import CUSTOMER_HEADER, csv_write, customer_row, error_lines

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.customers.imports.urls")]

ClientFor = Callable[[str], Client]
CREATE = "/api/customers/imports/"


def extract(world: World, tmp_path: Path, *rows: dict[str, str], header: tuple[str, ...] = CUSTOMER_HEADER) -> Path:
    rows = rows or (customer_row(1, owner=world.rm_bj.employee_no),)
    return csv_write(tmp_path / "客户.csv", rows, header=header)


def upload(client: Client, path: Path, **fields: str) -> object:
    with path.open("rb") as handle:
        return client.post(CREATE, {"file": handle, "kind": "customers", **fields})


def test_the_urls_are_where_the_issue_says() -> None:
    assert reverse("api:customer-import-create") == "/api/customers/imports/"
    assert reverse("api:customer-import-detail", kwargs={"pk": 7}) == "/api/customers/imports/7/"
    assert reverse("api:customer-import-errors", kwargs={"pk": 7}) == "/api/customers/imports/7/errors/"


def test_an_hq_admin_uploads_an_extract_and_gets_the_queued_job(
    world: World, client_for: ClientFor, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client_for("hq_admin"), extract(world, tmp_path), mode="all_or_nothing", dry_run="true")

    assert response.status_code == 202
    job = ImportJob.objects.get()
    body = response.json()
    assert body == {
        "id": job.pk,
        "kind": "customers",
        "mode": "all_or_nothing",
        "dry_run": True,
        "file_name": "客户.csv",
        "status": "queued",
        "total_rows": 0,
        "processed_rows": 0,
        "percent": 0,
        "created_count": 0,
        "updated_count": 0,
        "unchanged_count": 0,
        "error_count": 0,
        "message": "",
        "created_by": world.hq_admin.employee_no,
        "created_at": body["created_at"],
        "started_at": None,
        "finished_at": None,
        "error_report_url": None,
    }
    assert (job.kind, job.mode, job.dry_run, job.created_by) == (
        ImportKind.CUSTOMERS,
        ImportMode.ALL_OR_NOTHING,
        True,
        world.hq_admin,
    )
    assert len(callbacks) == 1, "the job is enqueued once the upload commits"


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_only_hq_admins_may_upload(world: World, client_for: ClientFor, tmp_path: Path, role: str) -> None:
    response = upload(client_for(role), extract(world, tmp_path))

    assert response.status_code == 403
    assert set(response.json()) == {"message", "extra"}
    assert not ImportJob.objects.exists()


def test_anonymous_callers_are_refused(world: World, tmp_path: Path) -> None:
    response = upload(Client(), extract(world, tmp_path))

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_a_file_without_required_columns_is_refused_naming_them(
    world: World, client_for: ClientFor, tmp_path: Path
) -> None:
    header = tuple(column for column in CUSTOMER_HEADER if column != "branch_code")
    path = extract(world, tmp_path, customer_row(1, owner=world.rm_bj.employee_no), header=header)

    with path.open("rb") as handle:
        response = client_for("hq_admin").post(CREATE, {"file": handle, "kind": "customers"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "文件缺少必需的列：branch_code (机构号)。",
        "extra": {"missing_columns": ["branch_code"], "duplicated_columns": []},
    }
    assert not ImportJob.objects.exists()


def test_an_upload_without_a_kind_is_a_validation_error(world: World, client_for: ClientFor, tmp_path: Path) -> None:
    with extract(world, tmp_path).open("rb") as handle:
        response = client_for("hq_admin").post(CREATE, {"file": handle})

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["kind"]


def test_the_job_shows_progress_counts_and_where_the_error_report_is(
    world: World, client_for: ClientFor, tmp_path: Path
) -> None:
    owner = world.rm_bj.employee_no
    rows = (customer_row(1, owner=owner), customer_row(2, owner=owner, phone="12345678901"))
    upload(client_for("hq_admin"), extract(world, tmp_path, *rows))
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)

    response = client_for("hq_admin").get(f"/api/customers/imports/{job.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["percent"], body["processed_rows"], body["total_rows"]) == ("succeeded", 100, 2, 2)
    assert (body["created_count"], body["updated_count"], body["unchanged_count"], body["error_count"]) == (1, 0, 0, 1)
    assert body["error_report_url"] == f"http://testserver/api/customers/imports/{job.pk}/errors/"

    report = client_for("hq_admin").get(body["error_report_url"])

    assert report.status_code == 200
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in report["Content-Disposition"]
    lines = error_lines(b"".join(report.streaming_content))
    assert lines[1][:3] == ["3", "phone", "123****8901"]


def test_a_job_without_errors_has_no_report(world: World, client_for: ClientFor, tmp_path: Path) -> None:
    upload(client_for("hq_admin"), extract(world, tmp_path))
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)

    assert client_for("hq_admin").get(f"/api/customers/imports/{job.pk}/").json()["error_report_url"] is None
    assert client_for("hq_admin").get(f"/api/customers/imports/{job.pk}/errors/").status_code == 404


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_only_hq_admins_may_see_a_job_or_its_report(
    world: World, client_for: ClientFor, tmp_path: Path, role: str
) -> None:
    upload(client_for("hq_admin"), extract(world, tmp_path, customer_row(1, owner="nobody")))
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)

    assert client_for(role).get(f"/api/customers/imports/{job.pk}/").status_code == 403
    assert client_for(role).get(f"/api/customers/imports/{job.pk}/errors/").status_code == 403


def test_an_unknown_job_is_not_found(world: World, client_for: ClientFor) -> None:
    response = client_for("hq_admin").get("/api/customers/imports/999999/")

    assert response.status_code == 404


def test_the_openapi_schema_describes_the_upload_and_the_job() -> None:
    schema = SchemaGenerator(urlconf="tests.customers.imports.urls").get_schema(request=None, public=True)

    create = schema["paths"]["/api/customers/imports/"]["post"]
    assert list(create["requestBody"]["content"]) == ["multipart/form-data"]
    assert set(create["responses"]) == {"202", "400", "403"}
    report = schema["paths"]["/api/customers/imports/{id}/errors/"]["get"]
    assert list(report["responses"]["200"]["content"]) == ["text/csv"]
    job = schema["components"]["schemas"]["ImportJobOutput"]["properties"]
    assert job["error_report_url"] == {"type": "string", "format": "uri", "nullable": True, "readOnly": True}
