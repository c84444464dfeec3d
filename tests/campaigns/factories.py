"""Factories for campaign tests: segments to aim at and campaign drafts to build from."""

import factory

from campaigns.services import CampaignDraft, VariantDraft
from customers.models import Segment


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
