"""The churn page, the customer's churn API and panel, and the sidebar card: scoped, masked, HQ-only actions."""

import pytest
from django.test import Client
from django.urls import reverse

from risk.churn.models import ChurnBand, ChurnModel, ChurnScore
from risk.churn.services import churn_model_promote, churn_scoring_run_inline
from risk.churn.training import SCORE_BOUNDS
from scrm.audit.models import AuditEvent
from tests.conftest import World
from tests.factories import ExternalContactFactory, FollowRelationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(planted: World, trained: ChurnModel) -> World:
    churn_model_promote(model=trained, actor=planted.hq_admin)
    churn_scoring_run_inline()
    # Known scores for the world's own customers, whatever the model made of them: the top of
    # every at-risk list (the riskiest first, ties by id, and the world's customers come first).
    for customer in (planted.customers_rm_bj[0], planted.customers_rm_bj2[0], planted.customers_rm_sh[0]):
        ChurnScore.objects.filter(customer=customer).update(
            band=ChurnBand.HIGH, score=SCORE_BOUNDS[1], reasons=["aum_change_90d"]
        )
    return planted


def test_hq_sees_the_promoted_model_its_training_data_and_every_version(scored: World, client_for) -> None:
    response = client_for("hq_admin").get(reverse("churn-page"))

    assert response.status_code == 200
    page = response.content.decode()
    model = ChurnModel.objects.get(is_promoted=True)
    assert "流失风险" in page
    assert f"v{model.version}" in page
    assert 'id="churn-calibration"' in page
    assert "训练" in page
    assert str(model.train_rows) in page
    assert f'action="{reverse("churn-promote", args=[model.version])}"' not in page  # already promoted
    assert 'id="churn-versions"' in page
    at_risk = [row.customer_no for row in response.context["at_risk"]]
    assert scored.customers_rm_sh[0].customer_no in at_risk


def test_an_rm_sees_only_their_own_at_risk_customers_masked_and_no_versions(scored: World, client_for) -> None:
    response = client_for("rm").get(reverse("churn-page"))

    assert response.status_code == 200
    owners = {row.owner_name for row in response.context["at_risk"]}
    assert owners == {scored.rm_bj.name}
    first = scored.customers_rm_bj[0]
    assert first.customer_no in [row.customer_no for row in response.context["at_risk"]]
    page = response.content.decode()
    assert "张*" in page
    assert "张三" not in page
    assert "近90天资产变化" in page
    assert 'id="churn-versions"' not in page
    assert [row.branch_name for row in response.context["bands"]] == [scored.rm_bj.branch.name]


def test_a_branch_manager_sees_bands_of_their_subtree_only(scored: World, client_for) -> None:
    response = client_for("branch_manager").get(reverse("churn-page"))

    names = {row.branch_name for row in response.context["bands"]}
    assert names == {scored.bj_hd.name}
    customer_nos = {row.customer_no for row in response.context["at_risk"]}
    assert scored.customers_rm_sh[0].customer_no not in customer_nos
    assert scored.customers_rm_bj2[0].customer_no in customer_nos


def test_compliance_does_not_see_the_churn_page(scored: World, client_for) -> None:
    assert client_for("compliance").get(reverse("churn-page")).status_code == 403


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_only_hq_admins_promote_or_roll_back_and_nothing_changes_for_others(
    scored: World, client_for, role: str
) -> None:
    model = ChurnModel.objects.get(is_promoted=True)
    before = AuditEvent.objects.count()
    client = client_for(role)

    assert client.post(reverse("churn-promote", args=[model.version])).status_code == 403
    assert client.post(reverse("churn-rollback")).status_code == 403
    assert client.post(reverse("api:churn-model-promote", args=[model.version])).status_code == 403
    assert client.post(reverse("api:churn-model-rollback")).status_code == 403
    assert AuditEvent.objects.count() == before
    assert ChurnModel.objects.get(is_promoted=True).pk == model.pk


def test_a_rollback_with_nothing_to_roll_back_to_is_a_clear_400(scored: World, client_for) -> None:
    response = client_for("hq_admin").post(reverse("api:churn-model-rollback"))

    assert response.status_code == 400
    assert response.json()["message"] == "没有可回滚到的更早发布的模型。"


def test_the_api_gives_a_customers_score_in_scope_and_404_outside(scored: World, client_for) -> None:
    inside, outside = scored.customers_rm_bj[0], scored.customers_rm_sh[0]
    client = client_for("rm")

    body = client.get(reverse("api:churn-customer-score", args=[inside.customer_no])).json()

    assert body["score"] == pytest.approx(SCORE_BOUNDS[1])
    assert body["band"] == "high"
    assert body["band_label"] == "高风险"
    assert body["reasons"] == [{"feature": "aum_change_90d", "label": "近90天资产变化"}]
    assert body["model_version"] == ChurnModel.objects.get(is_promoted=True).version
    assert client.get(reverse("api:churn-customer-score", args=[outside.customer_no])).status_code == 404
    assert (
        client_for("branch_manager").get(reverse("api:churn-customer-score", args=[outside.customer_no])).status_code
        == 404
    )
    assert Client().get(reverse("api:churn-customer-score", args=[inside.customer_no])).status_code == 403


def test_an_unscored_customer_answers_with_no_score(world: World, client_for) -> None:
    body = client_for("rm").get(reverse("api:churn-customer-score", args=[world.customers_rm_bj[0].customer_no])).json()

    assert body["score"] is None
    assert body["reasons"] == []


def test_the_360_page_loads_the_risk_panel_by_url_and_the_panel_is_scoped(scored: World, client_for) -> None:
    inside, outside = scored.customers_rm_bj[0], scored.customers_rm_sh[0]
    client = client_for("rm")
    panel_url = reverse("churn-customer-panel", args=[inside.customer_no])

    page = client.get(reverse("customer-page", args=[inside.customer_no])).content.decode()
    panel = client.get(panel_url)

    assert f'hx-get="{panel_url}"' in page
    assert panel.status_code == 200
    assert 'data-band="high"' in panel.content.decode()
    assert "100%" in panel.content.decode()
    assert client.get(reverse("churn-customer-panel", args=[outside.customer_no])).status_code == 404


def test_the_sidebar_card_shows_the_churn_risk(scored: World, client_for) -> None:
    customer = scored.customers_rm_bj[0]
    contact = ExternalContactFactory(name="老王", customer=customer)
    FollowRelationFactory(contact=contact, staff=scored.rm_bj)

    response = client_for("rm").get(f"/sidebar/contact/{contact.external_userid}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="card-churn" data-band="high"' in html
    assert "近90天资产变化" in html
