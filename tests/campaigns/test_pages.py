"""The campaign pages: who may open which, and that each action goes through the same rules as the API."""

import json

import pytest

from campaigns.models import Campaign, CampaignStatus
from campaigns.services import campaign_create, campaign_submit
from customers.models import Segment
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(world: World):
    return SegmentFactory(created_by=world.hq_admin)


def form_data(segment, **changes) -> dict:
    return {
        "name": "八月活动",
        "purpose": "marketing",
        "kind": "customers",
        "segment": segment.pk,
        "schedule_kind": "now",
        "holdout_percent": 0,
        "attribution_days": 30,
        "result_days": 7,
        "variant_A_weight": 100,
        "variant_A_text": "八月文案",
        **changes,
    }


@pytest.mark.parametrize(
    ("role", "status"), [("hq_admin", 200), ("branch_manager", 200), ("compliance", 200), ("rm", 403)]
)
def test_the_campaign_list_is_for_builders_and_compliance(client_for, role: str, status: int) -> None:
    assert client_for(role).get("/campaigns/").status_code == status


def test_the_builder_saves_a_draft_and_shows_the_reason_of_a_refusal(world: World, client_for, segment) -> None:
    hq = client_for("hq_admin")

    refused = hq.post("/campaigns/new/", form_data(segment, variant_A_weight=60))
    saved = hq.post("/campaigns/new/", form_data(segment))

    assert refused.status_code == 400
    assert "各版本占比之和必须为 100%" in refused.content.decode()
    assert saved.status_code == 302
    campaign = Campaign.objects.get()
    assert saved["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.variants.get().text == "八月文案"
    assert client_for("compliance").get("/campaigns/new/").status_code == 403


RICH = {"field": "aum", "op": "gte", "value": 100000}


def test_an_audience_defined_by_conditions_becomes_a_segment_named_after_the_campaign(
    world: World, client_for, segment
) -> None:
    response = client_for("branch_manager").post(
        "/campaigns/new/", form_data(segment) | {"segment": "", "rule": json.dumps(RICH)}
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    audience = campaign.segment
    assert audience.pk != segment.pk
    assert (audience.name, audience.created_by) == ("八月活动的受众", world.branch_manager_bj)
    assert audience.definition["rule"] == RICH


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"segment": ""}, "请选择客群，或在下方按条件定义受众。"),
        ({"rule": json.dumps(RICH)}, "请选择客群或按条件定义受众，二者只能选其一。"),
        ({"segment": "", "rule": json.dumps({"field": "aum", "op": "gte", "value": "很多"})}, "不是数字"),
        ({"segment": "", "rule": json.dumps(RICH), "variant_A_weight": 60}, "各版本占比之和必须为 100%"),
    ],
)
def test_a_refused_audience_is_explained_and_leaves_no_segment_behind(
    world: World, client_for, segment, changes: dict, message: str
) -> None:
    response = client_for("hq_admin").post("/campaigns/new/", form_data(segment) | changes)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Campaign.objects.count() == 0
    assert list(Segment.objects.all()) == [segment]


def test_the_builder_page_offers_the_visual_rule_builder_for_the_audience(client_for) -> None:
    page = client_for("hq_admin").get("/campaigns/new/").content.decode()

    assert 'id="audience-rule"' in page
    assert "data-rule-builder" in page
    assert "— 在下方按条件定义受众 —" in page


def test_compliance_reviews_on_the_campaign_page(world: World, client_for, segment) -> None:
    campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment))
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)
    compliance = client_for("compliance")

    page = compliance.get(f"/campaigns/{campaign.pk}/").content.decode()
    rejected_without_reason = compliance.post(f"/campaigns/{campaign.pk}/reject/", {"note": ""}, follow=True)
    compliance.post(f"/campaigns/{campaign.pk}/reject/", {"note": "请删除“稳赚”字样"})

    assert 'id="approve-campaign"' in page
    assert "请填写驳回原因" in rejected_without_reason.content.decode()
    campaign.refresh_from_db()
    assert (campaign.status, campaign.review_note) == (CampaignStatus.REJECTED, "请删除“稳赚”字样")
    assert 'id="approve-campaign"' not in client_for("hq_admin").get(f"/campaigns/{campaign.pk}/").content.decode()


def test_an_illegal_move_from_the_page_is_a_message_not_an_error(world: World, client_for, segment) -> None:
    campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment))

    answer = client_for("hq_admin").post(f"/campaigns/{campaign.pk}/schedule/", follow=True)

    assert answer.status_code == 200
    assert "「草稿」的活动不能变为「已排期」" in answer.content.decode()
    assert client_for("hq_admin").post(f"/campaigns/{campaign.pk}/launch-rockets/").status_code == 404


def test_another_branch_s_campaign_is_not_found_and_head_office_s_is_read_only(
    world: World, client_for, segment
) -> None:
    head_office = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment))
    manager = client_for("branch_manager")

    page = manager.get(f"/campaigns/{head_office.pk}/").content.decode()

    assert 'id="submit-campaign"' not in page
    assert manager.get(f"/campaigns/{head_office.pk}/edit/").status_code == 404
    assert manager.post(f"/campaigns/{head_office.pk}/submit/").status_code == 404
    head_office.refresh_from_db()
    assert head_office.status == CampaignStatus.DRAFT


def test_the_audience_panel_counts_for_the_builder(world: World, client_for, segment) -> None:
    campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment))

    panel = client_for("hq_admin").get(f"/campaigns/{campaign.pk}/audience/").content.decode()

    assert "无企业微信好友关系" in panel
    assert 'id="audience-recipients">0<' in panel


def test_a_segment_that_no_longer_compiles_is_explained_in_the_panel(world: World, client_for, segment) -> None:
    campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment))
    segment.definition = {"tags_any": ["deleted_tag"], "tags_all": [], "tags_none": [], "rule": None}
    segment.save()

    panel = client_for("hq_admin").get(f"/campaigns/{campaign.pk}/audience/")
    api = client_for("hq_admin").get(f"/api/campaigns/{campaign.pk}/audience/")

    assert panel.status_code == 200
    assert "deleted_tag" in panel.content.decode()
    assert api.status_code == 400


def test_an_rm_has_a_task_page_and_no_english_on_it(client_for) -> None:
    page = client_for("rm").get("/campaigns/tasks/").content.decode()

    assert "没有待发送的任务" in page
    assert "Nothing to send" not in page
