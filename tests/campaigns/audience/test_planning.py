"""Planning an occurrence agrees with an independent evaluation of the audience rules.

The oracle below is written from the documented rules (campaigns/audience/sql.py's
docstring), in plain Python over the same rows, not from the SQL.
"""

import datetime
import hashlib
import random

import pytest
from django.utils import timezone

from campaigns.audience.services import occurrence_plan
from campaigns.dispatch.services import campaign_dispatch
from campaigns.models import Campaign, CampaignOccurrence, CampaignRecipient, CampaignStatus
from campaigns.services import (
    VariantDraft,
    campaign_approve,
    campaign_create,
    campaign_schedule,
    campaign_submit,
)
from channels.models import FollowRelation, OutboundCall, RelationStatus
from customers.models import Customer, CustomerTag, TagKind
from customers.tagging.services import tag_create, tag_group_create
from scrm.org.models import Staff, StaffStatus
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.conftest import World
from tests.factories import CustomerFactory, ExternalContactFactory, FollowRelationFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = 240
CAP, DAILY_QUOTA = 2, 1


@pytest.fixture(autouse=True)
def limits(settings) -> None:
    settings.CAMPAIGN_MARKETING_TOUCH_LIMIT = CAP
    settings.CAMPAIGN_MARKETING_TOUCH_WINDOW_DAYS = 30
    settings.WECOM_GROUPMSG_DAILY_QUOTA = DAILY_QUOTA
    settings.WECOM_GROUPMSG_MONTHLY_QUOTA = 0


@pytest.fixture
def target_tag():
    group = tag_group_create(code="campaign_test", name="活动测试")
    return tag_create(group=group, code="spring_target", name="春季目标", kind=TagKind.MANUAL)


def scheduled(world: World, segment, **changes) -> Campaign:
    campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment, **changes))
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)
    campaign_approve(actor=world.compliance, campaign_id=campaign.pk)
    return campaign_schedule(actor=world.hq_admin, campaign_id=campaign.pk)


def random_bank(world: World, target_tag, rng: random.Random) -> None:
    """Customers across the RMs with every case the rules distinguish, plus earlier touches."""
    rms = [world.rm_bj, world.rm_bj2, world.rm_sh]
    departed = Staff.objects.create(
        user=type(world.rm_bj.user).objects.create(username="departed_rm"),
        employee_no="E-DEPARTED",
        name="已离职",
        role="rm",
        branch=world.bj_hd_1,
        wecom_userid="departed",
        status=StaffStatus.DEPARTED,
    )
    earlier = scheduled(world, SegmentFactory(created_by=world.hq_admin), name="更早的活动")
    Campaign.objects.filter(pk=earlier.pk).update(status=CampaignStatus.SENT)
    sequence = iter(range(1, 10**6))
    today = timezone.localdate()
    for n in range(CUSTOMERS):
        owner = rng.choice([*rms, None])
        customer = CustomerFactory(owner=owner, branch=owner.branch if owner else world.bj_hd_1)
        customer.marketing_consent = rng.random() < 0.8
        customer.save(update_fields=["marketing_consent"])
        if rng.random() < 0.85:
            CustomerTag.objects.create(customer=customer, tag=target_tag, source=TagKind.MANUAL)
        contact = ExternalContactFactory(customer=customer) if rng.random() < 0.85 else None
        if contact is not None:
            for staff in rng.sample([*rms, departed], k=rng.choice([1, 1, 2, 3])):
                FollowRelationFactory(
                    contact=contact,
                    staff=staff,
                    status=RelationStatus.ACTIVE if rng.random() < 0.85 else RelationStatus.DELETED,
                    added_at=timezone.now() - datetime.timedelta(days=rng.randint(0, 400), seconds=n),
                )
        for _ in range(rng.choice([0, 0, 0, 1, 2, 3])):
            # One earlier occurrence per touch: a customer is in an occurrence once.
            past = CampaignOccurrence.objects.create(
                campaign=earlier, sequence=next(sequence), scheduled_for=timezone.now()
            )
            CampaignRecipient.objects.create(
                occurrence=past,
                customer=customer,
                variant="A",
                sender=world.rm_bj,
                external_userid="wm-earlier",
                marketing=rng.random() < 0.7,
                planned_on=today - datetime.timedelta(days=rng.choice([0, 1, 5, 29, 30, 45])),
            )


