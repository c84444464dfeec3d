"""The holdings import records purchases: a new holding, or more of one, in the upsert's own statement."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from customers.models import HoldingPurchase, ImportKind
from tests.conftest import World
from tests.customers.imports.conftest import ImportRunner
from tests.customers.imports.extracts import HOLDING_HEADER, csv_write, holding_row

pytestmark = pytest.mark.django_db


def purchases() -> list[tuple[str, Decimal, datetime.date]]:
    return sorted(HoldingPurchase.objects.values_list("product_code", "amount", "purchased_on"))


def test_new_and_increased_holdings_are_purchases_and_the_rest_are_not(
    world: World, run_import: ImportRunner, tmp_path: Path
) -> None:
    customer = world.customers_rm_bj[0].customer_no
    today = timezone.localdate()

    def load(name: str, *rows: dict[str, str]) -> None:
        run_import(csv_write(tmp_path / name, list(rows), header=HOLDING_HEADER), kind=ImportKind.HOLDINGS)

    load(
        "first.csv",
        holding_row(customer, "TD-1Y", amount="50000"),
        holding_row(customer, "FUND-A", product_type="fund", amount="1000", opened_on=""),
    )
    load("same.csv", holding_row(customer, "TD-1Y", amount="50000"))
    load("more.csv", holding_row(customer, "FUND-A", product_type="fund", amount="3500", opened_on=""))
    load("less.csv", holding_row(customer, "TD-1Y", amount="20000"))

    assert purchases() == sorted(
        [
            ("TD-1Y", Decimal("50000.00"), datetime.date(2026, 1, 15)),  # new: its value date
            ("FUND-A", Decimal("1000.00"), today),  # new, no value date: the import's day
            ("FUND-A", Decimal("2500.00"), today),  # more of it: the difference
        ]
    )
    assert set(HoldingPurchase.objects.values_list("product_type", flat=True)) == {"time_deposit", "fund"}


def test_a_dry_run_records_no_purchase(world: World, run_import: ImportRunner, tmp_path: Path) -> None:
    path = csv_write(
        tmp_path / "dry.csv", [holding_row(world.customers_rm_bj[0].customer_no, "TD-1Y")], header=HOLDING_HEADER
    )

    run_import(path, kind=ImportKind.HOLDINGS, dry_run=True)

    assert purchases() == []
