"""A campaign's life: built, reviewed by someone else, scheduled, dispatched — every move audited.

Illegal moves answer a clear error and change nothing; only a campaign approved exactly as
it stands can be dispatched.
"""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus
from campaigns.services import (
    CampaignStateError,
    VariantDraft,
    campaign_approve,
    campaign_cancel,
    campaign_create,
    campaign_dispatch_begin,
    campaign_reject,
    campaign_schedule,
    campaign_submit,
    campaign_update,
)
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.conftest import World
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(world: World):
    return SegmentFactory(created_by=world.hq_admin)


def built(world: World, segment, **changes) -> Campaign:
    return campaign_create(actor=world.hq_admin, draft=campaign_draft(segment, **changes))


def approved(world: World, segment) -> Campaign:
    campaign = built(world, segment)
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)
    return campaign_approve(actor=world.compliance, campaign_id=campaign.pk)


def moves(campaign: Campaign) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(action="campaign.status_changed", target_id=str(campaign.pk)).order_by(
        "sequence"
    )
    return [(event.data["from"], event.data["to"]) for event in events]


def test_a_campaign_goes_from_draft_through_review_to_dispatching(world: World, segment) -> None:
    campaign = built(world, segment)
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.owner_branch == world.hq

    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)
    campaign_approve(actor=world.compliance, campaign_id=campaign.pk, note="合规")
    campaign_schedule(actor=world.hq_admin, campaign_id=campaign.pk)
    claimed = campaign_dispatch_begin(campaign.pk)

    assert claimed is not None
    assert claimed.status == CampaignStatus.DISPATCHING
    assert moves(campaign) == [
        ("draft", "in_review"),
        ("in_review", "approved"),
        ("approved", "scheduled"),
        ("scheduled", "dispatching"),
    ]
    actors = list(
        AuditEvent.objects.filter(action="campaign.status_changed", target_id=str(campaign.pk))
        .order_by("sequence")
        .values_list("actor_username", flat=True)
    )
    assert actors == ["hq_admin", "compliance", "hq_admin", "system"]


def test_the_author_cannot_approve_and_only_compliance_reviews(world: World, segment) -> None:
    campaign = built(world, segment)
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)

    with pytest.raises(ApplicationError, match="只有合规人员"):
        campaign_approve(actor=world.hq_admin, campaign_id=campaign.pk)
    author = StaffFactory(user=UserFactory(username="compliance_author"), role="compliance", branch=world.hq)
    Campaign.objects.filter(pk=campaign.pk).update(submitted_by=author)
    with pytest.raises(ApplicationError, match="创建人以外"):
        campaign_approve(actor=author, campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_revision) == (CampaignStatus.IN_REVIEW, None)


def test_a_rejected_campaign_carries_its_reason_and_can_be_resubmitted(world: World, segment) -> None:
    campaign = built(world, segment)
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)

    with pytest.raises(ApplicationError, match="驳回原因"):
        campaign_reject(actor=world.compliance, campaign_id=campaign.pk, reason="  ")
    campaign_reject(actor=world.compliance, campaign_id=campaign.pk, reason="收益表述需改为历史业绩")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.review_note) == (CampaignStatus.REJECTED, "收益表述需改为历史业绩")
    assert campaign_dispatch_begin(campaign.pk) is None

    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.review_note) == (CampaignStatus.IN_REVIEW, "")


@pytest.mark.parametrize(
    ("prepare", "move"),
    [
        ("draft", lambda w, c: campaign_approve(actor=w.compliance, campaign_id=c)),
        ("draft", lambda w, c: campaign_schedule(actor=w.hq_admin, campaign_id=c)),
        ("approved", lambda w, c: campaign_approve(actor=w.compliance, campaign_id=c)),
        ("approved", lambda w, c: campaign_reject(actor=w.compliance, campaign_id=c, reason="晚了")),
        ("cancelled", lambda w, c: campaign_submit(actor=w.hq_admin, campaign_id=c)),
        ("cancelled", lambda w, c: campaign_cancel(actor=w.hq_admin, campaign_id=c)),
    ],
)
def test_an_illegal_move_is_refused_and_changes_nothing(world: World, segment, prepare, move) -> None:
    campaign = approved(world, segment) if prepare == "approved" else built(world, segment)
    if prepare == "cancelled":
        campaign_cancel(actor=world.hq_admin, campaign_id=campaign.pk)
    campaign.refresh_from_db()
    before, audited = campaign.status, AuditEvent.objects.count()

    with pytest.raises(CampaignStateError) as refused:
        move(world, campaign.pk)

    campaign.refresh_from_db()
    assert campaign.status == before
    assert AuditEvent.objects.count() == audited
    assert refused.value.status_code == 409


