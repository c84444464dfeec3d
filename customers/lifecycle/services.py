"""Lifecycle stage (客户生命周期), recomputed in batch by documented rules.

The first rule that applies wins:

1. **new** — the relationship opened within the last 90 days;
2. **churned** — no assets (AUM 0) and no product held;
3. **dormant** — AUM under 10,000 and no contact for 180 days (or never contacted);
4. **mature** — AUM of 500,000 or more, or three or more products held;
5. **growing** — everyone else.

One UPDATE per customer-id range writes only the customers whose stage changes.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone

NEW_WITHIN_DAYS = 90
DORMANT_AUM_BELOW = 10_000
DORMANT_AFTER_DAYS = 180
MATURE_AUM_FROM = 500_000
MATURE_PRODUCTS_FROM = 3
RANGE_SIZE = 500_000

_RECOMPUTE_SQL = """
WITH products AS (
    SELECT customer_id, count(*) AS held
    FROM customers_productholding
    WHERE customer_id BETWEEN %(low)s AND %(high)s
    GROUP BY customer_id
),
computed AS (
    SELECT c.id,
        CASE
            WHEN c.opened_on >= %(new_since)s THEN 'new'
            WHEN c.aum = 0 AND COALESCE(p.held, 0) = 0 THEN 'churned'
            WHEN c.aum < %(dormant_aum)s
                 AND (c.last_contact_at IS NULL OR c.last_contact_at < %(dormant_before)s) THEN 'dormant'
            WHEN c.aum >= %(mature_aum)s OR COALESCE(p.held, 0) >= %(mature_products)s THEN 'mature'
            ELSE 'growing'
        END AS stage
    FROM customers_customer c
    LEFT JOIN products p ON p.customer_id = c.id
    WHERE c.id BETWEEN %(low)s AND %(high)s
)
UPDATE customers_customer c SET lifecycle_stage = computed.stage
FROM computed
WHERE c.id = computed.id AND c.lifecycle_stage <> computed.stage
"""


def lifecycle_stages_recompute(*, on: datetime.date | None = None, range_size: int = RANGE_SIZE) -> int:
    """Recompute every customer's stage; returns how many changed. Each range commits on its own."""
    on = on or timezone.localdate()
    params: dict[str, datetime.date | int] = {
        "new_since": on - datetime.timedelta(days=NEW_WITHIN_DAYS),
        "dormant_aum": DORMANT_AUM_BELOW,
        "dormant_before": timezone.make_aware(
            datetime.datetime.combine(on - datetime.timedelta(days=DORMANT_AFTER_DAYS), datetime.time.min)
        ),
        "mature_aum": MATURE_AUM_FROM,
        "mature_products": MATURE_PRODUCTS_FROM,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_customer")
        low, high = cursor.fetchone()
    if low is None:
        return 0
    changed = 0
    for start in range(low, high + 1, range_size):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_RECOMPUTE_SQL, {**params, "low": start, "high": start + range_size - 1})
            changed += cursor.rowcount
    return changed
