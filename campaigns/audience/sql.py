"""The audience of one occurrence in one statement: who is sent to, who is held out, who is left out and why.

Every segment member gets exactly one verdict, checked in this order (the first that
applies wins, so each excluded customer is counted once):

1. ``out_of_scope``: their branch is outside the campaign's subtree (or its chosen branches);
2. ``no_consent``: a marketing campaign, and they have not agreed to marketing;
3. ``no_relation``: no live WeCom relation with an active member of staff. The sender is
   the owning RM when they have one, otherwise the most recently added relation;
4. ``capped``: a marketing campaign, and the bank's frequency cap is reached in the window
   (every marketing touch counts: a mass message, a group message, a moment that reached them);
5. ``quota``: WeCom's receive quota for 1:1 mass messages, for the day (or month), is reached;
6. ``holdout``: among the eligible, the control group, never sent to.

Holdout and variant come from a hash of (campaign, customer), with separate salts: the
same customer lands in the same group at every re-run and every occurrence, and a
variant split is independent of the holdout split. Tables of channels and customers
are read here, never written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from campaigns.models import CampaignGroupTarget, CampaignRecipient
from channels.models import (
    CustomerGroup,
    ExternalContact,
    FollowRelation,
    GroupMember,
    GroupStatus,
    MemberType,
    RelationStatus,
)
from customers.models import Customer
from scrm.org.models import Branch, Staff, StaffStatus

# Hash buckets: holdout shares are in basis points (0.01 %), variant shares in percent.
HOLDOUT_BUCKETS = 10_000
VARIANT_BUCKETS = 100


@dataclass(frozen=True)
class AudienceRules:
    """What the statement needs to know about the campaign and the day."""

    campaign_id: int
    owner_path: str
    branch_paths: list[str]
    marketing: bool
    holdout_percent: int
    variant_weights: list[tuple[str, int]]
    planned_on: datetime.date
    cap: int
    cap_window_start: datetime.date
    daily_quota: int
    monthly_quota: int


def _bucket(salt: str, buckets: int, *, column: str = "m.id") -> str:
    """A stable bucket 0..buckets-1 from md5(salt || id), as a SQL expression."""
    return f"(('x' || substr(md5('{salt}' || {column}::text), 1, 8))::bit(32)::bigint %% {buckets})"


def bucket_of(salt: str, customer_id: int, buckets: int) -> int:
    """The same bucket in Python: for tests and for explaining an assignment."""
    import hashlib

    return int(hashlib.md5(f"{salt}{customer_id}".encode()).hexdigest()[:8], 16) % buckets  # noqa: S324


def holdout_salt(campaign_id: int, *, unit: str = "") -> str:
    return f"holdout:{campaign_id}:{unit}"


def variant_salt(campaign_id: int, *, unit: str = "") -> str:
    return f"variant:{campaign_id}:{unit}"


# Salt suffix for a group campaign, whose hash buckets are customer groups' ids.
GROUP_UNIT = "group:"


def _variant_case(weights: list[tuple[str, int]], bucket: str) -> str:
    """CASE mapping a 0..99 bucket onto the variants by their cumulative shares."""
    branches, upper = [], 0
    for label, weight in weights[:-1]:
        upper += weight
        branches.append(f"WHEN {bucket} < {upper} THEN '{label}'")
    return f"CASE {' '.join(branches)} ELSE '{weights[-1][0]}' END" if branches else f"'{weights[-1][0]}'"


def classified_sql(members: QuerySet[Customer], rules: AudienceRules) -> tuple[str, list[Any]]:
    """``classified``: one row per segment member with its verdict (NULL: send), sender and variant."""
    member_sql, member_params = members.values("id").query.sql_with_params()
    customer, branch = Customer._meta.db_table, Branch._meta.db_table
    contact, relation, staff = ExternalContact._meta.db_table, FollowRelation._meta.db_table, Staff._meta.db_table
    recipient = CampaignRecipient._meta.db_table
    month_start = rules.planned_on.replace(day=1)
    touches_from = min(rules.cap_window_start, month_start, rules.planned_on)
    variant = _variant_case(rules.variant_weights, _bucket(variant_salt(rules.campaign_id), VARIANT_BUCKETS))
    holdout = _bucket(holdout_salt(rules.campaign_id), HOLDOUT_BUCKETS)
    sql = f"""
        SELECT m.id AS customer_id, rel.staff_id AS sender_id, rel.external_userid,
            CASE
                WHEN NOT (b.path LIKE %s || '%%'
                          AND (cardinality(%s::text[]) = 0
                               OR EXISTS (SELECT 1 FROM unnest(%s::text[]) AS p(path)
                                          WHERE b.path LIKE p.path || '%%')))
                    THEN 'out_of_scope'
                WHEN %s AND NOT m.marketing_consent THEN 'no_consent'
                WHEN rel.staff_id IS NULL THEN 'no_relation'
                WHEN %s AND touches.marketing >= %s THEN 'capped'
                WHEN touches.today >= %s OR (%s > 0 AND touches.month >= %s) THEN 'quota'
                WHEN {holdout} < %s THEN 'holdout'
            END AS excluded,
            {variant} AS variant
        FROM {customer} m
        JOIN {branch} b ON b.id = m.branch_id
        LEFT JOIN LATERAL (
            SELECT r.staff_id, x.external_userid
            FROM {contact} x
            JOIN {relation} r ON r.contact_id = x.id
            JOIN {staff} s ON s.id = r.staff_id
            WHERE x.customer_id = m.id AND r.status = %s AND s.status = %s AND s.wecom_userid IS NOT NULL
            ORDER BY (r.staff_id = m.owner_id) DESC, r.added_at DESC, r.id DESC
            LIMIT 1
        ) rel ON true
        LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE t.marketing AND t.planned_on >= %s) AS marketing,
                   count(*) FILTER (WHERE t.channel = 'message' AND t.planned_on = %s) AS today,
                   count(*) FILTER (WHERE t.channel = 'message' AND t.planned_on >= %s) AS month
            FROM {recipient} t
            WHERE t.customer_id = m.id AND NOT t.holdout AND t.planned_on >= %s
        ) touches ON true
        WHERE m.id IN ({member_sql})
    """  # noqa: S608 - table names and salts are the product's own, every value is a parameter
    params: list[Any] = [
        rules.owner_path,
        rules.branch_paths,
        rules.branch_paths,
        rules.marketing,
        rules.marketing,
        rules.cap,
        rules.daily_quota,
        rules.monthly_quota,
        rules.monthly_quota,
        rules.holdout_percent * (HOLDOUT_BUCKETS // 100),
        RelationStatus.ACTIVE,
        StaffStatus.ACTIVE,
        rules.cap_window_start,
        rules.planned_on,
        month_start,
        touches_from,
        *member_params,
    ]
    return sql, params


@dataclass(frozen=True)
class GroupRules:
    """A group campaign's rules: the customer-level ones, and WeCom's monthly quota per group."""

    audience: AudienceRules
    monthly_quota: int


def group_classified_sql(members: QuerySet[Customer], rules: GroupRules) -> tuple[str, list[Any]]:
    """``classified`` for a group campaign: one row per live customer group holding a segment member.

    WeCom sends a group message to whole groups from their owner, so the verdicts are the
    group's, checked in this order:

    1. ``out_of_scope``: the owner RM's branch is outside the campaign's subtree (or branches);
    2. ``no_consent``: a marketing campaign, and a customer in the group has not agreed to
       marketing (the message would reach them too);
    3. ``no_relation``: the group has no active owner on the staff to send it;
    4. ``quota``: the group has received WeCom's monthly quota of group messages;
    5. ``holdout``: by the hash of (campaign, group).
    """
    audience = rules.audience
    member_sql, member_params = members.values("id").query.sql_with_params()
    group, member = CustomerGroup._meta.db_table, GroupMember._meta.db_table
    contact, customer = ExternalContact._meta.db_table, Customer._meta.db_table
    staff, branch, target = Staff._meta.db_table, Branch._meta.db_table, CampaignGroupTarget._meta.db_table
    month_start = audience.planned_on.replace(day=1)
    variant = _variant_case(
        audience.variant_weights,
        _bucket(variant_salt(audience.campaign_id, unit=GROUP_UNIT), VARIANT_BUCKETS, column="g.id"),
    )
    holdout = _bucket(holdout_salt(audience.campaign_id, unit=GROUP_UNIT), HOLDOUT_BUCKETS, column="g.id")
    customers_in_group = f"""
        SELECT 1 FROM {member} gm JOIN {contact} x ON x.id = gm.contact_id
        WHERE gm.group_id = g.id AND gm.left_at IS NULL AND gm.member_type = %s"""  # noqa: S608 - own tables
    sql = f"""
        SELECT g.id AS group_id, g.chat_id, s.id AS sender_id,
            CASE
                WHEN b.path IS NOT NULL
                     AND NOT (b.path LIKE %s || '%%'
                              AND (cardinality(%s::text[]) = 0
                                   OR EXISTS (SELECT 1 FROM unnest(%s::text[]) AS p(path)
                                              WHERE b.path LIKE p.path || '%%')))
                    THEN 'out_of_scope'
                WHEN %s AND EXISTS ({customers_in_group}
                                    AND x.customer_id IN (SELECT c.id FROM {customer} c
                                                          WHERE NOT c.marketing_consent))
                    THEN 'no_consent'
                WHEN s.id IS NULL THEN 'no_relation'
                WHEN (SELECT count(*) FROM {target} t
                      WHERE t.group_id = g.id AND NOT t.holdout AND t.planned_on >= %s) >= %s
                    THEN 'quota'
                WHEN {holdout} < %s THEN 'holdout'
            END AS excluded,
            {variant} AS variant
        FROM {group} g
        LEFT JOIN {staff} s ON s.id = g.owner_id AND s.status = %s AND s.wecom_userid IS NOT NULL
        LEFT JOIN {branch} b ON b.id = s.branch_id
        WHERE g.status = %s
          AND EXISTS ({customers_in_group} AND x.customer_id IN ({member_sql}))
    """  # noqa: S608 - table names and salts are the product's own, every value is a parameter
    params: list[Any] = [
        audience.owner_path,
        audience.branch_paths,
        audience.branch_paths,
        audience.marketing,
        MemberType.EXTERNAL,
        month_start,
        rules.monthly_quota,
        audience.holdout_percent * (HOLDOUT_BUCKETS // 100),
        StaffStatus.ACTIVE,
        GroupStatus.ACTIVE,
        MemberType.EXTERNAL,
        *member_params,
    ]
    return sql, params
