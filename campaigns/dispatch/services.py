"""From a scheduled campaign to WeCom tasks, and from WeCom's answers back to each recipient.

1. :func:`campaign_dispatch` — when an occurrence is due, claim the campaign and plan the
   occurrence (``campaigns.audience``), all in one transaction.
2. :func:`occurrence_reconcile` — as the outbox finishes each chunk, copy its ``msgid``
   onto the chunk's recipients; once every chunk has its final answer the occurrence is
   dispatched and the campaign is sent (or scheduled again, if it recurs).
3. :func:`occurrence_results_fetch` — after RMs confirm in WeCom, read each task's
   per-recipient outcome (0 unsent, 1 sent, 2 not a friend, 3 over quota) onto the rows.

Each step is idempotent: running it twice changes nothing the first run did not.
"""

from __future__ import annotations

import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.audience.services import occurrence_plan
from campaigns.audit import CampaignAuditAction
from campaigns.content.services import content_attachment, content_item_used
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignOccurrence,
    CampaignRecipient,
    CampaignStatus,
    CampaignTask,
    CampaignVariantAttachment,
    OccurrenceStatus,
    Recurrence,
    ScheduleKind,
)
from campaigns.services import (
    CampaignStateError,
    campaign_cancel,
    campaign_complete,
    campaign_dispatch_begin,
    campaign_dispatch_finish,
)
from channels.models import OutboxStatus
from channels.outbox.selectors import outbox_calls_with_key_prefix
from channels.outbox.services import outbox_submit
from channels.wecom.gateway import wecom
from scrm.audit.services import audit_record
from scrm.org.models import Staff

_PERIODS = {
    Recurrence.DAILY: relativedelta(days=1),
    Recurrence.WEEKLY: relativedelta(weeks=1),
    Recurrence.MONTHLY: relativedelta(months=1),
}


def occurrence_time(campaign: Campaign, sequence: int) -> datetime.datetime | None:
    """When occurrence ``sequence`` (from 1) is due; None when the campaign has no such occurrence."""
    if campaign.schedule_kind != ScheduleKind.RECURRING:
        return (campaign.start_at or campaign.updated_at) if sequence == 1 else None
    # The model's constraints and the builder's validation guarantee both for a recurring campaign.
    start, until = campaign.start_at, campaign.recurrence_until
    if start is None or until is None:
        return None
    at = start + _PERIODS[Recurrence(campaign.recurrence)] * (sequence - 1)
    return at if timezone.localdate(at) <= until else None


def _next_sequence(campaign: Campaign) -> int:
    last = (
        CampaignOccurrence.objects.filter(campaign=campaign)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return (last or 0) + 1


def campaign_dispatch(campaign_id: int, *, now: datetime.datetime | None = None) -> CampaignOccurrence | None:
    """Plan the campaign's next occurrence if it is due now; None if nothing is due or allowed.

    The variants' library attachments are made ready for WeCom first (a file is uploaded
    when it has no live media_id), outside the planning transaction, so no WeCom call is
    made while the campaign row is locked; a failed upload leaves the campaign scheduled.
    """
    now = now or timezone.now()
    campaign = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SCHEDULED).first()
    if campaign is None:
        return None
    due = occurrence_time(campaign, _next_sequence(campaign))
    if due is None or due > now:
        return None
    return _dispatch_claimed(campaign_id, attachments=_attachments_rendered(campaign), now=now)


def _attachments_rendered(campaign: Campaign) -> dict[str, list[dict[str, Any]]]:
    """Each variant's attachments as add_msg_template takes them, with live media_ids."""
    rendered: dict[str, list[dict[str, Any]]] = {}
    for variant in campaign.variants.order_by("label"):
        links = variant.attachment_links.select_related("item").order_by("position")
        rendered[variant.label] = [a for link in links if (a := content_attachment(link.item)) is not None]
    return rendered


@transaction.atomic
def _dispatch_claimed(
    campaign_id: int, *, attachments: dict[str, list[dict[str, Any]]], now: datetime.datetime
) -> CampaignOccurrence | None:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id, status=CampaignStatus.SCHEDULED).first()
    if campaign is None:
        return None
    sequence = _next_sequence(campaign)
    due = occurrence_time(campaign, sequence)
    if due is None or due > now:
        return None
    claimed = campaign_dispatch_begin(campaign_id)
    if claimed is None:
        return None
    occurrence = occurrence_plan(claimed, sequence=sequence, scheduled_for=due, attachments=attachments)
    for link in CampaignVariantAttachment.objects.filter(variant__campaign=claimed):
        content_item_used(item_id=link.item_id)
    return occurrence


def _chunk_prefix(occurrence: CampaignOccurrence) -> str:
    return f"campaign:{occurrence.campaign_id}:{occurrence.sequence}:"


