"""A row staged as new whose customer another import created before this one's write is an update."""

from pathlib import Path

import pytest

from customers.imports import staging
from customers.models import ConsentRecord, Customer, TimelineEvent, TimelineKind
from tests.conftest import World
from tests.customers.imports.conftest import ImportRunner
from tests.customers.imports.extracts import csv_write, customer_row

pytestmark = pytest.mark.django_db


def test_a_customer_created_after_its_row_was_staged_is_updated_with_the_fields_it_changed(
    world: World, run_import: ImportRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.rm_bj.employee_no
    first = run_import(csv_write(tmp_path / "first.csv", [customer_row(1, owner=owner)]))
    # As though the second file had been staged before the first one's write committed:
    # staging found no stored customer with that number.
    monkeypatch.setattr(staging, "_sealed_pii_of", lambda customer_nos: {})

    second = run_import(
        csv_write(tmp_path / "second.csv", [customer_row(1, owner=owner, aum="99999.00", marketing_consent="N")])
    )

    assert (first.created_count, second.created_count, second.updated_count) == (1, 0, 1)
    customer = Customer.objects.get(customer_no="K00000001")
    assert (str(customer.aum), customer.marketing_consent, customer.consent_at) == ("99999.00", False, None)
    event = TimelineEvent.objects.get(kind=TimelineKind.UPDATED)
    # Freshly sealed, the personal values count as changed too: their ciphertexts differ.
    assert {"aum", "marketing_consent"} <= set(event.data["fields"])
    assert list(ConsentRecord.objects.filter(customer=customer).order_by("id").values_list("previous", "granted")) == [
        (None, True),
        (True, False),
    ]
