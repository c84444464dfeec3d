"""The chat sidebar end to end in Chromium: signed in through the sandbox's OAuth stand-in, the
shim playing WeCom's JS-SDK, the customer's masked card, a tag added, a script sent into the chat."""

import hashlib
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from campaigns.scripts.services import script_category_create, script_create
from customers.models import CustomerTag
from customers.tagging.services import tag_create, tag_group_create
from scrm.core.redis import redis_client
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory
from tests.support.wecom_sandbox import running_sandbox
from wecom_sandbox.client import SandboxControl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxControl]:
    with running_sandbox() as control:
        yield control


@pytest.fixture
def sandbox(module_sandbox: SandboxControl) -> SandboxControl:
    module_sandbox.reset()
    return module_sandbox


def _chat_messages(sandbox: SandboxControl, external_userid: str, count: int) -> list[dict]:
    """The chat's messages once ``count`` have arrived (the page sends asynchronously)."""
    deadline = time.monotonic() + 10
    messages = sandbox.chat_messages(external_userid)
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        messages = sandbox.chat_messages(external_userid)
    return messages


def test_an_rm_sees_the_customer_in_the_chat_tags_them_and_sends_a_script(
    world: World,
    live_server,
    page: Page,
    sandbox: SandboxControl,
    settings,
) -> None:
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.WECOM_SANDBOX_URL = sandbox.base_url
    prefix = f"wecom:{hashlib.sha256(sandbox.api_base_url.encode()).hexdigest()[:8]}:ticket:{settings.WECOM_CORP_ID}"
    redis_client().delete(f"{prefix}:jsapi", f"{prefix}:agent_config")
    rm = world.rm_bj
    sandbox.upsert_directory(users=[{"userid": rm.wecom_userid, "name": rm.name}])
    [external_userid] = sandbox.seed_contacts([{"name": "阳光", "follow": [{"userid": rm.wecom_userid}]}])
    contact = ExternalContactFactory(external_userid=external_userid, name="阳光", customer=world.customers_rm_bj[0])
    FollowRelationFactory(contact=contact, staff=rm)
    sandbox.open_chat(userid=rm.wecom_userid, external_userid=external_userid)
    tag_create(group=tag_group_create(code="interests", name="兴趣偏好"), code="golf", name="高尔夫")
    script = script_create(
        category=script_category_create(name="到期提醒", actor=world.hq_admin),
        title="定期存款到期",
        content="您好，您的定期存款即将到期。",
        actor=world.hq_admin,
    )

    page.goto(f"{live_server.url}/sidebar/")

    expect(page).to_have_url(re.compile(r"/sidebar/login/\?state=\w+$"))
    page.fill("#sandbox-userid", rm.wecom_userid)
    page.locator("#sandbox-sign-in button[type=submit]").click()

    expect(page).to_have_url(f"{live_server.url}/sidebar/")
    expect(page.locator("#card-name")).to_have_text("张*")
    expect(page.locator("#card")).not_to_contain_text("张三")
    expect(page.locator("#card-aum-band")).to_be_visible()

    page.select_option("#card-tag-add select[name=tag]", "golf")
    page.locator("#card-tag-add button[type=submit]").click()

    expect(page.locator('#card-tags [data-tag="golf"]')).to_contain_text("高尔夫")
    assert CustomerTag.objects.filter(customer=contact.customer, tag__code="golf").exists()

    page.locator('[data-tab="script-panel"]').click()
    page.locator(f'[data-script-id="{script.pk}"] [data-send-script]').click()

    messages = _chat_messages(sandbox, external_userid, 1)
    assert [(m["userid"], m["msgtype"], m["text"]["content"]) for m in messages] == [
        (rm.wecom_userid, "text", "您好，您的定期存款即将到期。")
    ]
