"""The audience a campaign would reach today, counted by reason, without writing anything.

The same statement as planning (``campaigns.audience.sql``), so what the builder shows is
what dispatch will do, as of now: later touches from other campaigns can still change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from campaigns.audience.services import audience_classified
from campaigns.models import Campaign, CampaignKind, ExclusionReason


@dataclass(frozen=True)
class AudiencePreview:
    segment_size: int
    recipients: int
    exclusions: dict[str, int]
    by_variant: dict[str, int]
    # A group campaign counts customer groups (those holding a segment member), not customers.
    counts_groups: bool = False


def audience_preview(campaign: Campaign) -> AudiencePreview:
    """Who the campaign would send to if it were dispatched now, by variant; who not, by reason."""
    classified, params = audience_classified(campaign, on=timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT excluded, CASE WHEN excluded IS NULL THEN variant END, count(*) "  # noqa: S608
            f"FROM ({classified}) AS classified GROUP BY 1, 2",
            params,
        )
        rows = cursor.fetchall()
    exclusions = {reason.value: 0 for reason in ExclusionReason}
    by_variant = {variant.label: 0 for variant in campaign.variants.all()}
    for excluded, variant, count in rows:
        if excluded is None:
            by_variant[variant] = by_variant.get(variant, 0) + count
        else:
            exclusions[excluded] = count
    recipients = sum(by_variant.values())
    return AudiencePreview(
        segment_size=recipients + sum(exclusions.values()),
        recipients=recipients,
        exclusions=exclusions,
        by_variant=by_variant,
        counts_groups=campaign.kind == CampaignKind.GROUPS,
    )
