"""Submitting runs a campaign's texts through the compliance library: blocking words refuse it, review words show."""

import pytest

from campaigns.models import Campaign, CampaignStatus
from campaigns.services import VariantDraft, campaign_approve, campaign_create, campaign_submit, campaign_update
from risk.compliance.models import ContentAction, ContentCategory
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def library() -> None:
    SensitiveWordFactory(word="保本保息", category=ContentCategory.PROMISED_RETURN, action=ContentAction.BLOCK)
    SensitiveWordFactory(word="限时", category=ContentCategory.CUSTOM, action=ContentAction.REVIEW)


@pytest.fixture
def segment(world: World):
    return SegmentFactory(created_by=world.hq_admin)


def with_text(segment, a: str, b: str = "") -> dict:
    variants = [VariantDraft("A", 50 if b else 100, a)] + ([VariantDraft("B", 50, b)] if b else [])
    return {"draft": campaign_draft(segment, variants=variants)}


def test_a_blocked_word_refuses_submission_naming_where_it_is_and_changes_nothing(
    world: World, segment, library
) -> None:
    campaign = campaign_create(actor=world.hq_admin, **with_text(segment, "稳健理财", "本产品保 本·保 息，欢迎咨询"))
    audited = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.submitted_by is None
    assert AuditEvent.objects.count() == audited
    [hit] = refused.value.extra["hits"]
    assert (hit["variant"], hit["matched"], hit["category"]) == ("B", "保 本·保 息", "promised_return")
    assert "版本 B" in refused.value.message
    assert "保 本·保 息" in refused.value.message


def test_review_words_pass_to_compliance_and_are_counted_on_the_move(world: World, segment, library) -> None:
    campaign = campaign_create(actor=world.hq_admin, **with_text(segment, "限时优惠，欢迎咨询"))

    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    moved = AuditEvent.objects.filter(action="campaign.status_changed").latest("sequence")
    assert moved.data["review_hits"] == 1


def test_an_approved_campaign_edited_to_a_blocked_word_is_refused_and_stays_approved(
    world: World, segment, library
) -> None:
    campaign = campaign_create(actor=world.hq_admin, **with_text(segment, "稳健理财"))
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)
    campaign_approve(actor=world.compliance, campaign_id=campaign.pk)

    with pytest.raises(ApplicationError):
        campaign_update(actor=world.hq_admin, campaign_id=campaign.pk, **with_text(segment, "保本保息"))

    campaign = Campaign.objects.get(pk=campaign.pk)
    assert (campaign.status, campaign.revision, campaign.approved_as_is) == (CampaignStatus.APPROVED, 1, True)
    assert list(campaign.variants.values_list("text", flat=True)) == ["稳健理财"]


def test_the_api_answers_400_with_the_hits(world: World, segment, library, client_for) -> None:
    campaign = campaign_create(actor=world.hq_admin, **with_text(segment, "保本保息"))

    answer = client_for("hq_admin").post(f"/api/campaigns/{campaign.pk}/submit/")

    assert answer.status_code == 400
    assert answer.json()["extra"]["hits"][0]["matched"] == "保本保息"


def test_compliance_sees_review_words_marked_in_the_text(world: World, segment, library, client_for) -> None:
    campaign = campaign_create(actor=world.hq_admin, **with_text(segment, "限时优惠"))
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)

    page = client_for("compliance").get(f"/campaigns/{campaign.pk}/").content.decode()

    assert '<mark class="scrm-hit scrm-hit-review"' in page
    assert ">限时</mark>优惠" in page
