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

from campaigns.audience.services import moment_call_key, occurrence_plan
from campaigns.audit import CampaignAuditAction
from campaigns.content.services import content_attachment, content_item_used, content_moment_attachment
from campaigns.models import (
    Campaign,
    CampaignGroupTarget,
    CampaignKind,
    CampaignOccurrence,
    CampaignPurpose,
    CampaignRecipient,
    CampaignStatus,
    CampaignTask,
    CampaignVariantAttachment,
    OccurrenceStatus,
    RecipientChannel,
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
from channels.models import ExternalContact, OutboundCall, OutboxStatus
from channels.outbox.selectors import outbox_calls_with_key_prefix
from channels.outbox.services import outbox_submit
from channels.wecom.errors import WeComError
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
    """Each variant's attachments as WeCom takes them, with live media_ids.

    A mass message's through media/upload (``add_msg_template``), a moment's through
    media/upload_attachment (``add_moment_task``).
    """
    rendered: dict[str, list[dict[str, Any]]] = {}
    for variant in campaign.variants.order_by("label"):
        links = variant.attachment_links.select_related("item").order_by("position")
        if campaign.kind == CampaignKind.MOMENTS:
            rendered[variant.label] = [content_moment_attachment(link.item) for link in links]
        else:
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


def occurrence_reconcile(occurrence_id: int) -> CampaignOccurrence | None:
    """Record the WeCom tasks the outbox created; close the occurrence once every call is final.

    None when the occurrence is not (or no longer) waiting for its calls.
    """
    occurrence = (
        CampaignOccurrence.objects.select_related("campaign")
        .filter(pk=occurrence_id, status=OccurrenceStatus.PLANNED)
        .first()
    )
    if occurrence is None:
        return None
    if occurrence.campaign.kind == CampaignKind.MOMENTS:
        return _moment_reconcile(occurrence)
    return _messages_reconcile(occurrence_id)


@transaction.atomic
def _messages_reconcile(occurrence_id: int) -> CampaignOccurrence | None:
    """Copy finished chunks' msgids to their recipients (customers or groups); close when all are final."""
    occurrence = (
        CampaignOccurrence.objects.select_for_update()
        .select_related("campaign")
        .filter(pk=occurrence_id, status=OccurrenceStatus.PLANNED)
        .first()
    )
    if occurrence is None:
        return None
    if occurrence.campaign.kind == CampaignKind.GROUPS:
        return _group_chunks_reconcile(occurrence)
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
            _task_for_chunk(
                occurrence, call, sender_id=senders[payload["sender"]], size=len(payload["external_userids"])
            )
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
    return _occurrence_close_when_final(occurrence, calls)


def _occurrence_close_when_final(occurrence: CampaignOccurrence, calls: list[OutboundCall]) -> CampaignOccurrence:
    """Count the chunks' tasks; once every call is final, the occurrence is dispatched and the campaign sent."""
    final = [call for call in calls if call.is_final]
    occurrence.tasks_created = sum(
        1 for call in final if call.status == OutboxStatus.SUCCEEDED and (call.result or {}).get("msgid")
    )
    # Refused for good; a chunk WeCom answered with "no customer to send" is neither.
    occurrence.tasks_failed = sum(1 for call in final if call.status == OutboxStatus.FAILED)
    if len(final) == len(calls):
        _occurrence_dispatched(occurrence)
    occurrence.save(update_fields=["status", "dispatched_at", "tasks_created", "tasks_failed", "moment_id"])
    return occurrence


def _occurrence_dispatched(occurrence: CampaignOccurrence) -> None:
    occurrence.status = OccurrenceStatus.DISPATCHED
    occurrence.dispatched_at = timezone.now()
    campaign = occurrence.campaign
    campaign_dispatch_finish(campaign.pk, more_to_come=occurrence_time(campaign, occurrence.sequence + 1) is not None)


def _task_for_chunk(occurrence: CampaignOccurrence, call: OutboundCall, *, sender_id: int, size: int) -> None:
    task, created = CampaignTask.objects.get_or_create(
        msgid=(call.result or {})["msgid"],
        defaults={
            "occurrence": occurrence,
            "sender_id": sender_id,
            "variant": call.idempotency_key.split(":")[-2],
            "recipient_count": size,
        },
    )
    if created and occurrence.campaign.status == CampaignStatus.CANCELLED:
        # Stopped while its chunks were still being created: stop this one too.
        _task_stop(task)


def _group_chunks_reconcile(occurrence: CampaignOccurrence) -> CampaignOccurrence:
    """A group campaign's chunks: the msgid onto its groups and their customers; no task, the groups failed."""
    calls = list(outbox_calls_with_key_prefix(_chunk_prefix(occurrence)))
    senders = dict(
        Staff.objects.filter(wecom_userid__in={c.payload["sender"] for c in calls}).values_list("wecom_userid", "pk")
    )
    for call in calls:
        if call.status != OutboxStatus.SUCCEEDED:
            continue
        result, chat_ids = call.result or {}, call.payload["chat_ids"]
        targets = CampaignGroupTarget.objects.filter(occurrence=occurrence, chat_id__in=chat_ids, msgid="")
        if not result.get("msgid"):
            # None of the chunk's groups is still the sender's own live group.
            targets.filter(send_status__isnull=True).update(send_status=2)
        else:
            _task_for_chunk(occurrence, call, sender_id=senders[call.payload["sender"]], size=len(chat_ids))
            targets.update(msgid=result["msgid"])
    _group_customers_follow(occurrence)
    return _occurrence_close_when_final(occurrence, calls)


def _group_customers_follow(occurrence: CampaignOccurrence) -> int:
    """A group campaign's customers take their group's msgid and outcome; how many changed."""
    recipients, targets = CampaignRecipient._meta.db_table, CampaignGroupTarget._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {recipients} r
                SET msgid = t.msgid, send_status = t.send_status, sent_at = t.sent_at
                FROM {targets} t
                WHERE r.group_target_id = t.id AND t.occurrence_id = %s AND r.occurrence_id = %s AND NOT t.holdout
                  AND (r.msgid, r.send_status, r.sent_at) IS DISTINCT FROM (t.msgid, t.send_status, t.sent_at)""",  # noqa: S608 - the models' own table names
            [occurrence.pk, occurrence.pk],
        )
        return cursor.rowcount


# A moment whose creation WeCom has not finished after this long will not be: its jobid
# lives 24 hours.
MOMENT_JOB_LIFETIME = datetime.timedelta(hours=24)


def _moment_created(call: OutboundCall) -> tuple[str | None, bool]:
    """(moment_id, failed) of an add_moment_task call: None and False while WeCom is still creating it."""
    result = call.result or {}
    if result.get("moment_id"):
        # A verified call: WeCom's moment list already had it.
        return str(result["moment_id"]), False
    try:
        job = wecom().moment_task_result(str(result["jobid"]))
    except WeComError:
        expired = call.finished_at is not None and call.finished_at < timezone.now() - MOMENT_JOB_LIFETIME
        return None, expired
    if int(job.get("status", 0)) != MOMENT_JOB_DONE:
        return None, False
    outcome = job.get("result") or {}
    if int(outcome.get("errcode", 0)) != 0 or not outcome.get("moment_id"):
        return None, True
    return str(outcome["moment_id"]), False


# get_moment_task_result: 3 means the task has been created.
MOMENT_JOB_DONE = 3


def _moment_reconcile(occurrence: CampaignOccurrence) -> CampaignOccurrence:
    """Wait for WeCom to create the moment, then record each member's task to publish it.

    WeCom is read outside the transaction; the transaction re-checks that the occurrence is
    still waiting, so two sweeps record the tasks once.
    """
    # Planning commits the call with the occurrence: no call means nobody was eligible to post.
    call = next(iter(outbox_calls_with_key_prefix(moment_call_key(occurrence))), None)
    moment_id, failed, members = None, False, []
    if call is not None:
        if not call.is_final:
            return occurrence
        if call.status == OutboxStatus.SUCCEEDED:
            moment_id, failed = _moment_created(call)
            if moment_id is None and not failed:
                return occurrence
        else:
            failed = True
        if moment_id:
            members = [row["userid"] for row in wecom().moment_tasks(moment_id)]
    with transaction.atomic():
        locked = (
            CampaignOccurrence.objects.select_for_update()
            .select_related("campaign")
            .filter(pk=occurrence.pk, status=OccurrenceStatus.PLANNED)
            .first()
        )
        if locked is None:
            return occurrence
        if moment_id:
            staff = dict(Staff.objects.filter(wecom_userid__in=members).values_list("wecom_userid", "pk"))
            for userid in members:
                if userid in staff:
                    CampaignTask.objects.get_or_create(
                        moment_id=moment_id,
                        sender_id=staff[userid],
                        defaults={"occurrence": locked, "variant": "A"},
                    )
            locked.moment_id = moment_id
            locked.tasks_created = len(staff)
            if locked.campaign.status == CampaignStatus.CANCELLED:
                for task in CampaignTask.objects.filter(occurrence=locked):
                    _task_stop(task)
        locked.tasks_failed = int(failed)
        _occurrence_dispatched(locked)
        locked.save(update_fields=["status", "dispatched_at", "tasks_created", "tasks_failed", "moment_id"])
        return locked


def occurrence_results_fetch(occurrence_id: int) -> int:
    """Read WeCom's outcome for each of the occurrence's tasks; how many recipient rows changed."""
    occurrence = CampaignOccurrence.objects.select_related("campaign").get(pk=occurrence_id)
    if occurrence.campaign.kind == CampaignKind.MOMENTS:
        return _moment_results_fetch(occurrence)
    gateway = wecom()
    for task in CampaignTask.objects.filter(
        occurrence=occurrence, confirmed_at__isnull=True, cancelled_at__isnull=True
    ):
        # Status 2: the RM sent it. WeCom gives no time for that, so the first sighting stands in.
        if any(row.get("status") == 2 for row in gateway.group_msg_tasks(task.msgid)):
            task.confirmed_at = timezone.now()
            task.save(update_fields=["confirmed_at"])
    if occurrence.campaign.kind == CampaignKind.GROUPS:
        return _group_results_fetch(occurrence)
    tasks = (
        CampaignRecipient.objects.filter(occurrence=occurrence, holdout=False)
        .exclude(msgid="")
        .values_list("msgid", "sender__wecom_userid")
        .distinct()
    )
    changed, recipients = 0, CampaignRecipient._meta.db_table
    for msgid, sender in tasks:
        if sender:
            changed += _outcomes_store(
                recipients,
                "external_userid",
                occurrence,
                msgid,
                gateway.group_msg_send_result(msgid=msgid, userid=sender),
            )
    return changed


def _outcomes_store(
    table: str, address: str, occurrence: CampaignOccurrence, msgid: str, rows: list[dict[str, Any]]
) -> int:
    """Write get_groupmsg_send_result's statuses onto the rows of ``table`` it names by ``address``."""
    values = [(row.get(address, ""), int(row["status"]), int(row.get("send_time") or 0)) for row in rows]
    if not values:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} r
                SET send_status = v.status,
                    sent_at = CASE WHEN v.send_time > 0 THEN to_timestamp(v.send_time) END
                FROM unnest(%s::text[], %s::int[], %s::bigint[]) AS v(address, status, send_time)
                WHERE r.occurrence_id = %s AND r.msgid = %s AND r.{address} = v.address
                  AND r.send_status IS DISTINCT FROM v.status""",  # noqa: S608 - the models' own table and column
            [[v[0] for v in values], [v[1] for v in values], [v[2] for v in values], occurrence.pk, msgid],
        )
        return cursor.rowcount


def _group_results_fetch(occurrence: CampaignOccurrence) -> int:
    """Each group's outcome (by chat_id), then its customers'; how many customers changed."""
    gateway, targets = wecom(), CampaignGroupTarget._meta.db_table
    for task in CampaignTask.objects.filter(occurrence=occurrence).select_related("sender"):
        if task.sender.wecom_userid:
            rows = gateway.group_msg_send_result(msgid=task.msgid, userid=task.sender.wecom_userid)
            _outcomes_store(targets, "chat_id", occurrence, task.msgid, rows)
    return _group_customers_follow(occurrence)


def _moment_results_fetch(occurrence: CampaignOccurrence) -> int:
    """Who published the moment, and the customers each published moment reached; how many rows were added.

    A reached customer becomes a recipient row (sent) of the member who reached them, dated
    the day it was first seen: from then on the cap counts it and a purchase can be
    attributed to it. Customers WeCom reports that the bank has not identified are not rows.
    """
    if not occurrence.moment_id:
        return 0
    gateway = wecom()
    published = {
        row["userid"] for row in gateway.moment_tasks(occurrence.moment_id) if int(row.get("publish_status", 0)) == 1
    }
    added, now = 0, timezone.now()
    recipients, contacts = CampaignRecipient._meta.db_table, ExternalContact._meta.db_table
    marketing = occurrence.campaign.purpose == CampaignPurpose.MARKETING
    for task in CampaignTask.objects.filter(occurrence=occurrence, cancelled_at__isnull=True).select_related("sender"):
        userid = task.sender.wecom_userid
        if not userid or userid not in published:
            continue
        if task.confirmed_at is None:
            task.confirmed_at = now
            task.save(update_fields=["confirmed_at"])
        reached = gateway.moment_send_result(moment_id=occurrence.moment_id, userid=userid)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {recipients}
                        (occurrence_id, customer_id, variant, holdout, sender_id, external_userid,
                         marketing, channel, planned_on, msgid, send_status, sent_at)
                    SELECT DISTINCT ON (x.customer_id) %s, x.customer_id, 'A', false, %s, x.external_userid,
                           %s, %s, %s, '', 1, %s
                    FROM {contacts} x
                    WHERE x.external_userid = ANY(%s) AND x.customer_id IS NOT NULL
                    ORDER BY x.customer_id, x.id
                    ON CONFLICT (occurrence_id, customer_id) DO NOTHING""",  # noqa: S608 - the models' own table names
                [occurrence.pk, task.sender_id, marketing, RecipientChannel.MOMENT, timezone.localdate(), now, reached],
            )
            added += cursor.rowcount
    return added


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
    if task.is_moment:
        # One moment for all its members: stopping it once stops everyone's unpublished task.
        outbox_submit(
            key=f"campaign-cancel-moment:{task.moment_id}",
            operation="cancel_moment_task",
            payload={"moment_id": task.moment_id},
        )
    else:
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
    left out until the oldest reminder is a day old. WeCom has no reminder for a moment.
    """
    campaign = _manageable(actor, campaign_id)
    if campaign.status not in (CampaignStatus.DISPATCHING, CampaignStatus.SENT, CampaignStatus.SCHEDULED):
        raise CampaignStateError(
            _("Only a campaign whose tasks are out can be reminded."), extra={"status": campaign.status}
        )
    now, reminded = timezone.now(), 0
    for task in _open_tasks(campaign).exclude(msgid="").select_for_update():
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
