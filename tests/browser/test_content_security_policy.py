"""Every page runs under the product's Content-Security-Policy without a single violation."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import ConsoleMessage, Page, expect

from channels.models import AssignmentStrategy, ChannelCode
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page: Page, live_server, world: World) -> None:
    client = Client()
    client.force_login(world.hq_admin.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_the_pages_break_no_rule_of_the_policy(world: World, live_server, page: Page) -> None:
    code = ChannelCode.objects.create(
        name="大堂海报",
        branch=world.bj_hd_1,
        strategy=AssignmentStrategy.FIXED,
        state="csp-test",
        created_by=world.hq_admin,
    )
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    page.on("pageerror", lambda error: violations.append(str(error)))
    _signed_in(page, live_server, world)

    for path in (
        "/",
        "/customers/",
        "/tags/",
        "/segments/",
        "/segments/new/",
        "/channels/codes/",
        "/channels/codes/new/",
        "/channels/contacts/",
        "/channels/groups/",
        "/campaigns/scripts/",
        "/compliance/words/",
        "/api/docs/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/channels/codes/{code.pk}/")
    # The chart is drawn by a script file, not an inline script.
    expect(page.locator("#channel-code-chart canvas")).to_have_count(1)

    assert violations == []
