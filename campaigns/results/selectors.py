"""How a campaign did: reach, conversions per variant and for the holdout, uplift, and which variant won.

A purchase is a ``HoldingPurchase`` (a new or larger holding the import saw) of one of the
campaign's target product types — any type when it names none.

* **Conversion** is counted intent-to-treat: a customer converts when they buy within the
  campaign's attribution window from the day their occurrence was planned. Every
  customer assigned to a variant counts, delivered or not, and so does every holdout
  member, which makes the variants and the holdout comparable: the holdout is the same
  population, never sent to.
* **Uplift** is the treated conversion rate minus the holdout's, with a 95 % Wald
  interval for the difference of two proportions.
* **A/B**: a chi-square test of the variants' conversion counts; a variant is the winner
  only when p < 0.05, and then it is the one with the highest rate.
* **Attribution** (last touch across campaigns): each purchase is credited to the most
  recent campaign that planned a message to the customer on or before the purchase day,
  within that campaign's window and targeting that product type. Only those purchases
  count as this campaign's attributed purchases and amount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from scipy.stats import chi2_contingency

from campaigns.models import Campaign, CampaignOccurrence, CampaignRecipient
from customers.models import HoldingPurchase

SIGNIFICANCE = 0.05
Z_95 = 1.959964


@dataclass(frozen=True)
class GroupResult:
    label: str  # a variant's label, or "holdout"
    assigned: int
    delivered: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.assigned if self.assigned else None


@dataclass(frozen=True)
class CampaignResults:
    variants: list[GroupResult]
    holdout: GroupResult
    uplift: float | None
    uplift_interval: tuple[float, float] | None
    ab_p_value: float | None
    winner: str | None
    attributed_purchases: int
    attributed_amount: Decimal

    @property
    def treated(self) -> GroupResult:
        return _combined(self.variants)


def _combined(variants: list[GroupResult]) -> GroupResult:
    """Every variant together: the treated group the holdout is compared with."""
    return GroupResult(
        label="treated",
        assigned=sum(v.assigned for v in variants),
        delivered=sum(v.delivered for v in variants),
        converted=sum(v.converted for v in variants),
    )


_GROUPS = """
    SELECT CASE WHEN r.holdout THEN 'holdout' ELSE r.variant END,
           count(*),
           count(*) FILTER (WHERE r.send_status = 1),
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM {purchase} p
               WHERE p.customer_id = r.customer_id
                 AND p.purchased_on BETWEEN r.planned_on AND r.planned_on + %s
                 AND (cardinality(%s::text[]) = 0 OR p.product_type = ANY(%s::text[]))))
    FROM {recipient} r JOIN {occurrence} o ON o.id = r.occurrence_id
    WHERE o.campaign_id = %s
    GROUP BY 1
"""

# For each purchase of the campaign's customers, the latest touch of any campaign that
# could claim it; the purchase is this campaign's when that touch is this campaign's.
_ATTRIBUTED = """
    SELECT count(*), coalesce(sum(amount), 0) FROM (
        SELECT DISTINCT ON (p.id) p.id, p.amount, o.campaign_id
        FROM {purchase} p
        JOIN {recipient} r ON r.customer_id = p.customer_id AND NOT r.holdout
        JOIN {occurrence} o ON o.id = r.occurrence_id
        JOIN {campaign} c ON c.id = o.campaign_id
        WHERE p.customer_id IN (
                SELECT r2.customer_id FROM {recipient} r2 JOIN {occurrence} o2 ON o2.id = r2.occurrence_id
                WHERE o2.campaign_id = %s AND NOT r2.holdout)
          AND p.purchased_on BETWEEN r.planned_on AND r.planned_on + c.attribution_days
          AND (cardinality(c.target_product_types) = 0 OR p.product_type = ANY(c.target_product_types))
        ORDER BY p.id, r.planned_on DESC, r.id DESC
    ) last_touch
    WHERE campaign_id = %s
"""


def _tables() -> dict[str, str]:
    return {
        "purchase": HoldingPurchase._meta.db_table,
        "recipient": CampaignRecipient._meta.db_table,
        "occurrence": CampaignOccurrence._meta.db_table,
        "campaign": Campaign._meta.db_table,
    }


def _uplift(treated: GroupResult, holdout: GroupResult) -> tuple[float | None, tuple[float, float] | None]:
    if not treated.assigned or not holdout.assigned:
        return None, None
    p1, p2 = treated.converted / treated.assigned, holdout.converted / holdout.assigned
    error = math.sqrt(p1 * (1 - p1) / treated.assigned + p2 * (1 - p2) / holdout.assigned)
    difference = p1 - p2
    return difference, (difference - Z_95 * error, difference + Z_95 * error)


def _ab_test(variants: list[GroupResult]) -> tuple[float | None, str | None]:
    """Chi-square over converted / not converted per variant; the winner only when significant."""
    tested = [v for v in variants if v.assigned]
    if len(tested) < 2 or not any(v.converted for v in tested) or all(v.converted == v.assigned for v in tested):
        return None, None
    table = [[v.converted, v.assigned - v.converted] for v in tested]
    p_value = float(chi2_contingency(table)[1])
    if p_value >= SIGNIFICANCE:
        return p_value, None
    best = max(tested, key=lambda v: v.converted / v.assigned)
    return p_value, best.label


def campaign_results(campaign: Campaign) -> CampaignResults:
    targets = list(campaign.target_product_types)
    tables = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            _GROUPS.format(**tables), [campaign.attribution_days, targets, targets, campaign.pk]
        )  # table names are the models' own; values are parameters
        groups = {
            label: (assigned, delivered, converted) for label, assigned, delivered, converted in cursor.fetchall()
        }
        cursor.execute(_ATTRIBUTED.format(**tables), [campaign.pk, campaign.pk])
        attributed, amount = cursor.fetchone()
    labels = [v.label for v in campaign.variants.order_by("label")]
    variants = [GroupResult(label, *groups.get(label, (0, 0, 0))) for label in labels]
    holdout = GroupResult("holdout", *groups.get("holdout", (0, 0, 0)))
    uplift, interval = _uplift(_combined(variants), holdout)
    p_value, winner = _ab_test(variants)
    return CampaignResults(
        variants=variants,
        holdout=holdout,
        uplift=uplift,
        uplift_interval=interval,
        ab_p_value=p_value,
        winner=winner,
        attributed_purchases=int(attributed),
        attributed_amount=Decimal(amount),
    )
