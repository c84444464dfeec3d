"""Segment pages: the list, and one segment with its scoped live count, masked sample and exports."""

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from customers.models import Customer, Segment
from customers.segments.services import segment_create
from tests.conftest import World
from tests.customers.segments.conftest import Tags

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.customers.segments.urls")]


@pytest.fixture
def segment(world: World, tags: Tags) -> Segment:
    return segment_create(
        name="高净值贵宾",
        description="贵宾且资产五十万以上",
        definition={"tags_any": ["vip"], "tags_none": ["dnd"], "rule": {"field": "aum", "op": "gte", "value": 50000}},
        actor=world.hq_admin,
    )


def test_the_list_links_each_segment(segment: Segment, client_for) -> None:
    response = client_for("rm").get(reverse("segments-page"))

    assert response.status_code == 200
    assertContains(response, f'<a href="{reverse("segment-page", args=[segment.pk])}">高净值贵宾</a>', html=True)


def test_a_segment_page_shows_the_definition_count_sample_and_exports(
    world: World, segment: Segment, client_for
) -> None:
    response = client_for("rm").get(reverse("segment-page", args=[segment.pk]))

    assert response.status_code == 200
    assertContains(response, '<p class="scrm-stat-value" id="segment-count">3</p>', html=True)
    assertContains(response, '<span class="badge text-bg-light border">贵宾</span>', html=True)
    assertContains(response, '<span class="badge text-bg-light border">勿扰</span>', html=True)
    assertContains(response, "资产规模 大于或等于 50000 元")  # the rule in words, not its JSON
    for customer in [*world.customers_rm_bj[:2], world.pool_customer_bj_hd_1]:
        assertContains(response, customer.customer_no)
    assertNotContains(response, world.customers_rm_sh[0].customer_no)
    assertNotContains(response, "张三")
    export = reverse("api:segment-export", args=[segment.pk])
    assertContains(response, f'href="{export}?format=csv"')
    assertContains(response, f'href="{export}?format=xlsx"')


def test_a_segment_that_no_longer_compiles_says_why(world: World, segment: Segment, tags: Tags, client_for) -> None:
    tags.dnd.delete()

    response = client_for("hq_admin").get(reverse("segment-page", args=[segment.pk]))

    assert response.status_code == 200
    assertContains(response, "标签代码不存在：dnd。")


def test_an_unknown_segment_is_not_found(world: World, client_for) -> None:
    assert client_for("rm").get(reverse("segment-page", args=[999])).status_code == 404


def test_strangers_are_sent_to_sign_in(segment: Segment) -> None:
    response = Client().get(reverse("segment-page", args=[segment.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_no_full_name_reaches_the_page_even_for_hq(world: World, segment: Segment, client_for) -> None:
    Customer.objects.filter(pk=world.customers_rm_sh[0].pk).update(aum=60000)

    response = client_for("hq_admin").get(reverse("segment-page", args=[segment.pk]))

    assertContains(response, '<p class="scrm-stat-value" id="segment-count">4</p>', html=True)
    assertNotContains(response, "张三")
