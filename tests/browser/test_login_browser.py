"""A person signs in through the real login form in Chromium and lands on their workbench."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, *, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


@pytest.mark.parametrize(("username", "customers"), [("rm", 4), ("hq_admin", 10)])
def test_signing_in_shows_the_customers_of_ones_scope(
    world: World, live_server, page: Page, password: str, username: str, customers: int
) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")

    sign_in(page, username=username, password=password)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.locator("#stat-customers")).to_have_text(str(customers))


def test_a_wrong_password_keeps_the_person_on_the_login_page(world: World, live_server, page: Page) -> None:
    page.goto(f"{live_server.url}/login/")

    sign_in(page, username="rm", password="wrong-password")

    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的用户名和密码")


def test_the_language_switcher_and_sign_out(world: World, live_server, page: Page, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    sign_in(page, username="hq_admin", password=password)

    page.get_by_role("button", name="English").click()

    expect(page).to_have_url(f"{live_server.url}/en/")
    expect(page.get_by_role("heading", name="Workbench")).to_be_visible()

    page.get_by_role("button", name="简体中文").click()

    expect(page).to_have_url(f"{live_server.url}/")

    page.get_by_role("button", name="退出").click()

    expect(page).to_have_url(re.compile(r"/login/$"))
