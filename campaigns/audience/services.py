"""Planning an occurrence: freeze its audience and hand WeCom its tasks, in one transaction.

Each kind of campaign plans differently, from the same segment and rules:

* **customers** (1:1 群发): one recipient row per customer, chunks of ≤ 10,000 per sender
  and variant, each an ``add_msg_template`` call with ``chat_type=single``;
* **groups** (群发 to customer groups): one target row per group (its owner RM sends it) and
  a recipient row per identified customer in those groups; chunks of ≤ 2,000 groups per
  sender and variant, ``chat_type=group`` with their ``chat_id_list``;
* **moments** (朋友圈): the eligible customers choose the RMs who post; one
  ``add_moment_task`` for all of them. WeCom shows a moment to each poster's customers, so
  recipient rows are written later, for the customers WeCom says it reached.

With the dispatcher's claim of the campaign (scheduled → dispatching), writing one recipient row per customer
sent to or held out, counting the rest by reason, and recording one outbox call per
sender, variant and chunk of ≤ 10,000 customers all commit together or not at all: a
worker that dies half-way leaves the campaign scheduled, and the next attempt plans it
afresh. The outbox keys name the occurrence, sender, variant and chunk, so no chunk can
be created twice.
"""

from __future__ import annotations

import calendar
import datetime
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from campaigns.audience.sql import AudienceRules, GroupRules, classified_sql, group_classified_sql
from campaigns.models import (
    Campaign,
    CampaignGroupTarget,
    CampaignKind,
    CampaignOccurrence,
    CampaignPurpose,
    CampaignRecipient,
    RecipientChannel,
)
from campaigns.models.audience import ExclusionReason
from channels.models import ExternalContact, GroupMember, MemberType
from channels.outbox.services import outbox_submit, outbox_submit_many
from customers.segments.selectors import segment_members_bank_wide
from scrm.org.models import Branch, Staff

# One planner at a time: the frequency cap and the receive quota count what earlier
# plans wrote, so two plans side by side could both see room for the same customer.
PLANNING_LOCK = 0x5C4D_0001


def audience_rules(campaign: Campaign, *, planned_on: datetime.date) -> AudienceRules:
    window = datetime.timedelta(days=settings.CAMPAIGN_MARKETING_TOUCH_WINDOW_DAYS - 1)
    # WeCom's receive quota is for mass messages; a moment is a post, not a message.
    no_quota = campaign.kind == CampaignKind.MOMENTS
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
        daily_quota=UNLIMITED if no_quota else settings.WECOM_GROUPMSG_DAILY_QUOTA,
        monthly_quota=0 if no_quota else settings.WECOM_GROUPMSG_MONTHLY_QUOTA,
    )


UNLIMITED = 2**31 - 1


def group_monthly_quota(on: datetime.date) -> int:
    """Group messages one customer group may receive in ``on``'s month: WeCom's is its number of days."""
    configured = settings.WECOM_GROUPCHAT_MONTHLY_QUOTA
    return configured or calendar.monthrange(on.year, on.month)[1]


def audience_classified(campaign: Campaign, *, on: datetime.date) -> tuple[str, list[Any]]:
    """The classifying statement for the campaign's kind: per customer, or per customer group."""
    rules = audience_rules(campaign, planned_on=on)
    members = segment_members_bank_wide(segment=campaign.segment, on=on)
    if campaign.kind == CampaignKind.GROUPS:
        return group_classified_sql(members, GroupRules(audience=rules, monthly_quota=group_monthly_quota(on)))
    return classified_sql(members, rules)


def _verdict_counts(rows: list[tuple[str | None, int]]) -> tuple[int, dict[str, int]]:
    """(recipients sent to, exclusions by reason) from ``GROUP BY excluded`` rows."""
    counts = {reason or "": count for reason, count in rows}
    exclusions = {reason.value: counts.get(reason.value, 0) for reason in ExclusionReason}
    return counts.get("", 0), exclusions


