"""The customer import keeps the surname blind index in step with the name it seals."""

from pathlib import Path

import pytest

from customers.models import Customer
from customers.search.selectors import CustomerSearchFilters, customer_search
from tests.conftest import World
from tests.customers.imports.conftest import ImportRunner
from tests.customers.imports.extracts import csv_write, customer_row

pytestmark = pytest.mark.django_db


def by_surname(world: World, surname: str) -> set[int]:
    found = customer_search(user=world.rm_bj.user, filters=CustomerSearchFilters(name=surname))
    return set(found.values_list("id", flat=True))


def test_an_import_indexes_the_surname_and_follows_a_renamed_customer(
    world: World, run_import: ImportRunner, tmp_path: Path
) -> None:
    def row(name: str) -> dict[str, str]:
        return customer_row(1, owner=world.rm_bj.employee_no, branch=world.bj_hd_1.code, name=name)

    run_import(csv_write(tmp_path / "first.csv", [row("赵云")]))
    assert by_surname(world, "赵") == {Customer.objects.get(customer_no="K00000001").pk}

    run_import(csv_write(tmp_path / "second.csv", [row("钱多多")]))
    assert by_surname(world, "赵") == set()
    assert by_surname(world, "钱") == {Customer.objects.get(customer_no="K00000001").pk}