@transaction.atomic
def occurrence_reconcile(occurrence_id: int) -> CampaignOccurrence | None:
    """Copy finished chunks' msgids to their recipients; close the occurrence once all are final."""
    occurrence = (
        CampaignOccurrence.objects.select_for_update()
        .select_related("campaign")
        .filter(pk=occurrence_id, status=OccurrenceStatus.PLANNED)
        .first()
    )
    if occurrence is None:
        return None
    calls = list(outbox_calls_with_key_prefix(_chunk_prefix(occurrence)))
    recipients, staff = CampaignRecipient._meta.db_table, Staff._meta.db_table
    senders = dict(
        Staff.objects.filter(wecom_userid__in={c.payload["sender"] for c in calls}).values_list("wecom_userid", "pk")
    )
    with connection.cursor() as cursor:
        for call in calls:
            if call.status != OutboxStatus.SUCCEEDED:
                continue
            result, payload = call.result or {}, call.payload
            if not result.get("msgid"):
                # WeCom created no task: none of the chunk is still the sender's customer.
                CampaignRecipient.objects.filter(
                    occurrence=occurrence, external_userid__in=payload["external_userids"], send_status__isnull=True
                ).update(send_status=2)
                continue
            task, created = CampaignTask.objects.get_or_create(
                msgid=result["msgid"],
                defaults={
                    "occurrence": occurrence,
                    "sender_id": senders[payload["sender"]],
                    "variant": call.idempotency_key.split(":")[-2],
                    "recipient_count": len(payload["external_userids"]),
                },
            )
            if created and occurrence.campaign.status == CampaignStatus.CANCELLED:
                # Stopped while its chunks were still being created: stop this one too.
                _task_stop(task)
            # WeCom's fail_list: no relation with the sender any more, so it is "not a friend".
            cursor.execute(
                f"""UPDATE {recipients} r
                    SET msgid = %s,
                        send_status = CASE WHEN r.external_userid = ANY(%s) THEN 2 ELSE r.send_status END
                    FROM {staff} s
                    WHERE r.occurrence_id = %s AND r.msgid = '' AND s.id = r.sender_id AND s.wecom_userid = %s
                      AND r.external_userid = ANY(%s)""",  # noqa: S608 - the models' own table names
                [
                    result["msgid"],
                    result.get("fail_list", []),
                    occurrence.pk,
                    payload["sender"],
                    payload["external_userids"],
                ],
            )
    final = [call for call in calls if call.is_final]
    occurrence.tasks_created = sum(
        1 for call in final if call.status == OutboxStatus.SUCCEEDED and (call.result or {}).get("msgid")
    )
    # Refused for good; a chunk WeCom answered with "no customer to send" is neither.
    occurrence.tasks_failed = sum(1 for call in final if call.status == OutboxStatus.FAILED)
    if len(final) == len(calls):
        occurrence.status = OccurrenceStatus.DISPATCHED
        occurrence.dispatched_at = timezone.now()
        campaign = occurrence.campaign
        campaign_dispatch_finish(
            campaign.pk, more_to_come=occurrence_time(campaign, occurrence.sequence + 1) is not None
        )
    occurrence.save(update_fields=["status", "dispatched_at", "tasks_created", "tasks_failed"])
    return occurrence


def occurrence_results_fetch(occurrence_id: int) -> int:
    """Read WeCom's per-recipient outcome for each of the occurrence's tasks; how many rows changed."""
    occurrence = CampaignOccurrence.objects.select_related("campaign").get(pk=occurrence_id)
    if occurrence.campaign.kind != CampaignKind.CUSTOMERS:
        return 0
    tasks = (
        CampaignRecipient.objects.filter(occurrence=occurrence, holdout=False)
        .exclude(msgid="")
        .values_list("msgid", "sender__wecom_userid")
        .distinct()
    )
    gateway, changed = wecom(), 0
    recipients = CampaignRecipient._meta.db_table
    for task in CampaignTask.objects.filter(
        occurrence=occurrence, confirmed_at__isnull=True, cancelled_at__isnull=True
    ):
        # Status 2: the RM sent it. WeCom gives no time for that, so the first sighting stands in.
        if any(row.get("status") == 2 for row in gateway.group_msg_tasks(task.msgid)):
            task.confirmed_at = timezone.now()
            task.save(update_fields=["confirmed_at"])
    for msgid, sender in tasks:
        if not sender:
            continue
        rows = gateway.group_msg_send_result(msgid=msgid, userid=sender)
        if not rows:
            continue
        values = [(row["external_userid"], int(row["status"]), int(row.get("send_time") or 0)) for row in rows]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {recipients} r
                    SET send_status = v.status,
                        sent_at = CASE WHEN v.send_time > 0 THEN to_timestamp(v.send_time) END
                    FROM unnest(%s::text[], %s::int[], %s::bigint[]) AS v(external_userid, status, send_time)
                    WHERE r.occurrence_id = %s AND r.msgid = %s AND r.external_userid = v.external_userid
                      AND r.send_status IS DISTINCT FROM v.status""",  # noqa: S608 - the model's own table name
                [[v[0] for v in values], [v[1] for v in values], [v[2] for v in values], occurrence.pk, msgid],
            )
            changed += cursor.rowcount
    return changed


def campaigns_due_ids(*, now: datetime.datetime | None = None) -> list[int]:
    """Scheduled campaigns whose next occurrence may be due (the dispatcher checks each exactly)."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(status=CampaignStatus.SCHEDULED)
        .exclude(schedule_kind=ScheduleKind.AT, start_at__gt=now)
        .exclude(schedule_kind=ScheduleKind.RECURRING, start_at__gt=now)
        .order_by("id")
        .values_list("id", flat=True)
    )


