"""Name search by surname through the surname blind index: names stay encrypted, scope still applies."""

import pytest
from django.core.management import call_command

from customers.audit import CustomerAuditAction
from customers.models import Customer
from customers.search.selectors import CustomerSearchFilters, customer_search
from customers.services import customer_surname_index_backfill
from scrm.audit.models import AuditEvent
from scrm.pii import surname_index, surname_of, surname_query
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def search(world: World, role: str, **filters: str) -> set[int]:
    found = customer_search(user=world.staff_for(role).user, filters=CustomerSearchFilters(**filters))
    return set(found.values_list("id", flat=True))


@pytest.mark.parametrize(
    ("name", "surname"),
    [
        ("王小明", "王"),
        ("欧阳娜娜", "欧阳"),
        ("欧阳", "欧"),
        ("司马光", "司马"),
        (" 李 四 ", "李"),
        ("Ｊｏｈｎ Smith", "john"),
        ("", None),
    ],
)
def test_the_surname_is_the_first_character_or_a_compound_surname(name: str, surname: str | None) -> None:
    assert surname_of(name) == surname


@pytest.mark.parametrize(
    ("text", "surname"), [("王", "王"), ("欧阳", "欧阳"), ("王小", None), ("王小明", None), ("w", None)]
)
def test_only_a_surname_alone_is_a_surname_search(text: str, surname: str | None) -> None:
    assert surname_query(text) == surname


def test_the_index_is_keyed_and_equal_for_equal_surnames(settings) -> None:
    first = surname_index("王小明")
    assert first == surname_index("王大力") != surname_index("李小明")
    assert first != surname_index("王小明".encode().hex())  # never the plain value
    settings.PII_BLIND_INDEX_KEY = "another key"
    assert surname_index("王小明") != first


@pytest.mark.parametrize(
    ("role", "expected"), [("rm", {"mine"}), ("branch_manager", {"mine", "bj2"}), ("hq_admin", {"mine", "bj2", "sh"})]
)
def test_a_surname_finds_every_customer_of_it_in_scope(world: World, role: str, expected: set[str]) -> None:
    customers = {
        "mine": CustomerFactory(owner=world.rm_bj, name="王小明"),
        "bj2": CustomerFactory(owner=world.rm_bj2, name="王芳"),
        "sh": CustomerFactory(owner=world.rm_sh, name="王大力"),
    }
    CustomerFactory(owner=world.rm_bj, name="汪洋")

    assert search(world, role, name="王") == {customers[key].pk for key in expected}


def test_a_compound_surname_is_not_its_first_character(world: World) -> None:
    ouyang = CustomerFactory(owner=world.rm_bj, name="欧阳娜娜")
    ou = CustomerFactory(owner=world.rm_bj, name="欧小明")

    assert search(world, "rm", name="欧阳") == {ouyang.pk}
    assert search(world, "rm", name="欧") == {ou.pk}


def test_a_full_name_is_still_matched_whole_never_by_part(world: World) -> None:
    wang = CustomerFactory(owner=world.rm_bj, name="王小明")

    assert search(world, "rm", name="王小明") == {wang.pk}
    assert search(world, "rm", name="王小") == set()


def test_customers_not_yet_indexed_are_still_found_by_full_name_and_by_surname_after_the_backfill(
    world: World,
) -> None:
    wang = CustomerFactory(owner=world.rm_bj, name="王小明")
    Customer.objects.filter(pk=wang.pk).update(surname_index=None)

    assert search(world, "rm", name="王小明") == {wang.pk}
    assert search(world, "rm", name="王") == set()

    call_command("backfill_surname_index", "--batch-size", "2")

    assert search(world, "rm", name="王") == {wang.pk}
    assert customer_surname_index_backfill() == 0  # a second run writes nothing
    rows = AuditEvent.objects.filter(action=CustomerAuditAction.SURNAME_INDEX_BACKFILL).order_by("sequence")
    assert [row.data["written"] for row in rows] == [1, 0]
