"""Factories for campaign tests: segments to aim at, campaign drafts to build from, and campaigns ready to go."""

import factory

from campaigns.models import Campaign
from campaigns.services import (
    CampaignDraft,
    VariantDraft,
    campaign_approve,
    campaign_create,
    campaign_schedule,
    campaign_submit,
)
from customers.models import Segment
from scrm.org.models import Staff


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"客群{n}")
    # Every customer (everyone has an AUM of at least 0).
    definition = factory.LazyFunction(
        lambda: {"tags_any": [], "tags_all": [], "tags_none": [], "rule": {"field": "aum", "op": "gte", "value": 0}}
    )


def campaign_draft(segment: Segment, **changes: object) -> CampaignDraft:
    """A valid marketing mass message to customers, sent at once, with the given changes."""
    fields: dict[str, object] = {
        "name": "五月理财节",
        "purpose": "marketing",
        "kind": "customers",
        "segment_id": segment.pk,
        "variants": [VariantDraft(label="A", weight=100, text="尊敬的客户，五月理财节开始了。")],
    }
    return CampaignDraft(**{**fields, **changes})  # type: ignore[arg-type]


def campaign_scheduled(draft: CampaignDraft, *, author: Staff, reviewer: Staff) -> Campaign:
    """The draft built and submitted by ``author``, approved by ``reviewer`` and scheduled: ready to dispatch."""
    campaign = campaign_create(actor=author, draft=draft)
    campaign_submit(actor=author, campaign_id=campaign.pk)
    campaign_approve(actor=reviewer, campaign_id=campaign.pk)
    return campaign_schedule(actor=author, campaign_id=campaign.pk)
