"""Churn features: one set-based query per customer-id range, as the customers were on a day.

Every feature is computed "as of" a day ``T`` from data that carries its own dates, so a
model trained on past days sees only what was known then (no leakage from the label):

* ``aum``: the latest AUM snapshot on or before T (scoring today reads the customer's AUM);
  ``aum_change_30d`` / ``aum_change_90d``: its relative change since the latest snapshot on
  or before T-30 / T-90 (0 when there is none, i.e. no history yet);
* ``holdings``: products opened by T and not matured by T; ``days_to_maturity``: to the
  nearest later maturity (missing when none);
* ``products_closed_90d``: holdings that matured in (T-90, T]. A holding that core banking
  simply stops sending carries no date, so counting it on a past day would leak: it is
  not counted (its AUM shows in the AUM change instead);
* ``tenure_days`` (since ``opened_on``), ``age_band`` (0: under 30, 1: 30–44, 2: 45–59,
  3: 60 and over; missing without a birth date);
* ``lifecycle_stage``: the stage on T by the rules of ``customers.lifecycle`` applied to
  the values above (the stored stage has no history), coded new 0, growing 1, mature 2,
  dormant 3, churned 4;
* WeCom engagement: ``wecom_relation`` (a live follow relation on T),
  ``days_since_contact`` (since the latest of the customer's last contact, RM notes and
  contact events on the timeline, on or before T; missing when never),
  ``interactions_30d`` (timeline contact events and RM notes in (T-30, T]),
  ``relation_deleted`` (a relation ended by the customer or the RM on or before T);
* campaign responses: ``campaign_touches_90d`` (campaign-sent timeline events in
  (T-90, T]) and ``purchases_90d`` (purchases the holdings import saw in (T-90, T], the
  rows campaigns attribute conversions to). risk sits below campaigns, so it reads what
  customers stores, never the campaign tables;
* ``identity_verified``: a WeCom contact matched to the customer (客户认证) by T.

With ``label=`` the query also says whether the customer left within the horizon after T
(see ``ChurnLabel``) and keeps only customers who could leave: known on T, AUM at or
above the floor.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection

from customers.lifecycle.services import (
    DORMANT_AFTER_DAYS,
    DORMANT_AUM_BELOW,
    MATURE_AUM_FROM,
    MATURE_PRODUCTS_FROM,
    NEW_WITHIN_DAYS,
)
from customers.models.timeline import ENGAGEMENT_KINDS

FEATURES: tuple[str, ...] = (
    "aum",
    "aum_change_30d",
    "aum_change_90d",
    "holdings",
    "days_to_maturity",
    "products_closed_90d",
    "tenure_days",
    "age_band",
    "lifecycle_stage",
    "wecom_relation",
    "days_since_contact",
    "interactions_30d",
    "relation_deleted",
    "campaign_touches_90d",
    "purchases_90d",
    "identity_verified",
)
# Columns beside the features: who the row is, and where it sits in the org.
KEY_COLUMNS: tuple[str, ...] = ("customer_id", "branch_id", "owner_id")
LABEL_COLUMN = "left"
# Timeline kinds that are a conversation with the customer, and campaign touches; together
# they are customers' ENGAGEMENT_KINDS, which its partial index covers.
CONTACT_KINDS = ("contacted", "note")
CAMPAIGN_KINDS = ("campaign_sent",)
assert set(CONTACT_KINDS) | set(CAMPAIGN_KINDS) == set(ENGAGEMENT_KINDS)


@dataclass(frozen=True)
class ChurnLabel:
    """Left within ``horizon_days`` after T: AUM below ``aum_floor`` or a relation ended."""

    horizon_days: int
    aum_floor: int


_FEATURES_SQL = """
WITH base AS (
    SELECT c.id, c.branch_id, c.owner_id, c.birth_date, c.opened_on,
           CASE WHEN c.last_contact_at <= %(as_of_end)s THEN c.last_contact_at END AS last_contact_at,
           CASE WHEN %(current)s THEN c.aum ELSE a0.aum END AS aum_now,
           a30.aum AS aum_30, a90.aum AS aum_90
    FROM customers_customer c
    LEFT JOIN LATERAL (
        SELECT s.aum FROM customers_aumsnapshot s
        WHERE s.customer_id = c.id AND s.as_of <= %(as_of)s AND NOT %(current)s
        ORDER BY s.as_of DESC LIMIT 1
    ) a0 ON true
    LEFT JOIN LATERAL (
        SELECT s.aum FROM customers_aumsnapshot s
        WHERE s.customer_id = c.id AND s.as_of <= %(as_of_30)s ORDER BY s.as_of DESC LIMIT 1
    ) a30 ON true
    LEFT JOIN LATERAL (
        SELECT s.aum FROM customers_aumsnapshot s
        WHERE s.customer_id = c.id AND s.as_of <= %(as_of_90)s ORDER BY s.as_of DESC LIMIT 1
    ) a90 ON true
    WHERE c.id BETWEEN %(low)s AND %(high)s AND (c.opened_on IS NULL OR c.opened_on <= %(as_of)s)
),
holdings AS (
    SELECT h.customer_id,
           count(*) FILTER (
               WHERE (h.opened_on IS NULL OR h.opened_on <= %(as_of)s)
                 AND (h.maturity_date IS NULL OR h.maturity_date > %(as_of)s)
           ) AS held,
           min(h.maturity_date) FILTER (
               WHERE h.maturity_date > %(as_of)s AND (h.opened_on IS NULL OR h.opened_on <= %(as_of)s)
           ) AS nearest,
           count(*) FILTER (WHERE h.maturity_date > %(as_of_90)s AND h.maturity_date <= %(as_of)s) AS matured
    FROM customers_productholding h
    WHERE h.customer_id BETWEEN %(low)s AND %(high)s
    GROUP BY h.customer_id
),
purchases AS (
    SELECT p.customer_id, count(*) AS bought
    FROM customers_holdingpurchase p
    WHERE p.customer_id BETWEEN %(low)s AND %(high)s
      AND p.purchased_on > %(as_of_90)s AND p.purchased_on <= %(as_of)s
    GROUP BY p.customer_id
),
timeline AS (
    SELECT t.customer_id,
           max(t.occurred_at) FILTER (WHERE t.kind = ANY(%(contact_kinds)s)) AS last_interaction,
           count(*) FILTER (WHERE t.kind = ANY(%(contact_kinds)s) AND t.occurred_at > %(as_of_end_30)s) AS talked,
           count(*) FILTER (WHERE t.kind = ANY(%(campaign_kinds)s) AND t.occurred_at > %(as_of_end_90)s) AS touched
    FROM customers_timelineevent t
    WHERE t.customer_id BETWEEN %(low)s AND %(high)s AND t.occurred_at <= %(as_of_end)s
      -- Spelled out, so the planner sees the partial index customers_timeline_engagement applies.
      AND t.kind IN ('contacted', 'note', 'campaign_sent')
    GROUP BY t.customer_id
),
wecom AS (
    SELECT ec.customer_id,
           bool_or(r.added_at <= %(as_of_end)s AND (r.deleted_at IS NULL OR r.deleted_at > %(as_of_end)s)) AS live,
           bool_or(r.deleted_at <= %(as_of_end)s AND r.deleted_by IN ('customer', 'staff')) AS deleted,
           bool_or(ec.matched_at <= %(as_of_end)s) AS verified
           {label_relation}
    FROM channels_externalcontact ec
    JOIN channels_followrelation r ON r.contact_id = ec.id
    WHERE ec.customer_id BETWEEN %(low)s AND %(high)s
    GROUP BY ec.customer_id
),
rows AS (
    SELECT b.id AS customer_id, b.branch_id, b.owner_id,
           b.aum_now::float8 AS aum,
           coalesce((b.aum_now - b.aum_30) / greatest(b.aum_30, 1), 0)::float8 AS aum_change_30d,
           coalesce((b.aum_now - b.aum_90) / greatest(b.aum_90, 1), 0)::float8 AS aum_change_90d,
           coalesce(h.held, 0) AS holdings,
           (h.nearest - %(as_of)s::date) AS days_to_maturity,
           coalesce(h.matured, 0) AS products_closed_90d,
           (%(as_of)s::date - b.opened_on) AS tenure_days,
           CASE WHEN b.birth_date IS NULL THEN NULL
                WHEN b.birth_date > %(as_of)s::date - interval '30 years' THEN 0
                WHEN b.birth_date > %(as_of)s::date - interval '45 years' THEN 1
                WHEN b.birth_date > %(as_of)s::date - interval '60 years' THEN 2
                ELSE 3 END AS age_band,
           greatest(b.last_contact_at, t.last_interaction) AS last_talk,
           coalesce(t.talked, 0) AS interactions_30d,
           coalesce(w.live, false)::int AS wecom_relation,
           coalesce(w.deleted, false)::int AS relation_deleted,
           coalesce(t.touched, 0) AS campaign_touches_90d,
           coalesce(p.bought, 0) AS purchases_90d,
           coalesce(w.verified, false)::int AS identity_verified
           {label_columns}
    FROM base b
    LEFT JOIN holdings h ON h.customer_id = b.id
    LEFT JOIN purchases p ON p.customer_id = b.id
    LEFT JOIN timeline t ON t.customer_id = b.id
    LEFT JOIN wecom w ON w.customer_id = b.id
    {label_joins}
    {eligible}
)
SELECT customer_id, branch_id, owner_id, aum, aum_change_30d, aum_change_90d, holdings, days_to_maturity,
       products_closed_90d, tenure_days, age_band,
       CASE
           WHEN tenure_days <= %(new_within)s THEN 0
           WHEN aum = 0 AND holdings = 0 THEN 4
           WHEN aum < %(dormant_aum)s AND (last_talk IS NULL OR last_talk < %(dormant_before)s) THEN 3
           WHEN aum >= %(mature_aum)s OR holdings >= %(mature_products)s THEN 2
           ELSE 1
       END AS lifecycle_stage,
       wecom_relation,
       extract(epoch FROM (%(as_of_end)s - last_talk))::float8 / 86400 AS days_since_contact,
       interactions_30d, relation_deleted, campaign_touches_90d, purchases_90d, identity_verified
       {label_select}
