"""An HQ admin uploads an extract in Chromium and watches the progress page until the import has succeeded.

The upload enqueues the job on commit, exactly as in production; a real Celery worker
process, on a queue of its own, runs it against the live server's database.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.imports.tasks import import_run_task
from customers.models import Customer
from tests.browser.test_login_browser import sign_in
from tests.conftest import World
from tests.customers.imports.extracts import csv_write, customer_row
from tests.support.celery_worker import celery_worker, task_routed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.customers.imports.urls"),
]


@pytest.fixture
def import_worker(settings, tmp_path: Path) -> Iterator[None]:
    """Uploads land in the test's media root, and a worker sharing it takes every import the pages enqueue."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with celery_worker() as queue, task_routed(import_run_task, queue):
        yield


def test_an_hq_admin_uploads_an_extract_and_watches_it_succeed(
    world: World, live_server, page: Page, password: str, import_worker: None, tmp_path: Path
) -> None:
    owner = world.rm_bj.employee_no
    extract = csv_write(tmp_path / "客户.csv", [customer_row(n, owner=owner) for n in (1, 2, 3)])
    page.goto(f"{live_server.url}/login/")
    sign_in(page, username="hq_admin", password=password)
    page.goto(f"{live_server.url}/customers/imports/")
    expect(page.get_by_role("heading", name="核心系统数据导入")).to_be_visible()

    page.get_by_label("数据文件", exact=True).set_input_files(extract)
    page.get_by_role("button", name="上传并导入").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/customers/imports/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile(r"^导入 #\d+$"))).to_be_visible()
    # The panel polls every second until the worker has finished.
    expect(page.locator("#import-status")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.locator("#import-status")).to_have_text("成功")
    expect(page.locator("#import-created")).to_have_text("3")
    expect(page.locator("#import-errors")).to_have_text("0")
    assert Customer.objects.filter(customer_no__startswith="K").count() == 3