def _record_counts(occurrence: CampaignOccurrence, rows: list[tuple[str | None, int]]) -> None:
    sent, exclusions = _verdict_counts(rows)
    occurrence.recipient_count = sent
    occurrence.exclusions = exclusions
    occurrence.segment_size = sent + sum(exclusions.values())
    occurrence.save(update_fields=["recipient_count", "exclusions", "segment_size"])


def _freeze_audience(occurrence: CampaignOccurrence, *, planned_on: datetime.date) -> None:
    campaign = occurrence.campaign
    marketing = campaign.purpose == CampaignPurpose.MARKETING
    classified, params = audience_classified(campaign, on=planned_on)
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
        cursor.execute(statement, [*params, occurrence.pk, marketing, planned_on])
        _record_counts(occurrence, cursor.fetchall())


def _freeze_group_audience(occurrence: CampaignOccurrence, *, planned_on: datetime.date) -> None:
    """The groups sent to or held out, then each identified customer in them (once, a sent group first)."""
    campaign = occurrence.campaign
    classified, params = audience_classified(campaign, on=planned_on)
    target, recipient = CampaignGroupTarget._meta.db_table, CampaignRecipient._meta.db_table
    member, contact = GroupMember._meta.db_table, ExternalContact._meta.db_table
    targets = f"""
        WITH classified AS MATERIALIZED ({classified}),
        inserted AS (
            INSERT INTO {target} (occurrence_id, group_id, chat_id, variant, holdout, sender_id, planned_on, msgid)
            SELECT %s, group_id, chat_id,
                   CASE WHEN excluded IS NULL THEN variant ELSE '' END,
                   excluded IS NOT NULL,
                   CASE WHEN excluded IS NULL THEN sender_id END,
                   %s, ''
            FROM classified
            WHERE excluded IS NULL OR excluded = 'holdout'
            ON CONFLICT (occurrence_id, group_id) DO NOTHING
            RETURNING 1
        )
        SELECT excluded, count(*) FROM classified GROUP BY excluded
    """  # noqa: S608 - the table name is the model's own; values are parameters
    customers = f"""
        INSERT INTO {recipient}
            (occurrence_id, customer_id, variant, holdout, sender_id, external_userid,
             marketing, channel, planned_on, msgid, group_target_id)
        SELECT DISTINCT ON (x.customer_id)
               t.occurrence_id, x.customer_id, t.variant, t.holdout, t.sender_id,
               CASE WHEN t.holdout THEN '' ELSE x.external_userid END,
               %s, %s, t.planned_on, '', t.id
        FROM {target} t
        JOIN {member} gm ON gm.group_id = t.group_id AND gm.left_at IS NULL AND gm.member_type = %s
        JOIN {contact} x ON x.id = gm.contact_id
        WHERE t.occurrence_id = %s AND x.customer_id IS NOT NULL
        ORDER BY x.customer_id, t.holdout, t.id
        ON CONFLICT (occurrence_id, customer_id) DO NOTHING
    """  # noqa: S608 - the table names are the models' own
    with connection.cursor() as cursor:
        cursor.execute(targets, [*params, occurrence.pk, planned_on])
        _record_counts(occurrence, cursor.fetchall())
        cursor.execute(
            customers,
            [campaign.purpose == CampaignPurpose.MARKETING, RecipientChannel.GROUP, MemberType.EXTERNAL, occurrence.pk],
        )


def _moment_senders(occurrence: CampaignOccurrence, *, planned_on: datetime.date) -> list[str]:
    """Count the eligible customers and the rest by reason; the WeCom userids of the RMs who will post."""
    classified, params = audience_classified(occurrence.campaign, on=planned_on)
    staff = Staff._meta.db_table
    statement = f"""
        SELECT c.excluded, count(*),
               array_agg(DISTINCT s.wecom_userid ORDER BY s.wecom_userid) FILTER (WHERE c.excluded IS NULL)
        FROM ({classified}) c LEFT JOIN {staff} s ON s.id = c.sender_id
        GROUP BY c.excluded
    """  # noqa: S608 - the table name is the model's own; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    _record_counts(occurrence, [(excluded, count) for excluded, count, _ in rows])
    return next((list(senders) for excluded, _, senders in rows if excluded is None and senders), [])


