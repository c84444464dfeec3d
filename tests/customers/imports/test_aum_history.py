"""The customer import keeps the AUM history: a snapshot for the day whenever it sets a customer's AUM."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from customers.models import AumSnapshot
from tests.conftest import World
from tests.customers.imports.conftest import ImportRunner
from tests.customers.imports.extracts import csv_write, customer_row

pytestmark = pytest.mark.django_db


def snapshots() -> list[tuple[str, datetime.date, Decimal]]:
    return sorted(
        (customer_no, as_of, aum)
        for customer_no, as_of, aum in AumSnapshot.objects.values_list("customer__customer_no", "as_of", "aum")
    )


def test_new_customers_and_changed_aum_get_the_days_snapshot_and_unchanged_aum_does_not(
    world: World, run_import: ImportRunner, tmp_path: Path
) -> None:
    today = timezone.localdate()

    def row(serial: int, **overrides: str) -> dict[str, str]:
        return customer_row(serial, owner=world.rm_bj.employee_no, branch=world.bj_hd_1.code, **overrides)

    run_import(csv_write(tmp_path / "first.csv", [row(1, aum="1000.00"), row(2, aum="2000.00")]))
    assert snapshots() == [("K00000001", today, Decimal("1000.00")), ("K00000002", today, Decimal("2000.00"))]

    # The same day again: a changed AUM replaces the day's value; a change of another field adds nothing.
    run_import(csv_write(tmp_path / "second.csv", [row(1, aum="500.00"), row(2, aum="2000.00", risk_level="C5")]))
    assert snapshots() == [("K00000001", today, Decimal("500.00")), ("K00000002", today, Decimal("2000.00"))]


def test_a_snapshot_of_an_earlier_day_stays_beside_todays(
    world: World, run_import: ImportRunner, tmp_path: Path
) -> None:
    customer = world.customers_rm_bj[0]
    today = timezone.localdate()
    AumSnapshot.objects.create(customer=customer, as_of=today - datetime.timedelta(days=30), aum=Decimal("9.00"))
    row = customer_row(7, owner=world.rm_bj.employee_no, branch=world.bj_hd_1.code, customer_no=customer.customer_no)

    run_import(csv_write(tmp_path / "update.csv", [row | {"aum": "12.00"}]))

    assert list(AumSnapshot.objects.filter(customer=customer).order_by("as_of").values_list("aum", flat=True)) == [
        Decimal("9.00"),
        Decimal("12.00"),
    ]


def test_a_dry_run_or_a_rejected_file_keeps_no_snapshot(world: World, run_import: ImportRunner, tmp_path: Path) -> None:
    from customers.models import ImportMode

    row = customer_row(1, owner=world.rm_bj.employee_no, branch=world.bj_hd_1.code)
    run_import(csv_write(tmp_path / "dry.csv", [row]), dry_run=True)
    bad = customer_row(2, owner=world.rm_bj.employee_no, branch=world.bj_hd_1.code, aum="-1")
    run_import(csv_write(tmp_path / "bad.csv", [row, bad]), mode=ImportMode.ALL_OR_NOTHING)

    assert snapshots() == []
