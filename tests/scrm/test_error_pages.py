"""Errors answer with the product's own pages, in Chinese, in development as in production."""

import pytest
from django.test import Client, RequestFactory, override_settings
from django.utils import translation
from django.views.defaults import server_error
from pytest_django.asserts import assertContains, assertNotContains

from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_a_page_of_another_role_is_refused_with_the_products_page(client_for) -> None:
    response = client_for("rm").get("/customers/imports/")

    assert response.status_code == 403
    assertContains(response, "您的角色无权打开此页面", status_code=403)
    assertContains(response, 'class="scrm-sidebar"', status_code=403)  # the RM keeps their navigation
    assertNotContains(response, "Forbidden", status_code=403)


@pytest.mark.parametrize("debug", [True, False], ids=["development", "production"])
def test_a_customer_outside_the_scope_is_not_found_in_the_products_words(world: World, client_for, debug: bool) -> None:
    stranger = world.customers_rm_sh[0]

    with override_settings(DEBUG=debug):
        response = client_for("rm").get(f"/customers/{stranger.customer_no}/")

    assert response.status_code == 404
    assertContains(response, "找不到此页面或记录", status_code=404)
    assertContains(response, "不在您负责的客户和机构范围内", status_code=404)
    assertNotContains(response, "Page not found", status_code=404)
    assertNotContains(response, "URLconf", status_code=404)  # Django's technical page names it


def test_the_api_keeps_answering_json_when_not_found(world: World, client_for) -> None:
    with override_settings(DEBUG=True):
        response = client_for("rm").get(f"/api/customers/{world.customers_rm_sh[0].customer_no}/360/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_form_sent_without_its_token_says_it_expired_and_changes_nothing(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.hq_admin.user)

    response = client.post("/segments/new/", {"name": "无令牌"})

    assert response.status_code == 403
    assertContains(response, "此表单已过期", status_code=403)
    assertContains(response, "本次未做任何更改", status_code=403)


def test_the_server_error_page_stands_alone_in_chinese() -> None:
    with translation.override("zh-hans"):
        response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "系统出现了问题" in page
    assert "返回工作台" in page
    assert "Server Error" not in page
