"""The content library as people use it, in Chromium: head office adds a poster through the page,
and an RM sends it into a chat from the sidebar, where it arrives with a media_id WeCom issued."""

import os
import re
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from campaigns.content.services import content_category_create, content_item_create
from campaigns.models import ContentItem
from scrm.core.redis import redis_client
from tests.browser.test_login_browser import sign_in
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory
from tests.support.wecom_sandbox import running_sandbox
from wecom_sandbox.client import SandboxControl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def poster_png(width: int = 240, height: int = 160) -> bytes:
    """A small real PNG: a red-to-gold gradient, like a festival poster."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((200 + 55 * x // width, 40 + 150 * x // width, 30 + y // 4)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxControl]:
    with running_sandbox() as control:
        yield control


@pytest.fixture
def sandbox(module_sandbox: SandboxControl, settings, tmp_path: Path) -> SandboxControl:
    module_sandbox.reset()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WECOM_API_BASE_URL = module_sandbox.api_base_url
    settings.WECOM_SANDBOX_URL = module_sandbox.base_url
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    return module_sandbox


def test_head_office_adds_a_poster_and_an_rm_sends_it_into_the_chat(
    world: World, live_server, page: Page, password: str, sandbox: SandboxControl, tmp_path: Path
) -> None:
    # SCRM_SCREENSHOT_DIR keeps the pages' pictures for people to look at.
    screenshots = Path(os.environ.get("SCRM_SCREENSHOT_DIR", str(tmp_path)))
    poster = tmp_path / "春节海报.png"
    poster.write_bytes(poster_png())
    category = content_category_create(name="活动海报", actor=world.hq_admin)
    content_item_create(
        actor=world.hq_admin,
        category=content_category_create(name="问候语", actor=world.hq_admin),
        kind="text",
        title="节日问候",
        description="新春快乐，阖家幸福！",
    )
    content_item_create(
        actor=world.hq_admin,
        category=category,
        kind="link",
        title="养老理财专区",
        description="稳健收益，专属服务",
        url="https://bank.example/pension",
        branch=world.bj,
    )

    page.goto(f"{live_server.url}/login/")
    sign_in(page, username="hq_admin", password=password)
    page.goto(f"{live_server.url}/campaigns/content/new/")
    page.get_by_label("分类").select_option(label="活动海报")
    page.get_by_label("类型").select_option("image")
    page.get_by_label("标题").fill("春节活动海报")
    page.get_by_label("文件或封面图片").set_input_files(poster)
    page.get_by_label("标签").fill("春节, 海报")
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(f"{live_server.url}/campaigns/content/")
    expect(page.locator("#content-table")).to_contain_text("春节活动海报")
    expect(page.get_by_role("heading", name="素材库")).to_be_visible()
    page.screenshot(path=screenshots / "content-library.png", full_page=True)
    item = ContentItem.objects.get(title="春节活动海报")
    assert item.file_mime == "image/png"

    rm = world.rm_bj
    sandbox.upsert_directory(users=[{"userid": rm.wecom_userid, "name": rm.name}])
    [external_userid] = sandbox.seed_contacts([{"name": "阳光", "follow": [{"userid": rm.wecom_userid}]}])
    contact = ExternalContactFactory(external_userid=external_userid, name="阳光", customer=world.customers_rm_bj[0])
    FollowRelationFactory(contact=contact, staff=rm)
    sandbox.open_chat(userid=rm.wecom_userid, external_userid=external_userid)

    sidebar = page.context.browser.new_page(viewport={"width": 380, "height": 760})
    sidebar.goto(f"{live_server.url}/sidebar/")
    expect(sidebar).to_have_url(re.compile(r"/sidebar/login/\?state=\w+$"))
    sidebar.fill("#sandbox-userid", rm.wecom_userid)
    sidebar.locator("#sandbox-sign-in button[type=submit]").click()
    expect(sidebar.locator("#card-name")).to_have_text("张*")

    sidebar.locator('[data-tab="content-panel"]').click()
    entry = sidebar.locator(f'[data-content-id="{item.pk}"]')
    expect(entry).to_contain_text("春节活动海报")
    expect(sidebar.locator("#content-list")).to_contain_text("养老理财专区")
    entry.locator("[data-send-content]").click()
    expect(sidebar.locator("#sidebar-status")).to_have_text("已发送到聊天。")
    sidebar.screenshot(path=screenshots / "content-sidebar.png", full_page=True)

    deadline = time.monotonic() + 10
    while not sandbox.chat_messages(external_userid) and time.monotonic() < deadline:
        time.sleep(0.1)
    [message] = sandbox.chat_messages(external_userid)
    assert message["msgtype"] == "image"
    assert message["image"]["mediaid"] == item.media.get().media_id
    assert [call["query"]["type"] for call in sandbox.calls("media/upload")] == ["image"]
    item.refresh_from_db()
    assert item.usage_count == 1
    sidebar.close()
