"""Segment members: tags any / all / none and a rule, always inside the viewer's scope."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Exists
from django.db.models.expressions import RawSQL

from customers.models import Customer, LifecycleStage, ProductHolding, ProductType, Tag
from customers.rules import FIELDS
from customers.segments.definition import segment_definition_compile
from customers.segments.expressions import CustomerRuleCondition
from customers.segments.selectors import segment_member_count, segment_member_sample, segment_members
from customers.segments.services import segment_create
from scrm.core.exceptions import ApplicationError
from tests.conftest import World
from tests.customers.segments.conftest import Tags, ids, visible

pytestmark = pytest.mark.django_db

ROLES = ["hq_admin", "compliance", "branch_manager", "rm"]


def members(world: World, role: str, definition: dict) -> set[int]:
    return ids(segment_members(segment_or_definition=definition, user=world.staff_for(role).user))


def expected(world: World, role: str, matching: list[Customer]) -> set[int]:
    return ids(matching) & visible(world, role)


@pytest.mark.parametrize("role", ROLES)
def test_tags_any_all_and_none_select_within_the_scope(world: World, tags: Tags, role: str) -> None:
    bj, bj2, sh, pool = (
        world.customers_rm_bj,
        world.customers_rm_bj2,
        world.customers_rm_sh,
        world.pool_customer_bj_hd_1,
    )

    any_of = members(world, role, {"tags_any": ["vip", "pension"]})
    all_of = members(world, role, {"tags_all": ["vip", "pension"]})
    none_of = members(world, role, {"tags_none": ["vip", "dnd"]})
    mixed = members(world, role, {"tags_any": ["vip"], "tags_none": ["dnd"]})

    assert any_of == expected(world, role, [*bj, bj2[0], sh[0], sh[1], pool])
    assert all_of == expected(world, role, [bj[1], sh[0]])
    assert none_of == expected(world, role, [bj2[1], sh[1], sh[2], sh[3]])
    assert mixed == expected(world, role, [bj[0], bj[1], sh[0], pool])


@pytest.mark.parametrize("role", ROLES)
def test_a_rule_combines_with_tags(world: World, tags: Tags, role: str) -> None:
    bj, sh = world.customers_rm_bj, world.customers_rm_sh
    for customer in (bj[1], bj[2], sh[0], sh[2]):
        Customer.objects.filter(pk=customer.pk).update(aum=Decimal("800000"))

    rich_pension = members(
        world, role, {"tags_any": ["pension"], "rule": {"field": "aum", "op": "gte", "value": 500000}}
    )

    assert rich_pension == expected(world, role, [bj[1], bj[2], sh[0]])


def test_rules_over_holdings_and_tags_select_the_same_way(world: World, tags: Tags) -> None:
    bj, sh = world.customers_rm_bj, world.customers_rm_sh
    ProductHolding.objects.create(
        customer=bj[0], product_code="W1", product_name="稳健理财", product_type=ProductType.WEALTH, amount=1
    )
    ProductHolding.objects.create(
        customer=sh[3], product_code="W1", product_name="稳健理财", product_type=ProductType.WEALTH, amount=1
    )
    rule = {"any": [{"field": "product_type_held", "op": "in", "value": ["wealth"]},
                    {"field": "has_tag", "op": "eq", "value": "dnd"}]}  # fmt: skip

    assert members(world, "hq_admin", {"rule": rule}) == ids([bj[0], bj[2], world.customers_rm_bj2[0], sh[3]])
    assert members(world, "rm", {"rule": rule}) == ids([bj[0], bj[2]])


# Every field of the rule language over the customer's own columns, with each kind of operator.
OWN_COLUMN_RULES = [
    {"field": "aum", "op": "between", "value": [50000, 600000]},
    {"field": "age", "op": "gte", "value": 42},
    {"field": "gender", "op": "eq", "value": "F"},
    {"field": "lifecycle_stage", "op": "in", "value": ["mature", "dormant"]},
    {"field": "risk_level", "op": "not_in", "value": ["C1"]},
    {"field": "marketing_consent", "op": "eq", "value": True},
    {"field": "branch", "op": "not_in_subtree", "value": "BJ-HD"},
    {"field": "days_since_last_contact", "op": "gt", "value": 30},
    {"field": "days_as_customer", "op": "lte", "value": 400},
    {"field": "customer_since", "op": "between", "value": ["2025-03-01", "2025-09-30"]},
    {"not": {"any": [{"field": "aum", "op": "lt", "value": 1000}, {"field": "gender", "op": "ne", "value": "M"}]}},
]


def test_the_own_column_rules_cover_every_such_field() -> None:
    fields = {rule["field"] for rule in OWN_COLUMN_RULES if "field" in rule}

    assert fields == set(FIELDS) - {"product_type_held", "holding_matures", "has_tag"}


@pytest.mark.parametrize("rule", OWN_COLUMN_RULES, ids=lambda rule: rule.get("field", "not"))
def test_the_where_clause_form_agrees_with_the_self_contained_subquery(world: World, rule: dict) -> None:
    """CustomerRuleCondition rebinds the compiler's ``c`` to Django's alias; check it
    against the unambiguous ``id IN (SELECT c.id FROM customers_customer c …)``."""
    everyone = list(Customer.objects.visible_to(world.hq_admin.user).order_by("id"))
    for index, customer in enumerate(everyone):
        customer.aum = Decimal(index * 70000)
        customer.gender = "F" if index % 3 else "M"
        customer.lifecycle_stage = list(LifecycleStage)[index % 5]
        customer.risk_level = ["", "C1", "C3"][index % 3]
        customer.marketing_consent = index % 2 == 0
        customer.birth_date = datetime.date(1980 + index, 1, 1)
        customer.opened_on = datetime.date(2025, 1, 1) + datetime.timedelta(days=40 * index)
        customer.last_contact_at = (
            None
            if index % 4 == 0
            else datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC) - datetime.timedelta(days=9 * index)
        )
        customer.save()
    compiled = segment_definition_compile({"rule": rule}, on=datetime.date(2026, 6, 15))
    condition = compiled.rule
    assert condition is not None
    scoped = Customer.objects.visible_to(world.hq_admin.user)

    by_where = ids(scoped.filter(CustomerRuleCondition(condition)))
    self_contained = RawSQL("SELECT c.id FROM customers_customer c WHERE " + condition.sql, condition.params)  # noqa: S611
    by_subquery = ids(scoped.filter(pk__in=self_contained))

    assert by_where == by_subquery
    assert 0 < len(by_where) < len(everyone), "the data should split the customers"


def test_members_stay_right_when_nested_in_another_query(world: World, tags: Tags) -> None:
    """Nested, Django renames the customer table to U0…; the rule must follow it, not
    silently bind to the outer query's customer row."""
    rich = world.customers_rm_bj[1]
    Customer.objects.filter(pk=rich.pk).update(aum=Decimal("900000"))
    segment = {"tags_any": ["vip"], "rule": {"field": "aum", "op": "gte", "value": 500000}}
    inner = segment_members(segment_or_definition=segment, user=world.hq_admin.user)
    everyone = Customer.objects.visible_to(world.hq_admin.user)

    members_again = everyone.filter(pk__in=inner.values("pk"))
    while_any_member_exists = everyone.filter(Exists(inner))

    assert ids(members_again) == {rich.pk}
    assert ids(while_any_member_exists) == ids(everyone)


