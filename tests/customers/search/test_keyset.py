"""Keyset pages: every visible row exactly once, in order, for every sort; served by an index."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from customers.models import Customer, LifecycleStage
from customers.search.keyset import (
    NEVER_CONTACTED,
    CustomerSort,
    Position,
    customer_keyset_page,
    customers_after,
    customers_ordered,
)
from customers.search.selectors import CustomerSearchFilters, customer_search, search_reads_scope_first
from scrm.core.exceptions import ApplicationError
from tests.conftest import World
from tests.customers.segments.conftest import visible
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def crowd(world: World) -> None:
    """60 more customers with many equal AUMs and last contacts, and some never contacted."""
    for index in range(60):
        CustomerFactory(
            owner=[world.rm_bj, world.rm_bj2, world.rm_sh][index % 3],
            aum=Decimal([0, 50_000, 50_000, 1_250_000.5][index % 4]),
            last_contact_at=None if index % 5 == 0 else START - datetime.timedelta(days=index % 3),
        )


def sort_value(customer: Customer, sort: CustomerSort) -> object:
    if sort.key == "aum":
        return customer.aum
    if sort.key == "last_contact":
        return customer.last_contact_at or NEVER_CONTACTED
    return None


def walk(world: World, role: str, sort: CustomerSort, size: int, scope_first: bool = False) -> list[Customer]:
    customers = customer_search(user=world.staff_for(role).user, filters=CustomerSearchFilters())
    rows, cursor, pages = [], None, 0
    while True:
        page = customer_keyset_page(customers=customers, sort=sort, cursor=cursor, size=size, scope_first=scope_first)
        rows.extend(page.customers)
        pages += 1
        assert pages < 100, "the pages never end"
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", list(CustomerSort))
@pytest.mark.parametrize("role", ["hq_admin", "branch_manager", "rm"])
@pytest.mark.parametrize("size", [1, 7, 200])
@pytest.mark.parametrize("scope_first", [False, True])
def test_pages_return_every_visible_row_exactly_once_in_order(
    world: World, crowd: None, sort: CustomerSort, role: str, size: int, scope_first: bool
) -> None:
    rows = walk(world, role, sort, size, scope_first)

    assert len(rows) == len({row.pk for row in rows}), "a row was repeated"
    assert {row.pk for row in rows} == {
        customer.pk for customer in Customer.objects.visible_to(world.staff_for(role).user)
    }
    keys = [(sort_value(row, sort), row.pk) for row in rows]
    assert keys == sorted(keys, reverse=sort.descending)


def test_the_last_page_says_there_is_no_next(world: World) -> None:
    customers = customer_search(user=world.rm_bj.user, filters=CustomerSearchFilters())

    first = customer_keyset_page(customers=customers, sort=CustomerSort.ID, size=3)
    last = customer_keyset_page(customers=customers, sort=CustomerSort.ID, cursor=first.next_cursor, size=3)

    assert len(visible(world, "rm")) == 4
    assert (len(first.customers), len(last.customers), last.next_cursor) == (3, 1, None)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        Position(sort=CustomerSort.ID, value=None, id=1).encode(),  # another ordering's cursor
        Position(sort=CustomerSort.AUM, value="lots", id=1).encode(),
        Position(sort=CustomerSort.AUM, value=Decimal(1), id="1").encode(),  # type: ignore[arg-type]
    ],
)
def test_a_bad_cursor_is_refused(world: World, cursor: str) -> None:
    customers = customer_search(user=world.rm_bj.user, filters=CustomerSearchFilters())
    if not cursor:
        assert customer_keyset_page(customers=customers, sort=CustomerSort.AUM, cursor=cursor).next_cursor is None
        return

    with pytest.raises(ApplicationError) as raised:
        customer_keyset_page(customers=customers, sort=CustomerSort.AUM, cursor=cursor)

    assert raised.value.extra == {"field": "cursor"}


@pytest.mark.parametrize("size", [0, 201])
def test_the_page_size_is_bounded(world: World, size: int) -> None:
    customers = customer_search(user=world.rm_bj.user, filters=CustomerSearchFilters())

    with pytest.raises(ApplicationError):
        customer_keyset_page(customers=customers, sort=CustomerSort.ID, size=size)


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        (CustomerSort.AUM, "customers_aum_id_idx"),
        (CustomerSort.AUM_DESC, "customers_aum_id_idx"),
        (CustomerSort.LAST_CONTACT, "customers_last_contact_id_idx"),
        (CustomerSort.LAST_CONTACT_DESC, "customers_last_contact_id_idx"),
    ],
)
def test_a_page_after_a_cursor_is_one_range_scan_of_the_sort_index(
    world: World, sort: CustomerSort, index: str
) -> None:
    """The query's sort key and row comparison must be exactly what the index is built on."""
    position = Position(sort=sort, value=sort_value(world.customers_rm_bj[0], sort), id=world.customers_rm_bj[0].pk)
    page = customers_after(
        customer_search(user=world.hq_admin.user, filters=CustomerSearchFilters()).order_by(), position
    )
    sql, params = customers_ordered(page, sort=sort)[:50].query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert f"Index Scan{' Backward' if sort.descending else ''} using {index}" in plan, plan
    assert "Index Cond: (ROW(" in plan, plan


def test_only_an_rms_filtered_search_reads_the_scope_first(world: World) -> None:
    growing = CustomerSearchFilters(lifecycle_stage=LifecycleStage.GROWING)

    assert search_reads_scope_first(user=world.rm_bj.user, filters=growing)
    assert not search_reads_scope_first(user=world.rm_bj.user, filters=CustomerSearchFilters())
    assert not search_reads_scope_first(user=world.rm_bj.user, filters=CustomerSearchFilters(branch="BJ"))
    assert not search_reads_scope_first(user=world.branch_manager_bj.user, filters=growing)
    assert not search_reads_scope_first(user=world.hq_admin.user, filters=growing)


@pytest.mark.parametrize("sort", list(CustomerSort))
def test_an_rms_page_reads_their_book_by_the_owner_index_and_never_walks_the_table_in_order(
    world: World, crowd: None, sort: CustomerSort
) -> None:
    """Walking the (key, id) index until a page of the book turns up costs table ÷ book rows per row."""
    growing = CustomerSearchFilters(lifecycle_stage=LifecycleStage.GROWING)
    customers = customer_search(user=world.rm_bj.user, filters=growing)
    sql, params = customers_ordered(customers, sort=sort, scope_first=True)[:51].query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan" in plan, plan
    assert "Sort Key" in plan, plan
    for walked in ("customers_customer_pkey", "customers_aum_id_idx", "customers_last_contact_id_idx"):
        assert f"Index Scan using {walked}" not in plan, plan
        assert f"Index Scan Backward using {walked}" not in plan, plan