# The greeting tokens a variant's text may carry. One WeCom task goes to a whole chunk, so a
# token can name only what is the same for all of it: the sending RM and their outlet,
# which every recipient already knows. Nothing about the customer can be filled in.
GREETING_TOKENS = ("{客户经理}", "{网点}")


def greeting_fill(text: str, *, rm_name: str, outlet_name: str) -> str:
    return text.replace("{客户经理}", rm_name).replace("{网点}", outlet_name)


def _chunk_key(occurrence: CampaignOccurrence, sender: str, variant: str, chunk: int) -> str:
    return f"campaign:{occurrence.campaign_id}:{occurrence.sequence}:{sender}:{variant}:{chunk}"


def _submit_chunks(occurrence: CampaignOccurrence, attachments: dict[str, list[dict[str, Any]]]) -> int:
    """One add_msg_template call per sender, variant and chunk; how many.

    A chunk is up to 10,000 customers (``chat_type=single``) or 2,000 customer groups
    (``chat_type=group``), WeCom's limits per call.
    """
    groups = occurrence.campaign.kind == CampaignKind.GROUPS
    if groups:
        chunk_size, source, address, order = (
            settings.WECOM_GROUPMSG_CHAT_CHUNK_SIZE,
            CampaignGroupTarget._meta.db_table,
            "chat_id",
            "group_id",
        )
    else:
        chunk_size, source, address, order = (
            settings.WECOM_GROUPMSG_CHUNK_SIZE,
            CampaignRecipient._meta.db_table,
            "external_userid",
            "customer_id",
        )
    staff, branch = Staff._meta.db_table, Branch._meta.db_table
    statement = f"""
        SELECT s.wecom_userid, r.variant, (r.position - 1) / %s AS chunk,
               array_agg(r.address ORDER BY r.position), s.name, b.name
        FROM (
            SELECT sender_id, variant, {address} AS address,
                   row_number() OVER (PARTITION BY sender_id, variant ORDER BY {order}) AS position
            FROM {source}
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
            "chat_type": "group" if groups else "single",
            "sender": sender,
            ("chat_ids" if groups else "external_userids"): list(addresses),
            "text": greeting_fill(texts[variant], rm_name=rm_name, outlet_name=outlet_name),
            "attachments": attachments.get(variant, []),
            "not_before": not_before,
        }
        for sender, variant, chunk, addresses, rm_name, outlet_name in chunks
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PLANNING_LOCK])
    occurrence, created = CampaignOccurrence.objects.get_or_create(
        campaign=campaign, sequence=sequence, defaults={"scheduled_for": scheduled_for}
    )
    if not created:
        return occurrence
    today = timezone.localdate()
    if campaign.kind == CampaignKind.MOMENTS:
        senders = _moment_senders(occurrence, planned_on=today)
        _submit_moment(occurrence, senders=senders, attachments=(attachments or {}).get("A", []))
    elif campaign.kind == CampaignKind.GROUPS:
        _freeze_group_audience(occurrence, planned_on=today)
        _submit_chunks(occurrence, attachments or {})
    else:
        _freeze_audience(occurrence, planned_on=today)
        _submit_chunks(occurrence, attachments or {})
    return occurrence


def moment_call_key(occurrence: CampaignOccurrence) -> str:
    return f"campaign:{occurrence.campaign_id}:{occurrence.sequence}:moment"


def _submit_moment(occurrence: CampaignOccurrence, *, senders: list[str], attachments: list[dict[str, Any]]) -> None:
    """The one add_moment_task of the occurrence, for every RM who has an eligible customer; none without."""
    if not senders:
        return
    variant = occurrence.campaign.variants.get(label="A")
    outbox_submit(
        key=moment_call_key(occurrence),
        operation="add_moment_task",
        payload={"text": variant.text, "attachments": attachments, "userids": senders, "not_before": int(time.time())},
    )
