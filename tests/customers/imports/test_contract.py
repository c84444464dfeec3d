"""The column contract: how a header is read, and that docs/imports.md tells the bank the same."""

from pathlib import Path

import pytest
from django.conf import settings

from customers.imports.contract import CONTRACTS, CUSTOMER_CONTRACT, HOLDING_CONTRACT, Contract

DOCS = Path(settings.BASE_DIR) / "docs/imports.md"


def test_english_names_in_any_case_and_chinese_names_are_read_and_others_ignored() -> None:
    cells = (
        "\ufeffCUSTOMER_NO, 姓名 ,备注,Phone,证件号码,性别,出生日期,机构号,客户经理工号,"
        "资产,风险等级,营销授权,授权渠道,开户日期,"
    )

    header, problems = CUSTOMER_CONTRACT.header_map(cells.split(","))

    assert not problems
    assert header.positions["customer_no"] == 0
    assert header.positions["phone"] == 3
    assert "last_contact_at" not in header.positions
    assert header.label("customer_no") == "CUSTOMER_NO"
    assert header.label("name") == "姓名"
    assert header.ignored == ("备注",)


def test_missing_and_repeated_columns_are_named() -> None:
    _header, problems = HOLDING_CONTRACT.header_map(["客户号", "customer_no", "产品代码", "amount"])

    assert problems.missing == ("product_name", "product_type", "opened_on", "maturity_date")
    assert problems.duplicated == ("customer_no",)
    assert HOLDING_CONTRACT.describe(problems.missing) == [
        "product_name (产品名称)",
        "product_type (产品类型)",
        "opened_on (起息日)",
        "maturity_date (到期日)",
    ]


def test_the_keys_of_the_upserts() -> None:
    assert CUSTOMER_CONTRACT.key == ("customer_no",)
    assert HOLDING_CONTRACT.key == ("customer_no", "product_code")


@pytest.mark.parametrize("contract", CONTRACTS.values(), ids=lambda contract: contract.kind)
def test_the_documentation_lists_every_column_with_its_names_and_example(contract: Contract) -> None:
    rows = [line for line in DOCS.read_text().splitlines() if line.startswith("| `")]

    for column in contract.columns:
        documented = [row for row in rows if row.startswith(f"| `{column.name}` | {' · '.join(column.aliases)} |")]
        assert documented, f"docs/imports.md does not document {column.name} with its Chinese names"
        assert any(f"`{column.example}`" in row for row in documented), f"{column.name}: example differs"
        assert any(row.split(" | ")[3] == ("yes" if column.required else "**no**") for row in documented)
