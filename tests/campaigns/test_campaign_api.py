"""The campaign API: the same rules as the services, in HTTP terms."""

import pytest

from campaigns.models import Campaign, CampaignStatus
from campaigns.services import campaign_create
from scrm.audit.models import AuditEvent
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(world: World):
    return SegmentFactory(created_by=world.hq_admin)


def body(segment, **changes) -> dict:
    return {
        "name": "六月基金定投",
        "purpose": "marketing",
        "kind": "customers",
        "segment_id": segment.pk,
        "variants": [{"label": "A", "weight": 50, "text": "版本甲"}, {"label": "B", "weight": 50, "text": "版本乙"}],
        **changes,
    }


def test_head_office_builds_submits_and_compliance_approves(world: World, client_for, segment) -> None:
    hq, compliance = client_for("hq_admin"), client_for("compliance")

    created = hq.post("/api/campaigns/", body(segment, holdout_percent=10), content_type="application/json")
    campaign_id = created.json()["id"]
    submitted = hq.post(f"/api/campaigns/{campaign_id}/submit/")
    approved = compliance.post(
        f"/api/campaigns/{campaign_id}/approve/", {"note": "可以"}, content_type="application/json"
    )
    scheduled = hq.post(f"/api/campaigns/{campaign_id}/schedule/")

    assert created.status_code == 201
    assert created.json()["variants"] == [{**v, "attachment_ids": []} for v in body(segment)["variants"]]
    assert created.json()["owner_branch"] == {"id": world.hq.pk, "name": "总行"}
    assert (submitted.json()["status"], approved.json()["status"]) == ("in_review", "approved")
    assert approved.json()["reviewed_by"] == world.compliance.name
    assert scheduled.json()["status_label"] == "已排期"


def test_each_role_may_do_only_its_part(world: World, client_for, segment) -> None:
    campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment))

    assert client_for("rm").post("/api/campaigns/", body(segment), content_type="application/json").status_code == 403
    assert client_for("compliance").post(f"/api/campaigns/{campaign.pk}/submit/").status_code == 403
    assert client_for("hq_admin").post(f"/api/campaigns/{campaign.pk}/approve/").status_code == 403
    assert client_for("rm").get(f"/api/campaigns/{campaign.pk}/").status_code == 200
    assert Campaign.objects.get().status == CampaignStatus.DRAFT


def test_an_illegal_move_answers_409_with_the_reason(world: World, client_for, segment) -> None:
    campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment))

    answer = client_for("compliance").post(f"/api/campaigns/{campaign.pk}/approve/")

    assert answer.status_code == 409
    assert answer.json() == {"message": "「草稿」的活动不能变为「已通过」。", "extra": {"status": "draft"}}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"variants": [{"label": "A", "weight": 40, "text": "甲"}]}, "variants"),
        ({"holdout_percent": 80}, "holdout_percent"),
        ({"purpose": "spam"}, "purpose"),
        ({"segment_id": 999999}, "segment"),
        ({"variants": [{"label": v, "weight": 20, "text": "x"} for v in "ABCDE"]}, "variants"),
    ],
)
def test_a_bad_campaign_is_a_400_naming_the_field_and_nothing_is_written(
    world: World, client_for, segment, changes, field
) -> None:
    answer = client_for("hq_admin").post("/api/campaigns/", body(segment, **changes), content_type="application/json")

    assert answer.status_code == 400
    payload = answer.json()
    assert field in payload["extra"].get("fields", {}) or payload["extra"].get("field") == field
    assert Campaign.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="campaign.").exists()


def test_a_campaign_outside_scope_and_a_malformed_id_are_404(world: World, client_for, segment) -> None:
    beijing = campaign_create(actor=world.branch_manager_bj, draft=campaign_draft(segment))

    assert client_for("hq_admin").get("/api/campaigns/null/").status_code == 404
    assert client_for("rm").get(f"/api/campaigns/{beijing.pk}/").status_code == 200
    world.rm_bj.branch = world.sh_pd_1
    world.rm_bj.save()
    assert client_for("rm").get(f"/api/campaigns/{beijing.pk}/").status_code == 404
    assert client_for("hq_admin").post(f"/api/campaigns/{beijing.pk + 1000}/submit/").status_code == 404


def test_an_edit_after_approval_answers_the_campaign_back_in_review(world: World, client_for, segment) -> None:
    hq, compliance = client_for("hq_admin"), client_for("compliance")
    campaign_id = hq.post("/api/campaigns/", body(segment), content_type="application/json").json()["id"]
    hq.post(f"/api/campaigns/{campaign_id}/submit/")
    compliance.post(f"/api/campaigns/{campaign_id}/approve/")

    edited = hq.put(f"/api/campaigns/{campaign_id}/", body(segment, name="改名"), content_type="application/json")

    assert edited.status_code == 200
    assert (edited.json()["status"], edited.json()["revision"], edited.json()["approved_revision"]) == (
        "in_review",
        2,
        None,
    )


def test_the_list_filters_by_status_and_name(world: World, client_for, segment) -> None:
    first = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment, name="春季活动"))
    campaign_create(actor=world.hq_admin, draft=campaign_draft(segment, name="夏季活动"))
    client_for("hq_admin").post(f"/api/campaigns/{first.pk}/submit/")

    in_review = client_for("hq_admin").get("/api/campaigns/?status=in_review").json()["results"]
    named = client_for("hq_admin").get("/api/campaigns/?q=夏季").json()["results"]

    assert [c["name"] for c in in_review] == ["春季活动"]
    assert [c["name"] for c in named] == ["夏季活动"]