def bucket(salt: str, customer_id: int, buckets: int) -> int:
    return int(hashlib.md5(f"{salt}{customer_id}".encode()).hexdigest()[:8], 16) % buckets  # noqa: S324


def oracle(campaign: Campaign, target_tag) -> dict[int, tuple[str, str, int | None, str]]:
    """customer id → (verdict, variant, sender id, external userid); verdict "" means sent."""
    today = timezone.localdate()
    owner_path = campaign.owner_branch.path
    branch_paths = [b.path for b in campaign.branches.all()]
    weights = [(v.label, v.weight) for v in campaign.variants.order_by("label")]
    marketing = campaign.purpose == "marketing"
    verdicts = {}
    members = Customer.objects.filter(tag_links__tag=target_tag).select_related("branch")
    for customer in members:
        path = customer.branch.path
        relations = [
            r
            for r in FollowRelation.objects.filter(contact__customer=customer).select_related("staff", "contact")
            if r.status == RelationStatus.ACTIVE and r.staff and r.staff.status == "active" and r.staff.wecom_userid
        ]
        relations.sort(key=lambda r: (r.staff_id == customer.owner_id, r.added_at, r.pk), reverse=True)
        touches = CampaignRecipient.objects.filter(customer=customer, holdout=False)
        marketing_touches = touches.filter(marketing=True, planned_on__gte=today - datetime.timedelta(days=29))
        if not path.startswith(owner_path) or (branch_paths and not any(path.startswith(p) for p in branch_paths)):
            verdict = "out_of_scope"
        elif marketing and not customer.marketing_consent:
            verdict = "no_consent"
        elif not relations:
            verdict = "no_relation"
        elif marketing and marketing_touches.count() >= CAP:
            verdict = "capped"
        elif touches.filter(planned_on=today).count() >= DAILY_QUOTA:
            verdict = "quota"
        elif bucket(f"holdout:{campaign.pk}:", customer.pk, 10_000) < campaign.holdout_percent * 100:
            verdict = "holdout"
        else:
            verdict = ""
        variant_bucket, upper, variant = bucket(f"variant:{campaign.pk}:", customer.pk, 100), 0, weights[-1][0]
        for label, weight in weights:
            upper += weight
            if variant_bucket < upper:
                variant = label
                break
        sender = relations[0] if relations else None
        if verdict:
            verdicts[customer.pk] = (verdict, "", None, "")
        else:
            verdicts[customer.pk] = ("", variant, sender.staff_id, sender.contact.external_userid)
    return verdicts


@pytest.mark.parametrize("branch_scoped", [False, True])
def test_the_frozen_audience_equals_an_independent_evaluation(
    world: World, target_tag, branch_scoped: bool, settings
) -> None:
    random_bank(world, target_tag, random.Random(20261203))
    segment = SegmentFactory(created_by=world.hq_admin, definition={"tags_any": ["spring_target"]})
    variants = [VariantDraft("A", 50, "版本甲"), VariantDraft("B", 30, "版本乙"), VariantDraft("C", 20, "版本丙")]
    campaign = scheduled(
        world, segment, holdout_percent=20, variants=variants, branch_ids=[world.bj.pk] if branch_scoped else []
    )
    expected = oracle(campaign, target_tag)

    occurrence = campaign_dispatch(campaign.pk)

    assert occurrence is not None
    rows = {
        r.customer_id: (r.holdout, r.variant, r.sender_id, r.external_userid)
        for r in CampaignRecipient.objects.filter(occurrence=occurrence)
    }
    sent = {c: v for c, v in expected.items() if v[0] == ""}
    held = {c for c, v in expected.items() if v[0] == "holdout"}
    assert {c: (False, *v[1:]) for c, v in sent.items()} == {c: r for c, r in rows.items() if not r[0]}
    assert {c for c, r in rows.items() if r[0]} == held
    counts = {reason: sum(1 for v in expected.values() if v[0] == reason) for reason in occurrence.exclusions}
    assert occurrence.exclusions == counts
    assert occurrence.recipient_count == len(sent)
    assert occurrence.segment_size == len(expected)
    # The world exercises every rule, so the agreement means something.
    assert all(occurrence.exclusions[reason] > 0 for reason in ("no_consent", "no_relation", "capped", "holdout"))
    if branch_scoped:
        assert occurrence.exclusions["out_of_scope"] > 0
    assert {v[1] for v in sent.values()} == {"A", "B", "C"}
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DISPATCHING


