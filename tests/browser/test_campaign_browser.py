"""In the browser: head office builds a campaign, compliance approves it, and head office watches it go out."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from playwright.sync_api import Page, expect

from campaigns.dispatch.services import campaign_dispatch, occurrence_reconcile, occurrence_results_fetch
from campaigns.models import Campaign, CampaignStatus
from channels.models import OutboundCall
from channels.outbox.services import outbox_execute
from customers.models import Customer
from scrm.core.redis import redis_client
from scrm.org.models import Staff
from tests.campaigns.factories import SegmentFactory
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory
from wecom_sandbox.client import SandboxControl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
EVERYONE = {"tags_any": [], "tags_all": [], "tags_none": [], "rule": {"field": "aum", "op": "gte", "value": 0}}


def sign_in(page: Page, live_server, staff: Staff) -> None:
    """Switch the browser to another user's session.

    The page first waits out its htmx requests and leaves: each answer renews the old session's
    cookie, and one landing after the switch would sign the previous user back in.
    """
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    client = Client()
    client.force_login(staff.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def posted(page: Page, selector: str) -> None:
    """Click a form's button and wait for the answer's page: on a loaded CI machine it can take seconds."""
    with page.expect_navigation(timeout=30_000):
        page.click(selector)


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_build_approve_dispatch_and_watch_a_campaign(
    world: World, live_server, page: Page, sandbox: SandboxControl
) -> None:
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    Customer.objects.update(marketing_consent=True)
    sandbox.upsert_directory(users=[{"userid": world.rm_bj.wecom_userid, "name": world.rm_bj.name, "department": [1]}])
    ids = sandbox.seed_contacts(
        [{"name": f"客户{c.pk}", "follow": [{"userid": world.rm_bj.wecom_userid}]} for c in world.customers_rm_bj]
    )
    for customer, external_userid in zip(world.customers_rm_bj, ids, strict=True):
        FollowRelationFactory(
            contact=ExternalContactFactory(customer=customer, external_userid=external_userid), staff=world.rm_bj
        )
    SegmentFactory(created_by=world.hq_admin, name="全部客户", definition=EVERYONE)

    sign_in(page, live_server, world.hq_admin)
    page.goto(f"{live_server.url}/campaigns/new/")
    page.fill("#id_name", "七月理财节")
    page.select_option("#id_segment", label="全部客户")
    page.fill("#id_variant_A_weight", "60")
    page.fill("#id_variant_A_text", "七月理财节，专属礼遇。")
    page.fill("#id_variant_B_weight", "40")
    page.fill("#id_variant_B_text", "七月理财节开幕。")
    shot(page, "campaign-builder.png")
    posted(page, "#campaign-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("七月理财节")
    expect(page.locator("#audience-recipients")).to_have_text("3")
    posted(page, "#submit-campaign")
    expect(page.locator("h1 .badge")).to_have_text("审核中")

    sign_in(page, live_server, world.compliance)
    campaign = Campaign.objects.get()
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.fill("#review-text", "表述合规")
    shot(page, "campaign-review.png")
    posted(page, "#approve-campaign")
    expect(page.locator("h1 .badge")).to_have_text("已通过")

    sign_in(page, live_server, world.hq_admin)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    posted(page, "#schedule-campaign")
    expect(page.locator("h1 .badge")).to_have_text("已排期")

    with override_settings(WECOM_API_BASE_URL=sandbox.api_base_url, WECOM_HTTP_TIMEOUT_SECONDS=2.0):
        occurrence = campaign_dispatch(campaign.pk)
        for call in OutboundCall.objects.all():
            outbox_execute(call.pk)
        occurrence_reconcile(occurrence.pk)
        for task in sandbox.member_tasks(world.rm_bj.wecom_userid)["groupmsgs"]:
            sandbox.confirm_groupmsg(msgid=task["msgid"], userid=world.rm_bj.wecom_userid)
        occurrence_results_fetch(occurrence.pk)

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    expect(page.locator("h1 .badge")).to_have_text("已下发")
    expect(page.locator("#funnel")).to_contain_text("已送达")
    expect(page.locator("#audience-panel")).to_have_count(0)
    expect(page.locator("#progress tbody tr")).to_have_count(1)
    expect(page.locator("#progress tbody tr td").nth(4)).to_have_text("3")
    assert Campaign.objects.get().status == CampaignStatus.SENT
    shot(page, "campaign-detail.png")