def test_count_and_sample_are_scoped_and_masked(world: World, tags: Tags, django_assert_num_queries) -> None:
    rm = world.rm_bj.user
    rm.refresh_from_db()  # a fresh user object: its scope is looked up once
    definition = {"tags_any": ["vip"]}

    count = segment_member_count(segment_or_definition=definition, user=rm)
    with django_assert_num_queries(2):  # the tag codes, the members with branch and owner
        sample = segment_member_sample(segment_or_definition=definition, user=rm)

    assert count == 3
    assert [profile.customer_no for profile in sample] == [
        world.customers_rm_bj[0].customer_no,
        world.customers_rm_bj[1].customer_no,
        world.pool_customer_bj_hd_1.customer_no,
    ]
    assert {profile.name_masked for profile in sample} == {"张*"}
    assert all(profile.phone_masked and "****" in profile.phone_masked for profile in sample)


def test_the_sample_holds_at_most_twenty(world: World, tags: Tags) -> None:
    more = [Customer(**{**_copy(world.customers_rm_sh[0]), "customer_no": f"X{n}"}) for n in range(25)]
    Customer.objects.bulk_create(more)

    sample = segment_member_sample(segment_or_definition={"tags_none": ["vip"]}, user=world.hq_admin.user)

    assert len(sample) == 20


def _copy(customer: Customer) -> dict:
    fields = (
        "name_cipher",
        "phone_cipher",
        "phone_index",
        "id_number_cipher",
        "id_number_index",
        "branch_id",
        "owner_id",
    )
    return {field: getattr(customer, field) for field in fields}


def test_a_segment_whose_tag_was_deleted_is_reported_not_silently_widened(world: World, tags: Tags) -> None:
    segment = segment_create(
        name="贵宾非勿扰", definition={"tags_any": ["vip"], "tags_none": ["dnd"]}, actor=world.hq_admin
    )
    Tag.objects.filter(pk=tags.dnd.pk).delete()

    with pytest.raises(ApplicationError) as raised:
        segment_members(segment_or_definition=segment, user=world.hq_admin.user)

    assert raised.value.extra == {"field": "definition", "codes": ["dnd"]}


def test_nobody_without_a_scope_sees_members(world: World, tags: Tags) -> None:
    world.rm_bj.status = "departed"
    world.rm_bj.save()
    user = type(world.rm_bj.user).objects.get(pk=world.rm_bj.user_id)

    assert segment_member_count(segment_or_definition={"tags_any": ["vip"]}, user=user) == 0