def test_each_sender_and_variant_gets_its_chunks_once(world: World, target_tag, settings) -> None:
    settings.WECOM_GROUPMSG_CHUNK_SIZE = 3
    random_bank(world, target_tag, random.Random(7))
    segment = SegmentFactory(created_by=world.hq_admin, definition={"tags_any": ["spring_target"]})
    campaign = scheduled(world, segment, variants=[VariantDraft("A", 60, "甲"), VariantDraft("B", 40, "乙")])

    occurrence = campaign_dispatch(campaign.pk)
    again = campaign_dispatch(campaign.pk)

    calls = OutboundCall.objects.filter(operation="add_msg_template")
    recipients = CampaignRecipient.objects.filter(occurrence=occurrence, holdout=False)
    by_key = {call.idempotency_key: call.payload for call in calls}
    assert again is None
    assert all(len(p["external_userids"]) <= 3 for p in by_key.values())
    posted = [x for p in by_key.values() for x in p["external_userids"]]
    assert sorted(posted) == sorted(recipients.values_list("external_userid", flat=True))
    for payload in by_key.values():
        senders = set(
            recipients.filter(external_userid__in=payload["external_userids"]).values_list(
                "sender__wecom_userid", "variant"
            )
        )
        assert len(senders) == 1
        [(sender, variant)] = senders
        assert payload["sender"] == sender
        assert payload["text"] == {"A": "甲", "B": "乙"}[variant]
    assert all(key.startswith(f"campaign:{campaign.pk}:1:") for key in by_key)


def test_the_same_customer_keeps_their_variant_and_holdout_group_in_the_next_occurrence(
    world: World, target_tag
) -> None:
    random_bank(world, target_tag, random.Random(11))
    segment = SegmentFactory(created_by=world.hq_admin, definition={"tags_any": ["spring_target"]})
    campaign = scheduled(
        world,
        segment,
        purpose="service",
        holdout_percent=30,
        variants=[VariantDraft("A", 50, "甲"), VariantDraft("B", 50, "乙")],
    )
    first = campaign_dispatch(campaign.pk)
    CampaignRecipient.objects.update(planned_on=timezone.localdate() - datetime.timedelta(days=1))

    second = occurrence_plan(Campaign.objects.get(pk=campaign.pk), sequence=2, scheduled_for=timezone.now())

    def groups(occurrence):
        return dict(CampaignRecipient.objects.filter(occurrence=occurrence).values_list("customer_id", "variant"))

    shared = groups(first).keys() & groups(second).keys()
    assert len(shared) > 20
    assert {c: groups(first)[c] for c in shared} == {c: groups(second)[c] for c in shared}


def test_nothing_unapproved_is_planned_whatever_calls_the_dispatch(world: World, target_tag) -> None:
    segment = SegmentFactory(created_by=world.hq_admin, definition={"tags_any": ["spring_target"]})
    campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment))

    assert campaign_dispatch(campaign.pk) is None
    assert not CampaignOccurrence.objects.exists()
    assert not OutboundCall.objects.exists()


def test_the_builder_s_preview_counts_what_dispatch_then_freezes(world: World, target_tag, client_for) -> None:
    random_bank(world, target_tag, random.Random(5))
    segment = SegmentFactory(created_by=world.hq_admin, definition={"tags_any": ["spring_target"]})
    campaign = scheduled(
        world, segment, holdout_percent=10, variants=[VariantDraft("A", 70, "甲"), VariantDraft("B", 30, "乙")]
    )

    preview = client_for("hq_admin").get(f"/api/campaigns/{campaign.pk}/audience/")
    written_before = CampaignRecipient.objects.filter(occurrence__campaign=campaign).count()
    occurrence = campaign_dispatch(campaign.pk)

    body = preview.json()
    assert preview.status_code == 200
    assert written_before == 0
    assert body["exclusions"] == occurrence.exclusions
    assert body["recipients"] == occurrence.recipient_count
    assert body["segment_size"] == occurrence.segment_size
    frozen = CampaignRecipient.objects.filter(occurrence=occurrence, holdout=False)
    assert body["by_variant"] == {v: frozen.filter(variant=v).count() for v in ("A", "B")}
    assert client_for("rm").get(f"/api/campaigns/{campaign.pk}/audience/").status_code == 403