def occurrences_to_reconcile_ids(*, campaign_id: int | None = None) -> list[int]:
    occurrences = CampaignOccurrence.objects.filter(status=OccurrenceStatus.PLANNED)
    if campaign_id is not None:
        occurrences = occurrences.filter(campaign_id=campaign_id)
    return list(occurrences.order_by("id").values_list("id", flat=True))


def occurrences_in_result_window_ids(
    *, now: datetime.datetime | None = None, campaign_id: int | None = None
) -> list[int]:
    """Dispatched occurrences whose campaign still collects results."""
    now = now or timezone.now()
    occurrences = CampaignOccurrence.objects.filter(status=OccurrenceStatus.DISPATCHED).select_related("campaign")
    if campaign_id is not None:
        occurrences = occurrences.filter(campaign_id=campaign_id)
    return [
        o.pk
        for o in occurrences.exclude(campaign__status=CampaignStatus.COMPLETED)
        if o.dispatched_at and o.dispatched_at + datetime.timedelta(days=o.campaign.result_days) >= now
    ]


def campaigns_complete_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Sent campaigns whose last occurrence's result window is over: completed now. Their ids."""
    now = now or timezone.now()
    completed = []
    for campaign in Campaign.objects.filter(status=CampaignStatus.SENT):
        last = CampaignOccurrence.objects.filter(campaign=campaign).order_by("-sequence").first()
        if last is None or last.dispatched_at is None:
            continue
        if last.dispatched_at + datetime.timedelta(days=campaign.result_days) < now and campaign_complete(campaign.pk):
            completed.append(campaign.pk)
    return completed


# --- RMs' confirmation: reminders and stopping ---------------------------------------------------

REMINDERS_PER_DAY = 3


def _task_stop(task: CampaignTask) -> None:
    outbox_submit(key=f"campaign-cancel:{task.pk}", operation="cancel_groupmsg_send", payload={"msgid": task.msgid})
    task.cancelled_at = timezone.now()
    task.save(update_fields=["cancelled_at"])


def _open_tasks(campaign: Campaign) -> QuerySet[CampaignTask]:
    return CampaignTask.objects.filter(
        occurrence__campaign=campaign, confirmed_at__isnull=True, cancelled_at__isnull=True
    ).order_by("id")


def _manageable(actor: Staff, campaign_id: int) -> Campaign:
    campaign = Campaign.objects.manageable_by(actor.user).select_for_update(of=("self",)).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404(_("No such campaign."))
    return campaign


@transaction.atomic
def campaign_remind(*, actor: Staff, campaign_id: int, request: HttpRequest | None = None) -> int:
    """Remind every RM who has not sent their task yet; how many tasks were reminded.

    WeCom allows three reminders per task in any 24 hours: a task reminded that often is
    left out until the oldest reminder is a day old.
    """
    campaign = _manageable(actor, campaign_id)
    if campaign.status not in (CampaignStatus.DISPATCHING, CampaignStatus.SENT, CampaignStatus.SCHEDULED):
        raise CampaignStateError(
            _("Only a campaign whose tasks are out can be reminded."), extra={"status": campaign.status}
        )
    now, reminded = timezone.now(), 0
    for task in _open_tasks(campaign).select_for_update():
        recent = [at for at in task.reminded_at if at > now - datetime.timedelta(days=1)]
        if len(recent) >= REMINDERS_PER_DAY:
            continue
        outbox_submit(
            key=f"campaign-remind:{task.pk}:{len(task.reminded_at)}",
            operation="remind_groupmsg_send",
            payload={"msgid": task.msgid},
        )
        task.reminded_at = [*task.reminded_at, now]
        task.save(update_fields=["reminded_at"])
        reminded += 1
    audit_record(
        actor=actor.user,
        action=CampaignAuditAction.REMINDED,
        target=campaign,
        data={"tasks": reminded},
        request=request,
    )
    return reminded


@transaction.atomic
def campaign_stop(*, actor: Staff, campaign_id: int, reason: str = "", request: HttpRequest | None = None) -> Campaign:
    """Cancel the campaign and stop, in WeCom, every task its RMs have not sent; sent ones stay sent."""
    _manageable(actor, campaign_id)
    campaign = campaign_cancel(actor=actor, campaign_id=campaign_id, reason=reason, request=request)
    for task in _open_tasks(campaign).select_for_update():
        _task_stop(task)
    return campaign