FROM rows
ORDER BY customer_id
"""

_LABEL_RELATION = """,
           bool_or(r.deleted_at > %(as_of_end)s AND r.deleted_at <= %(horizon_end)s
                   AND r.deleted_by IN ('customer', 'staff')) AS ended"""
_LABEL_COLUMNS = """,
           (coalesce(w.ended, false) OR fell.customer_id IS NOT NULL) AS left_"""
_LABEL_JOINS = """
    LEFT JOIN LATERAL (
        SELECT s.customer_id FROM customers_aumsnapshot s
        WHERE s.customer_id = b.id AND s.as_of > %(as_of)s AND s.as_of <= %(horizon)s AND s.aum < %(floor)s
        LIMIT 1
    ) fell ON true"""
_ELIGIBLE = "WHERE b.aum_now IS NOT NULL AND b.aum_now >= %(floor)s"


def _end_of(day: datetime.date) -> datetime.datetime:
    """The last moment of a day in the bank's time zone: "on or before T" for timestamps."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)) - (
        datetime.timedelta(microseconds=1)
    )


def churn_features_for_range(
    *,
    low: int,
    high: int,
    as_of: datetime.date,
    current: bool = False,
    label: ChurnLabel | None = None,
) -> pd.DataFrame:
    """The features of the customers with ids in [low, high] as they were on ``as_of``.

    ``current=True`` (scoring today) reads the customer's AUM itself rather than the
    latest snapshot. With ``label`` the frame also has the ``left`` column and only the
    customers who could leave on that day. Columns: ``KEY_COLUMNS`` + ``FEATURES``
    (+ ``left``); float features, NaN where a value is missing.
    """
    params: dict[str, Any] = {
        "low": low,
        "high": high,
        "current": current,
        "as_of": as_of,
        "as_of_30": as_of - datetime.timedelta(days=30),
        "as_of_90": as_of - datetime.timedelta(days=90),
        "as_of_end": _end_of(as_of),
        "as_of_end_30": _end_of(as_of - datetime.timedelta(days=30)),
        "as_of_end_90": _end_of(as_of - datetime.timedelta(days=90)),
        "contact_kinds": list(CONTACT_KINDS),
        "campaign_kinds": list(CAMPAIGN_KINDS),
        "new_within": NEW_WITHIN_DAYS,
        "dormant_aum": DORMANT_AUM_BELOW,
        "dormant_before": _end_of(as_of - datetime.timedelta(days=DORMANT_AFTER_DAYS)),
        "mature_aum": MATURE_AUM_FROM,
        "mature_products": MATURE_PRODUCTS_FROM,
    }
    parts = {"label_relation": "", "label_columns": "", "label_joins": "", "eligible": "", "label_select": ""}
    if label is not None:
        horizon = as_of + datetime.timedelta(days=label.horizon_days)
        params |= {"horizon": horizon, "horizon_end": _end_of(horizon), "floor": label.aum_floor}
        parts = {
            "label_relation": _LABEL_RELATION,
            "label_columns": _LABEL_COLUMNS,
            "label_joins": _LABEL_JOINS,
            "eligible": _ELIGIBLE,
            "label_select": f", left_ AS {LABEL_COLUMN}",
        }
    with connection.cursor() as cursor:
        cursor.execute(_FEATURES_SQL.format(**parts), params)
        rows = cursor.fetchall()
    columns = [*KEY_COLUMNS, *FEATURES] + ([LABEL_COLUMN] if label is not None else [])
    frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
    for feature in FEATURES:
        frame[feature] = pd.to_numeric(frame[feature], errors="coerce").astype(np.float64)
    if label is not None:
        frame[LABEL_COLUMN] = frame[LABEL_COLUMN].astype(bool)
    return frame


def customer_id_bounds() -> tuple[int, int] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_customer")
        low, high = cursor.fetchone()
    return None if low is None else (int(low), int(high))


def churn_training_frame(
    *,
    as_of_days: list[datetime.date],
    label: ChurnLabel,
    range_size: int,
) -> pd.DataFrame:
    """The labelled samples of every customer on each of the days (a column ``as_of`` says which)."""
    bounds = customer_id_bounds()
    frames = []
    if bounds is not None:
        for day in as_of_days:
            for start in range(bounds[0], bounds[1] + 1, range_size):
                frame = churn_features_for_range(low=start, high=start + range_size - 1, as_of=day, label=label)
                frame["as_of"] = pd.Timestamp(day)
                frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*KEY_COLUMNS, *FEATURES, LABEL_COLUMN, "as_of"])
    return pd.concat(frames, ignore_index=True)
