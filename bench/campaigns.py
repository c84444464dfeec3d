"""Planning a campaign of up to 1,000,000 recipients: the audience resolved and frozen, the outbox rows written.

Set-up (not timed): the first ``BENCH_CAMPAIGN_RECIPIENTS`` customers get marketing
consent, a WeCom contact and one live relation with their own RM (COPY-free, set-based
INSERT … SELECT), and a tag a segment selects them by. The measured call is the
dispatcher's own, ``campaign_dispatch``: claim, the one classifying statement with the
consent, relation, frequency cap, receive quota and holdout, the recipient rows, and the
``add_msg_template`` outbox rows (their task messages are counted, not published). The
figure is also given as a ratio to one sequential scan of the customer table. The
campaign and what it wrote are removed afterwards, so the next run measures the same work.
"""

from __future__ import annotations

import os
import time
from typing import Any

RECIPIENTS = int(os.environ.get("BENCH_CAMPAIGN_RECIPIENTS", "1000000"))
TARGET_SECONDS = 30.0
TAG_CODE = "bench_campaign"


def _prepare(count: int) -> tuple[int, Any]:
    """The audience's customers linked and tagged; how many, and the segment that selects them."""
    from django.db import connection

    from channels.models import ExternalContact, FollowRelation
    from customers.models import Customer, CustomerTag, Segment, Tag, TagGroup
    from scrm.org.models import Role, Staff

    ids = list(Customer.objects.order_by("id").values_list("id", flat=True)[:count])
    first, last = ids[0], ids[-1]
    group, _ = TagGroup.objects.get_or_create(code=TAG_CODE, defaults={"name": "压测活动"})
    tag, _ = Tag.objects.get_or_create(code=TAG_CODE, defaults={"group": group, "name": "压测活动受众"})
    hq_admin = Staff.objects.filter(role=Role.HQ_ADMIN).order_by("id").first()
    segment, _ = Segment.objects.get_or_create(
        name="压测活动客群",
        defaults={
            "definition": {"tags_any": [TAG_CODE], "tags_all": [], "tags_none": [], "rule": None},
            "created_by": hq_admin,
        },
    )
    contacts, relations = ExternalContact._meta.db_table, FollowRelation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET marketing_consent = true "
            "WHERE id BETWEEN %s AND %s AND NOT marketing_consent",
            [first, last],
        )
        cursor.execute(
            f"""INSERT INTO {contacts} (external_userid, name, contact_type, avatar, gender, corp_name, unionid,
                    customer_id, match_method, created_at, updated_at)
                SELECT 'wmCAMP' || c.id, '', 1, '', 0, '', '', c.id, 'self_verified', now(), now()
                FROM customers_customer c WHERE c.id BETWEEN %s AND %s AND c.owner_id IS NOT NULL
                ON CONFLICT (external_userid) DO NOTHING""",  # noqa: S608 - the models' own table names
            [first, last],
        )
        cursor.execute(
            f"""INSERT INTO {relations} (contact_id, userid, staff_id, remark, description, add_way, state, status,
                    added_at, deleted_by, mirrored_tag_ids, updated_at)
                SELECT x.id, s.wecom_userid, s.id, '', '', 0, '', 'active', now(), '', '{{}}', now()
                FROM {contacts} x JOIN customers_customer c ON c.id = x.customer_id
                JOIN org_staff s ON s.id = c.owner_id
                WHERE x.external_userid LIKE 'wmCAMP%%' AND s.wecom_userid IS NOT NULL
                ON CONFLICT (contact_id, userid) DO NOTHING""",  # noqa: S608
            [],
        )
        cursor.execute(
            f"""INSERT INTO {CustomerTag._meta.db_table} (customer_id, tag_id, source, created_at)
                SELECT id, %s, 'manual', now() FROM customers_customer WHERE id BETWEEN %s AND %s
                ON CONFLICT (customer_id, tag_id) DO NOTHING""",  # noqa: S608
            [tag.pk, first, last],
        )
        cursor.execute("ANALYZE")
    return len(ids), segment


def _scheduled_campaign(segment: Any) -> Any:
    from campaigns.services import (
        CampaignDraft,
        VariantDraft,
        campaign_approve,
        campaign_create,
        campaign_schedule,
        campaign_submit,
    )
    from scrm.org.models import Role, Staff

    hq_admin = Staff.objects.filter(role=Role.HQ_ADMIN).order_by("id").first()
    compliance = Staff.objects.filter(role=Role.COMPLIANCE).order_by("id").first()
    draft = CampaignDraft(
        name="压测活动",
        purpose="marketing",
        kind="customers",
        segment_id=segment.pk,
        holdout_percent=10,
        variants=[VariantDraft("A", 50, "压测文案甲"), VariantDraft("B", 50, "压测文案乙")],
    )
    campaign = campaign_create(actor=hq_admin, draft=draft)
    campaign_submit(actor=hq_admin, campaign_id=campaign.pk)
    campaign_approve(actor=compliance, campaign_id=campaign.pk)
    return campaign_schedule(actor=hq_admin, campaign_id=campaign.pk)


def _sequential_scan_seconds() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(aum), count(*) FROM customers_customer")
        started = time.perf_counter()
        cursor.execute("SELECT sum(aum), count(*) FROM customers_customer")
        return time.perf_counter() - started


def measure() -> list[dict[str, Any]]:
    from campaigns.dispatch.services import campaign_dispatch
    from campaigns.models import Campaign
    from channels.models import OutboundCall
    from channels.outbox import services as outbox

    linked, segment = _prepare(RECIPIENTS)
    campaign = _scheduled_campaign(segment)
    batches: list[int] = []
    original = outbox._enqueue_batches
    outbox._enqueue_batches = lambda chunks, *, operation: batches.extend(len(c) for c in chunks)  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        occurrence = campaign_dispatch(campaign.pk)
        seconds = time.perf_counter() - started
    finally:
        outbox._enqueue_batches = original  # type: ignore[assignment]
    assert occurrence is not None
    scan = _sequential_scan_seconds()
    chunks = OutboundCall.objects.filter(idempotency_key__startswith=f"campaign:{campaign.pk}:").count()
    detail = {
        "segment_size": occurrence.segment_size,
        "recipients": occurrence.recipient_count,
        "exclusions": occurrence.exclusions,
        "outbox_calls": chunks,
        "send_batches": len(batches),
        "sequential_scan_seconds": round(scan, 2),
        "ratio_to_sequential_scan": round(seconds / scan, 1) if scan else None,
    }
    OutboundCall.objects.filter(idempotency_key__startswith=f"campaign:{campaign.pk}:").delete()
    Campaign.objects.filter(pk=campaign.pk).delete()
    return [
        {
            "name": "campaign planned, recipients",
            "value": round(seconds, 1),
            "unit": "s",
            "target": f"≤ {TARGET_SECONDS:.0f} s for {linked:,} linked customers",
            "met": seconds <= TARGET_SECONDS,
            "detail": detail,
        }
    ]
