"""Churn risk in the browser, in Chinese: HQ reads the model and its data, an RM works their at-risk list."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from risk.churn.models import ChurnBand, ChurnModel, ChurnScore
from risk.churn.services import churn_model_promote, churn_scoring_run_inline
from risk.churn.training import SCORE_BOUNDS
from scrm.org.models import Staff
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _signed_in_as(page: Page, live_server, staff: Staff) -> None:
    client = Client()
    client.force_login(staff.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_hq_reads_the_model_and_an_rm_opens_an_at_risk_customer_with_reasons(
    planted: World, trained: ChurnModel, live_server, page: Page
) -> None:
    churn_model_promote(model=trained, actor=planted.hq_admin)
    churn_scoring_run_inline()
    customer = planted.customers_rm_bj[0]
    ChurnScore.objects.filter(customer=customer).update(
        band=ChurnBand.HIGH, score=SCORE_BOUNDS[1], reasons=["aum_change_90d", "days_since_contact"]
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1000})

    _signed_in_as(page, live_server, planted.hq_admin)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="流失风险").click()
    expect(page.get_by_role("heading", name="流失风险", exact=True)).to_be_visible()
    expect(page.locator("body")).to_contain_text(f"v{trained.version}")
    expect(page.locator("#churn-calibration")).to_be_visible()
    expect(page.locator("#churn-versions")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "churn-hq.png", full_page=True)

    _signed_in_as(page, live_server, planted.rm_bj)
    page.goto(f"{live_server.url}/churn/")
    row = page.locator("tr", has_text=customer.customer_no)
    expect(row).to_contain_text("近90天资产变化")
    expect(page.locator("body")).not_to_contain_text("churn")
    page.screenshot(path=SCREENSHOTS / "churn-rm.png", full_page=True)

    row.get_by_role("link").first.click()
    panel = page.locator("#customer-churn")
    expect(panel).to_have_attribute("data-band", "high")
    expect(panel).to_contain_text("近90天资产变化")
    page.screenshot(path=SCREENSHOTS / "churn-360-panel.png", full_page=True)
