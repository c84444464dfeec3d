"""Tags on the shared world's customers, for segment and search tests.

rm_bj:   c0 vip          c1 vip pension    c2 pension dnd
rm_bj2:  c0 vip dnd      c1 —
rm_sh:   c0 vip pension  c1 pension        c2 —   c3 —
pool (BJ-HD-1): vip
"""

from dataclasses import dataclass

import pytest

from customers.models import Customer, CustomerTag, Tag, TagKind
from customers.tagging.services import tag_create, tag_group_create
from tests.conftest import World


@dataclass
class Tags:
    vip: Tag
    pension: Tag
    dnd: Tag


def tag(customer: Customer, *tags: Tag) -> None:
    CustomerTag.objects.bulk_create([CustomerTag(customer=customer, tag=t, source=TagKind.MANUAL) for t in tags])


@pytest.fixture
def tags(world: World) -> Tags:
    group = tag_group_create(code="marketing", name="营销")
    tags = Tags(
        vip=tag_create(group=group, code="vip", name="贵宾"),
        pension=tag_create(group=group, code="pension", name="养老金客户"),
        dnd=tag_create(group=group, code="dnd", name="勿扰"),
    )
    bj, bj2, sh = world.customers_rm_bj, world.customers_rm_bj2, world.customers_rm_sh
    tag(bj[0], tags.vip)
    tag(bj[1], tags.vip, tags.pension)
    tag(bj[2], tags.pension, tags.dnd)
    tag(bj2[0], tags.vip, tags.dnd)
    tag(sh[0], tags.vip, tags.pension)
    tag(sh[1], tags.pension)
    tag(world.pool_customer_bj_hd_1, tags.vip)
    return tags


def everyone(world: World) -> list[Customer]:
    return [*world.customers_rm_bj, *world.customers_rm_bj2, *world.customers_rm_sh, world.pool_customer_bj_hd_1]


def visible(world: World, role: str) -> set[int]:
    """The ids each role may see (RMs see their outlet's unassigned customers too)."""
    scopes = {
        "hq_admin": everyone(world),
        "compliance": everyone(world),
        "branch_manager": [*world.customers_rm_bj, *world.customers_rm_bj2, world.pool_customer_bj_hd_1],
        "rm": [*world.customers_rm_bj, world.pool_customer_bj_hd_1],
    }
    return {customer.pk for customer in scopes[role]}


def ids(customers: object) -> set[int]:
    return {customer.pk for customer in customers}  # type: ignore[attr-defined]
