"""Fixtures for the import tests: uploads under a private MEDIA_ROOT, and imports run inline."""

from collections.abc import Callable
from pathlib import Path

import pytest

from customers.imports.services import import_job_run
from customers.models import ImportJob, ImportKind, ImportMode
from tests.conftest import World
from tests.customers.imports.extracts import job_uploaded


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Uploaded extracts and error reports go to the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


ImportRunner = Callable[..., ImportJob]


@pytest.fixture
def run_import(world: World) -> ImportRunner:
    """Upload a file as the HQ admin and run the job inline, as the worker would; returns the finished job."""

    def run(
        path: Path,
        *,
        kind: ImportKind = ImportKind.CUSTOMERS,
        mode: ImportMode = ImportMode.VALID_ROWS,
        dry_run: bool = False,
    ) -> ImportJob:
        job = job_uploaded(path, actor=world.hq_admin, kind=kind, mode=mode, dry_run=dry_run)
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
        return job

    return run
