"""Compliance staff keep the word library and check a text in the browser, in Chinese."""

import os

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from risk.compliance.demo import demo_compliance_library_create
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the screenshot of the checked text goes, for a person to look at (unset: none is taken).
SCREENSHOT = os.environ.get("SCRM_COMPLIANCE_SCREENSHOT", "")


def _signed_in(page: Page, live_server, world: World) -> None:
    client = Client()
    client.force_login(world.compliance.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_compliance_adds_a_word_and_sees_a_text_highlighted(world: World, live_server, page: Page) -> None:
    demo_compliance_library_create(actor=world.hq_admin)
    _signed_in(page, live_server, world)
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="敏感词库").click()
    expect(page.get_by_role("heading", name="敏感词库")).to_be_visible()

    add = page.locator("#word-add")
    add.get_by_label("敏感词").fill("某某银行")
    add.get_by_label("分类").select_option("competitor")
    add.get_by_label("处置方式").select_option("review")
    add.get_by_role("button", name="添加").click()
    expect(page.get_by_role("status").first).to_contain_text("已添加“某某银行”")

    text = "您好，某某银行的利率不如我们。本产品保*本*保*息、穩賺不賠，详询 138 0013 8000。"
    page.get_by_label("待检测文本").fill(text)
    page.get_by_role("button", name="检测", exact=True).click()

    expect(page.locator("#check-result")).to_contain_text("该文本将被拦截")
    # 稳赚 (review) lies inside 稳赚不赔 (block): the overlap is its own piece, marked for both.
    marks = page.locator("#check-highlighted mark")
    expect(marks).to_have_text(["某某银行", "保*本*保*息", "穩賺", "不賠", "138 0013 8000"])
    expect(page.locator("#check-hits tbody tr")).to_have_count(5)
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)
