"""The customer list page: a filter form, masked rows, and "load more" by keyset over htmx."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateNotUsed, assertTemplateUsed

from tests.conftest import World
from tests.customers.segments.conftest import visible
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.customers.search.urls")]


def page_url() -> str:
    return reverse("customers-page")


def listed(html: str) -> list[str]:
    return re.findall(r'<td class="font-monospace"><a href="[^"]+">(C\d+)</a></td>', html)


def load_more_url(html: str) -> str | None:
    found = re.search(r'hx-get="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_page_lists_the_viewers_customers_masked(world: World, client_for) -> None:
    response = client_for("rm").get(page_url())

    assert response.status_code == 200
    assertTemplateUsed(response, "customers/search/list.html")
    html = response.content.decode()
    assert set(listed(html)) == {c.customer_no for c in [*world.customers_rm_bj, world.pool_customer_bj_hd_1]}
    assertContains(response, "<td>张*</td>", count=4, html=True)
    assertNotContains(response, "张三")
    assertContains(response, 'name="phone"')
    assert load_more_url(html) is None


def test_load_more_fetches_the_next_rows_only_until_every_row_is_shown(world: World, client_for) -> None:
    CustomerFactory.create_batch(120, owner=world.rm_bj)
    client = client_for("rm")

    first = client.get(page_url(), {"ordering": "-aum"})
    seen = listed(first.content.decode())
    next_url = load_more_url(first.content.decode())
    while next_url:
        more = client.get(next_url, headers={"HX-Request": "true"})
        assertTemplateUsed(more, "customers/search/_rows.html")
        assertTemplateNotUsed(more, "customers/search/list.html")
        assert "HX-Request" in more["Vary"]
        seen += listed(more.content.decode())
        next_url = load_more_url(more.content.decode())

    assert len(seen) == len(set(seen)) == 124
    assert "ordering=-aum" in load_more_url(first.content.decode())


def test_the_form_filters_and_shows_bad_input(world: World, client_for) -> None:
    CustomerFactory(owner=world.rm_bj, phone="13800138000")
    client = client_for("rm")

    found = client.get(page_url(), {"phone": "+86 138 0013 8000"})
    bad = client.get(page_url(), {"phone": "none"})

    assert len(listed(found.content.decode())) == 1
    assertContains(bad, 'class="form-control form-control-sm is-invalid"')
    assert listed(bad.content.decode()) == []


def test_a_refused_search_is_explained(world: World, client_for) -> None:
    response = client_for("rm").get(page_url(), {"tags_any": "ghost"})

    assertContains(response, "没有名为“ghost”的标签。")


def test_another_rms_customer_never_appears(world: World, client_for) -> None:
    theirs = CustomerFactory(owner=world.rm_sh, phone="13700001111")

    response = client_for("rm").get(page_url(), {"phone": "13700001111"})

    assertNotContains(response, theirs.customer_no)
    assertContains(response, 'id="no-customers"')
    assert len(visible(world, "rm")) == 4


def test_strangers_are_sent_to_sign_in(world: World) -> None:
    response = Client().get(page_url())

    assert response.status_code == 302


def test_the_search_form_posts_so_a_phone_never_sits_in_a_url(world: World, client_for) -> None:
    CustomerFactory(owner=world.rm_bj, phone="13800138000")
    client = client_for("rm")

    form = client.get(page_url()).content.decode()
    found = client.post(page_url(), {"phone": "13800138000"})

    assert 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert len(listed(found.content.decode())) == 1


def test_load_more_of_a_posted_search_posts_the_form_again(world: World, client_for) -> None:
    CustomerFactory.create_batch(120, owner=world.rm_bj)
    client = client_for("rm")

    first = client.post(page_url(), {"ordering": "-aum", "owner": world.rm_bj.employee_no})
    html = first.content.decode()
    seen = listed(html)
    while found := re.search(r'<tr id="load-more">.*?hx-post="([^"]+)"', html, re.DOTALL):
        assert 'hx-include="#customer-search"' in html
        more = client.post(
            found.group(1).replace("&amp;", "&"),
            {"ordering": "-aum", "owner": world.rm_bj.employee_no},
            headers={"HX-Request": "true"},
        )
        html = more.content.decode()
        seen += listed(html)

    assert len(seen) == len(set(seen)) == 123


def test_tags_given_by_code_or_name_are_shown_picked_by_name(world: World, tags, client_for) -> None:
    searched = client_for("rm").post(page_url(), {"tags_any": "vip,养老金客户", "tags_all": ""})

    assertContains(searched, '<option value="贵宾" selected>贵宾</option>', html=False)
    assertContains(searched, '<option value="养老金客户" selected>养老金客户</option>', html=False)
    assertContains(searched, '<option value="勿扰">勿扰</option>', html=False)
    assertNotContains(searched, ">vip<")
    assertNotContains(searched, "[]")
    assertNotContains(searched, "[&#x27;")


def test_the_tag_picker_sends_several_names_and_the_rows_show_tags_by_name(world: World, tags, client_for) -> None:
    searched = client_for("rm").post(page_url(), {"tags_all": ["贵宾", "养老金客户"]})

    html = searched.content.decode()
    assert listed(html) == [world.customers_rm_bj[1].customer_no]
    assertContains(searched, '<span class="scrm-tag me-1" style="--tag-color: #1f6feb" title="营销">贵宾</span>')
    assertNotContains(searched, ">pension<")


def test_typing_an_unknown_tag_name_is_explained(world: World, tags, client_for) -> None:
    assertContains(client_for("rm").post(page_url(), {"tags_any": "贵宾,金卡"}), "没有名为“金卡”的标签。")


def test_a_customer_number_finds_that_customer_in_scope_only(world: World, client_for) -> None:
    mine, theirs = world.customers_rm_bj[0], world.customers_rm_sh[0]
    client = client_for("rm")

    assert listed(client.post(page_url(), {"customer_no": f" {mine.customer_no} "}).content.decode()) == [
        mine.customer_no
    ]
    assert listed(client.post(page_url(), {"customer_no": theirs.customer_no}).content.decode()) == []


def test_a_surname_finds_every_customer_of_it_and_shows_them_masked(world: World, client_for) -> None:
    wang = CustomerFactory(owner=world.rm_bj, name="王小明")
    ouyang = CustomerFactory(owner=world.rm_bj, name="欧阳娜娜")
    CustomerFactory(owner=world.rm_sh, name="王大力")  # another RM's
    client = client_for("rm")

    by_wang = client.post(page_url(), {"name": "王"})
    by_ouyang = client.post(page_url(), {"name": "欧阳"})

    assert listed(by_wang.content.decode()) == [wang.customer_no]
    assertContains(by_wang, "王**")
    assertNotContains(by_wang, "王小明")
    assert listed(by_ouyang.content.decode()) == [ouyang.customer_no]


def test_the_search_page_offers_bulk_tagging_to_taggers_only(world: World, tags, client_for) -> None:
    assertContains(client_for("rm").get(page_url()), 'id="bulk-tag-form"')
    assertContains(client_for("rm").get(page_url()), f'<option value="{tags.vip.pk}">贵宾</option>')
    assertNotContains(client_for("compliance").get(page_url()), 'id="bulk-tag-form"')
