"""customer_search: every filter, the blind-index lookups, name search, and the scope around them all."""

from dataclasses import fields
from decimal import Decimal

import pytest

from customers.models import AumBand, Customer, LifecycleStage, RiskLevel
from customers.search.selectors import CustomerSearchFilters, customer_search
from scrm.core.exceptions import ApplicationError
from tests.conftest import World
from tests.customers.segments.conftest import Tags, everyone, ids, visible
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ROLES = ["hq_admin", "compliance", "branch_manager", "rm"]


def search(world: World, role: str, **filters) -> set[int]:
    return ids(customer_search(user=world.staff_for(role).user, filters=CustomerSearchFilters(**filters)))


# --- exact lookup through the blind index ----------------------------------------------------------


@pytest.mark.parametrize("typed", ["13800138000", "+86 138-0013-8000", "86 138 0013 8000", " 138 0013 8000 "])
def test_a_phone_is_found_however_it_is_typed(world: World, typed: str) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone="13800138000")

    assert search(world, "rm", phone=typed) == {customer.pk}


def test_an_id_number_is_found_whatever_the_case_of_its_check_letter(world: World) -> None:
    customer = CustomerFactory(owner=world.rm_bj, id_number="11010519491231002X")

    assert search(world, "rm", id_number="11010519491231002x") == {customer.pk}
    assert search(world, "rm", id_number="110105194912310021") == set()


def test_the_exact_phone_of_another_rms_customer_finds_nothing(world: World) -> None:
    theirs = CustomerFactory(owner=world.rm_sh, phone="13900001111", id_number="310101199001011234")

    assert search(world, "rm", phone="13900001111") == set()
    assert search(world, "rm", id_number="310101199001011234") == set()
    assert search(world, "branch_manager", phone="13900001111") == set()
    assert search(world, "hq_admin", phone="13900001111") == {theirs.pk}


# --- the other filters ---------------------------------------------------------------------------


@pytest.fixture
def varied(world: World, tags: Tags) -> list[Customer]:
    """Give the world's customers different AUM, stage and risk, in id order."""
    customers = sorted(everyone(world), key=lambda customer: customer.pk)
    for index, customer in enumerate(customers):
        customer.aum = Decimal(index * 100_000)
        customer.lifecycle_stage = [LifecycleStage.NEW, LifecycleStage.MATURE][index % 2]
        customer.risk_level = [RiskLevel.C2, RiskLevel.C4, ""][index % 3]
        customer.save()
    return customers


@pytest.mark.parametrize("role", ROLES)
def test_each_filter_selects_within_the_scope(world: World, varied: list[Customer], tags: Tags, role: str) -> None:
    def expect(predicate) -> set[int]:
        return {customer.pk for customer in varied if predicate(customer)} & visible(world, role)

    bj, sh = world.customers_rm_bj, world.customers_rm_sh

    assert search(world, role, aum_band=AumBand.WEALTH) == expect(lambda c: 500_000 <= c.aum < 6_000_000)
    assert search(world, role, aum_min=Decimal(200_000), aum_max=Decimal(500_000)) == expect(
        lambda c: 200_000 <= c.aum <= 500_000
    )
    assert search(world, role, lifecycle_stage=LifecycleStage.MATURE) == expect(
        lambda c: c.lifecycle_stage == LifecycleStage.MATURE
    )
    assert search(world, role, risk_level=RiskLevel.C4) == expect(lambda c: c.risk_level == RiskLevel.C4)
    assert search(world, role, branch="BJ-HD") == expect(lambda c: c.branch_id in (world.bj_hd_1.pk, world.bj_hd_2.pk))
    assert search(world, role, branch="BJ-HD-2") == expect(lambda c: c.branch_id == world.bj_hd_2.pk)
    assert search(world, role, owner=world.rm_sh.employee_no) == expect(lambda c: c.owner_id == world.rm_sh.pk)
    assert search(world, role, tags_any=("vip",), tags_all=("pension",)) == ids([bj[1], sh[0]]) & visible(world, role)
    assert search(world, role, tags_all=("vip", "pension")) == ids([bj[1], sh[0]]) & visible(world, role)


def test_filters_combine_with_and(world: World, varied: list[Customer], tags: Tags) -> None:
    assert search(world, "hq_admin", tags_any=("pension",), lifecycle_stage=LifecycleStage.NEW, branch="SH") == {
        customer.pk
        for customer in (world.customers_rm_sh[0], world.customers_rm_sh[1])
        if customer.lifecycle_stage == LifecycleStage.NEW
    }


