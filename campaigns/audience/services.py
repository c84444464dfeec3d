"""Planning an occurrence: freeze its audience and hand WeCom its tasks, in one transaction.

With the dispatcher's claim of the campaign (scheduled → dispatching), writing one recipient row per customer
sent to or held out, counting the rest by reason, and recording one outbox call per
sender, variant and chunk of ≤ 10,000 customers all commit together or not at all: a
worker that dies half-way leaves the campaign scheduled, and the next attempt plans it
afresh. The outbox keys name the occurrence, sender, variant and chunk, so no chunk can
be created twice.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from campaigns.audience.sql import AudienceRules, classified_sql
from campaigns.models import Campaign, CampaignKind, CampaignOccurrence, CampaignPurpose, CampaignRecipient
from campaigns.models.audience import ExclusionReason
from channels.outbox.services import outbox_submit_many
from customers.segments.selectors import segment_members_bank_wide
from scrm.org.models import Branch, Staff

# One planner at a time: the frequency cap and the receive quota count what earlier
# plans wrote, so two plans side by side could both see room for the same customer.
PLANNING_LOCK = 0x5C4D_0001


def audience_rules(campaign: Campaign, *, planned_on: datetime.date) -> AudienceRules:
    window = datetime.timedelta(days=settings.CAMPAIGN_MARKETING_TOUCH_WINDOW_DAYS - 1)
    return AudienceRules(
        campaign_id=campaign.pk,
        owner_path=campaign.owner_branch.path,
        branch_paths=sorted(branch.path for branch in campaign.branches.all()),
        marketing=campaign.purpose == CampaignPurpose.MARKETING,
        holdout_percent=campaign.holdout_percent,
        variant_weights=[(v.label, v.weight) for v in campaign.variants.order_by("label")],
        planned_on=planned_on,
        cap=settings.CAMPAIGN_MARKETING_TOUCH_LIMIT,
        cap_window_start=planned_on - window,
        daily_quota=settings.WECOM_GROUPMSG_DAILY_QUOTA,
        monthly_quota=settings.WECOM_GROUPMSG_MONTHLY_QUOTA,
    )


def _verdict_counts(rows: list[tuple[str | None, int]]) -> tuple[int, dict[str, int]]:
    """(recipients sent to, exclusions by reason) from ``GROUP BY excluded`` rows."""
    counts = {reason or "": count for reason, count in rows}
    exclusions = {reason.value: counts.get(reason.value, 0) for reason in ExclusionReason}
    return counts.get("", 0), exclusions


def _freeze_audience(occurrence: CampaignOccurrence, rules: AudienceRules) -> None:
    campaign = occurrence.campaign
    members = segment_members_bank_wide(segment=campaign.segment, on=rules.planned_on)
    classified, params = classified_sql(members, rules)
    recipient = CampaignRecipient._meta.db_table
    statement = f"""
        WITH classified AS MATERIALIZED ({classified}),
        inserted AS (
            INSERT INTO {recipient}
                (occurrence_id, customer_id, variant, holdout, sender_id, external_userid,
                 marketing, planned_on, msgid)
            SELECT %s, customer_id,
                   CASE WHEN excluded IS NULL THEN variant ELSE '' END,
                   excluded IS NOT NULL,
                   CASE WHEN excluded IS NULL THEN sender_id END,
                   CASE WHEN excluded IS NULL THEN external_userid ELSE '' END,
                   %s, %s, ''
            FROM classified
            WHERE excluded IS NULL OR excluded = 'holdout'
            ON CONFLICT (occurrence_id, customer_id) DO NOTHING
            RETURNING 1
        )
        SELECT excluded, count(*) FROM classified GROUP BY excluded
    """  # noqa: S608 - the table name is the model's own; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, occurrence.pk, rules.marketing, rules.planned_on])
        rows = cursor.fetchall()
    sent, exclusions = _verdict_counts(rows)
    occurrence.recipient_count = sent
    occurrence.exclusions = exclusions
    occurrence.segment_size = sent + sum(exclusions.values())
    occurrence.save(update_fields=["recipient_count", "exclusions", "segment_size"])


# The greeting tokens a variant's text may carry. One WeCom task goes to a whole chunk, so a
# token can name only what is the same for all of it: the sending RM and their outlet,
# which every recipient already knows. Nothing about the customer can be filled in.
GREETING_TOKENS = ("{客户经理}", "{网点}")


def greeting_fill(text: str, *, rm_name: str, outlet_name: str) -> str:
    return text.replace("{客户经理}", rm_name).replace("{网点}", outlet_name)


def _chunk_key(occurrence: CampaignOccurrence, sender: str, variant: str, chunk: int) -> str:
    return f"campaign:{occurrence.campaign_id}:{occurrence.sequence}:{sender}:{variant}:{chunk}"


def _submit_chunks(occurrence: CampaignOccurrence, attachments: dict[str, list[dict[str, Any]]]) -> int:
    """One add_msg_template call per sender, variant and chunk; how many."""
    chunk_size = settings.WECOM_GROUPMSG_CHUNK_SIZE
    recipient, staff, branch = CampaignRecipient._meta.db_table, Staff._meta.db_table, Branch._meta.db_table
    statement = f"""
        SELECT s.wecom_userid, r.variant, (r.position - 1) / %s AS chunk,
               array_agg(r.external_userid ORDER BY r.position), s.name, b.name
        FROM (
            SELECT sender_id, variant, external_userid,
                   row_number() OVER (PARTITION BY sender_id, variant ORDER BY customer_id) AS position
            FROM {recipient}
            WHERE occurrence_id = %s AND NOT holdout
        ) r
        JOIN {staff} s ON s.id = r.sender_id
        JOIN {branch} b ON b.id = s.branch_id
        GROUP BY s.wecom_userid, r.variant, chunk, s.name, b.name
        ORDER BY s.wecom_userid, r.variant, chunk
    """  # noqa: S608 - the table names are the models' own
    with connection.cursor() as cursor:
        cursor.execute(statement, [chunk_size, occurrence.pk])
        chunks = cursor.fetchall()
    texts = {v.label: v.text for v in occurrence.campaign.variants.all()}
    not_before = int(time.time())
    payloads = {
        _chunk_key(occurrence, sender, variant, chunk): {
            "chat_type": "single",
            "sender": sender,
            "external_userids": list(external_userids),
            "text": greeting_fill(texts[variant], rm_name=rm_name, outlet_name=outlet_name),
            "attachments": attachments.get(variant, []),
            "not_before": not_before,
        }
        for sender, variant, chunk, external_userids, rm_name, outlet_name in chunks
    }
    outbox_submit_many(operation="add_msg_template", payloads=payloads)
    return len(payloads)


def occurrence_plan(
    campaign: Campaign,
    *,
    sequence: int,
    scheduled_for: datetime.datetime,
    attachments: dict[str, list[dict[str, Any]]] | None = None,
) -> CampaignOccurrence:
    """Freeze the audience of the campaign's occurrence ``sequence`` and submit its chunks; once only.

    Runs inside the dispatcher's transaction, the campaign row locked and claimed.
    """
    if campaign.kind != CampaignKind.CUSTOMERS:
        raise NotImplementedError(f"dispatching a {campaign.kind} campaign")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PLANNING_LOCK])
    occurrence, created = CampaignOccurrence.objects.get_or_create(
        campaign=campaign, sequence=sequence, defaults={"scheduled_for": scheduled_for}
    )
    if created:
        _freeze_audience(occurrence, audience_rules(campaign, planned_on=timezone.localdate()))
        _submit_chunks(occurrence, attachments or {})
    return occurrence
