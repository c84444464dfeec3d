"""A phone search in the browser finds the customer without the number ever sitting in a URL."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_an_rm_searches_by_phone_and_the_address_bar_never_shows_it(world: World, live_server, page: Page) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone="13912345678")
    client = Client()
    client.force_login(world.rm_bj.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))

    page.goto(f"{live_server.url}/customers/")
    page.fill("#id_phone", "139 1234 5678")
    page.click("#customer-search button[type=submit]")

    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    expect(page.locator("#customer-table")).to_contain_text(customer.customer_no)
    expect(page.locator("#customer-table")).to_contain_text("139****5678")
    expect(page.locator("#id_phone")).to_have_value("139 1234 5678")
    assert not any("1234" in url and "139" in url for url in visited)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "customer-search-by-phone.png"), full_page=True)