def test_an_unknown_tag_is_an_error_but_an_unknown_branch_or_owner_just_matches_nothing(
    world: World, tags: Tags
) -> None:
    with pytest.raises(ApplicationError) as raised:
        search(world, "rm", tags_any=("ghost",))

    assert raised.value.extra == {"field": "tags", "codes": ["ghost"]}
    assert search(world, "hq_admin", branch="NOWHERE") == set()
    assert search(world, "hq_admin", owner="E-NOBODY") == set()


# Every filter, each set to select one of rm_sh's customers (outside rm_bj's scope).
def out_of_scope_filters(world: World) -> list[CustomerSearchFilters]:
    return [
        CustomerSearchFilters(tags_any=("vip",)),
        CustomerSearchFilters(tags_all=("vip", "pension")),
        CustomerSearchFilters(aum_band=AumBand.PRIVATE),
        CustomerSearchFilters(aum_min=Decimal(7_000_000)),
        CustomerSearchFilters(aum_max=Decimal(1)),
        CustomerSearchFilters(lifecycle_stage=LifecycleStage.CHURNED),
        CustomerSearchFilters(risk_level=RiskLevel.C5),
        CustomerSearchFilters(branch="SH"),
        CustomerSearchFilters(owner=world.rm_sh.employee_no),
        CustomerSearchFilters(phone="13712345678"),
        CustomerSearchFilters(id_number="310101198001011111"),
        CustomerSearchFilters(name="王五"),
        CustomerSearchFilters(name="王"),
        CustomerSearchFilters(customer_no=world.customers_rm_sh[0].customer_no),
        CustomerSearchFilters(tags_any=("vip",), branch="SH-PD-1", name="王五", phone="13712345678"),
    ]


def test_the_out_of_scope_cases_cover_every_filter(world: World) -> None:
    used = {field.name for case in out_of_scope_filters(world) for field in fields(case) if getattr(case, field.name)}

    assert used == {field.name for field in fields(CustomerSearchFilters)}


@pytest.mark.parametrize("role", ["rm", "branch_manager"])
def test_no_filter_reaches_a_customer_outside_the_scope(world: World, tags: Tags, role: str) -> None:
    theirs = world.customers_rm_sh[0]
    CustomerFactory(owner=world.rm_sh, name="王五", phone="13712345678", id_number="310101198001011111", aum=0)
    Customer.objects.filter(pk=theirs.pk).update(
        aum=Decimal(8_000_000), lifecycle_stage=LifecycleStage.CHURNED, risk_level=RiskLevel.C5
    )
    user = world.staff_for(role).user

    for filters in out_of_scope_filters(world):
        found = ids(customer_search(user=user, filters=filters))
        assert found <= visible(world, role), filters
        assert theirs.pk not in found, filters


# --- names -------------------------------------------------------------------------------------


def test_a_name_matches_whole_and_normalised(world: World) -> None:
    customer = CustomerFactory(owner=world.rm_bj, name="欧阳 娜娜")
    english = CustomerFactory(owner=world.rm_bj, name="Li  Lei")

    assert search(world, "rm", name="欧阳 娜娜") == {customer.pk}
    assert search(world, "rm", name=" 欧阳  娜娜 ") == {customer.pk}
    assert search(world, "rm", name="ｌｉ ｌｅｉ") == {english.pk}  # full-width forms, any case


@pytest.mark.parametrize("fragment", ["欧阳 娜", "娜娜", "欧", "阳 娜"])
def test_part_of_a_name_finds_nothing(world: World, fragment: str) -> None:
    """A search confirms a name the searcher knows; it cannot read names a character at a time.

    Only the surname alone ("欧阳", tests/customers/search/test_surname_search.py) finds the
    customers of that surname, which their masked name (欧**) shows anyway.
    """
    CustomerFactory(owner=world.rm_bj, name="欧阳 娜娜")

    assert search(world, "rm", name=fragment) == set()


def test_a_name_search_over_too_many_customers_asks_to_narrow_it(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("customers.search.selectors.NAME_SEARCH_MAX_CANDIDATES", 5)

    with pytest.raises(ApplicationError) as raised:
        search(world, "hq_admin", name="张三")

    assert raised.value.extra == {"field": "name", "limit": 5}
    assert search(world, "rm", name="张三") == visible(world, "rm")  # 4 candidates: within the limit
    assert search(world, "hq_admin", name="张三", branch="BJ-HD-1") == visible(world, "rm")


def test_the_name_search_reads_only_the_narrowed_candidates(world: World, django_assert_num_queries) -> None:
    user = world.rm_bj.user
    user.refresh_from_db()

    with django_assert_num_queries(2):  # the viewer's scope, the candidates' names
        customers = customer_search(user=user, filters=CustomerSearchFilters(name="张三"))

    assert ids(customers) == visible(world, "rm")