def test_editing_an_approved_campaign_sends_it_back_to_review_and_it_cannot_dispatch(world: World, segment) -> None:
    campaign = approved(world, segment)
    campaign_schedule(actor=world.hq_admin, campaign_id=campaign.pk)

    edited = campaign_update(
        actor=world.hq_admin,
        campaign_id=campaign.pk,
        draft=campaign_draft(segment, variants=[VariantDraft(label="A", weight=100, text="改过的文案")]),
    )

    assert (edited.status, edited.revision, edited.approved_revision) == (CampaignStatus.IN_REVIEW, 2, None)
    assert campaign_dispatch_begin(campaign.pk) is None
    assert list(edited.variants.values_list("text", flat=True)) == ["改过的文案"]
    assert moves(campaign)[-1] == ("scheduled", "in_review")


def test_editing_under_review_returns_the_campaign_to_draft(world: World, segment) -> None:
    campaign = built(world, segment)
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)

    edited = campaign_update(actor=world.hq_admin, campaign_id=campaign.pk, draft=campaign_draft(segment, name="新名"))

    assert (edited.status, edited.name) == (CampaignStatus.DRAFT, "新名")


def test_nothing_unapproved_is_ever_claimed_for_dispatch(world: World, segment) -> None:
    draft = built(world, segment)
    in_review = built(world, segment)
    campaign_submit(actor=world.hq_admin, campaign_id=in_review.pk)
    approved_only = approved(world, segment)
    tampered = approved(world, segment)
    campaign_schedule(actor=world.hq_admin, campaign_id=tampered.pk)
    Campaign.objects.filter(pk=tampered.pk).update(revision=5)  # edited behind the services' back

    assert [campaign_dispatch_begin(c.pk) for c in (draft, in_review, approved_only, tampered)] == [None] * 4
    assert campaign_dispatch_begin(10**9) is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"variants": [VariantDraft("A", 60, "甲"), VariantDraft("B", 30, "乙")]}, "variants"),
        ({"variants": [VariantDraft("B", 100, "乙")]}, "variants"),
        ({"variants": [VariantDraft("A", 100, "  ")]}, "variants.A.text"),
        ({"variants": [VariantDraft("A", 100, "长" * 1500)]}, "variants.A.text"),
        ({"variants": [VariantDraft("A", 100, "隐\u202e藏")]}, "variants.A.text"),
        ({"variants": []}, "variants"),
        ({"holdout_percent": 51}, "holdout_percent"),
        ({"name": ""}, "name"),
        ({"purpose": "spam"}, "purpose"),
        ({"segment_id": 10**9}, "segment"),
        ({"schedule_kind": "at"}, "start_at"),
        ({"schedule_kind": "at", "start_at": timezone.now() - datetime.timedelta(hours=1)}, "start_at"),
        ({"schedule_kind": "recurring", "start_at": timezone.now() + datetime.timedelta(days=1)}, "recurrence"),
        (
            {
                "schedule_kind": "recurring",
                "start_at": timezone.now() + datetime.timedelta(days=1),
                "recurrence": "weekly",
            },
            "recurrence_until",
        ),
        ({"target_product_types": ["gold_bars"]}, "target_product_types"),
        ({"attribution_days": 0}, "attribution_days"),
    ],
)
def test_an_invalid_campaign_is_refused_with_the_field_and_nothing_is_written(
    world: World, segment, changes, field
) -> None:
    with pytest.raises(ApplicationError) as refused:
        built(world, segment, **changes)

    assert refused.value.extra["field"] == field
    assert Campaign.objects.count() == 0
    assert not AuditEvent.objects.filter(action="campaign.created").exists()


def test_a_branch_manager_builds_for_their_own_subtree_only(world: World, segment) -> None:
    mine = campaign_create(actor=world.branch_manager_bj, draft=campaign_draft(segment, branch_ids=[world.bj_hd.pk]))

    with pytest.raises(ApplicationError, match="本机构及下属机构"):
        campaign_create(actor=world.branch_manager_bj, draft=campaign_draft(segment, branch_ids=[world.sh.pk]))
    assert mine.owner_branch == world.bj
    assert list(mine.branches.all()) == [world.bj_hd]


def test_a_branch_sees_head_office_s_campaigns_but_changes_only_its_own(world: World, segment) -> None:
    head_office = built(world, segment)
    beijing = campaign_create(actor=world.branch_manager_bj, draft=campaign_draft(segment, name="北京分行活动"))
    shanghai_manager = StaffFactory(user=UserFactory(username="bm_sh"), role="branch_manager", branch=world.sh)

    with pytest.raises(Http404):
        campaign_submit(actor=shanghai_manager, campaign_id=head_office.pk)
    with pytest.raises(Http404):
        campaign_cancel(actor=shanghai_manager, campaign_id=beijing.pk)
    with pytest.raises(ApplicationError, match="只有总行管理员"):
        campaign_create(actor=world.rm_bj, draft=campaign_draft(segment))
    assert list(Campaign.objects.visible_to(shanghai_manager.user)) == [head_office]
    assert set(Campaign.objects.visible_to(world.rm_bj.user)) == {head_office, beijing}
    assert list(Campaign.objects.visible_to(world.rm_sh.user)) == [head_office]
    assert set(Campaign.objects.visible_to(world.compliance.user)) == {head_office, beijing}
    assert list(Campaign.objects.manageable_by(world.branch_manager_bj.user)) == [beijing]
