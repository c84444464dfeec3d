"""Blank templates to fill in: the header the contract accepts, in Chinese, as Excel or CSV."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from pytest_django.asserts import assertContains

from customers.imports.contract import CONTRACTS
from customers.models import Customer, ImportKind, JobStatus
from tests.conftest import World
from tests.customers.imports.conftest import ImportRunner
from tests.customers.imports.extracts import CUSTOMER_HEADER, customer_row

pytestmark = pytest.mark.django_db


def template_url(kind: str, file_format: str) -> str:
    return f"/customers/imports/templates/{kind}.{file_format}"


def test_the_upload_page_links_a_template_of_each_kind(client_for) -> None:
    response = client_for("hq_admin").get("/customers/imports/")

    for kind in ImportKind.values:
        assertContains(response, template_url(kind, "xlsx"))
        assertContains(response, template_url(kind, "csv"))
    assertContains(response, "Excel 工作簿（含填写说明）")


@pytest.mark.parametrize("kind", ImportKind.values)
def test_the_workbook_has_the_accepted_header_and_instructions_for_every_column(client_for, kind: str) -> None:
    response = client_for("hq_admin").get(template_url(kind, "xlsx"))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx" in response["Content-Disposition"]  # 导入模板.xlsx
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["数据", "填写说明"]
    header = [cell.value for cell in workbook["数据"][1]]
    contract = CONTRACTS[kind]
    _mapping, problems = contract.header_map(header)
    assert not problems
    assert workbook["数据"].max_row == 1  # no example row that could become a customer
    guide = list(workbook["填写说明"].iter_rows(values_only=True))
    assert guide[0] == ("列名", "也接受", "必填", "规则", "示例")
    assert [row[0] for row in guide[1:]] == header
    assert all(row[2] in ("是", "否") and row[3] for row in guide[1:])


def test_a_filled_in_csv_template_imports(client_for, world: World, run_import: ImportRunner, tmp_path: Path) -> None:
    response = client_for("hq_admin").get(template_url("customers", "csv"))
    assert response.content.startswith("\ufeff".encode())
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[0] == "客户号"
    row = customer_row(7, owner=world.rm_bj.employee_no)
    filled = tmp_path / "客户导入模板.csv"
    with filled.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerow([row[name] for name in CUSTOMER_HEADER])

    job = run_import(filled)

    assert job.status == JobStatus.SUCCEEDED
    assert Customer.objects.filter(customer_no=row["customer_no"]).exists()


def test_only_importers_download_templates_and_unknown_ones_are_not_found(client_for) -> None:
    assert client_for("rm").get(template_url("customers", "xlsx")).status_code == 403
    assert client_for("hq_admin").get(template_url("accounts", "xlsx")).status_code == 404
    assert client_for("hq_admin").get(template_url("customers", "pdf")).status_code == 404
