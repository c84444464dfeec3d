"""Reads of dispatch: an RM's tasks to confirm, and each RM's progress on a campaign."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from campaigns.models import Campaign, CampaignRecipient, CampaignStatus, CampaignTask
from scrm.org.models import Staff

OPEN_STATUSES = (CampaignStatus.DISPATCHING, CampaignStatus.SENT, CampaignStatus.SCHEDULED)


def rm_open_tasks(*, staff: Staff) -> QuerySet[CampaignTask]:
    """The RM's own mass-send tasks still to confirm in WeCom, oldest first; nobody else's."""
    return (
        CampaignTask.objects.filter(
            sender=staff,
            confirmed_at__isnull=True,
            cancelled_at__isnull=True,
            occurrence__campaign__status__in=OPEN_STATUSES,
        )
        .select_related("occurrence__campaign")
        .order_by("created_at", "id")
    )


def task_text(task: CampaignTask) -> str:
    return task.occurrence.campaign.variants.get(label=task.variant).text


@dataclass(frozen=True)
class SenderProgress:
    sender_id: int
    sender_name: str
    tasks: int
    confirmed: int
    recipients: int
    sent: int
    not_friend: int
    over_quota: int


def campaign_progress(*, campaign: Campaign) -> list[SenderProgress]:
    """Per RM with a task or a recipient: tasks created and confirmed, and what WeCom reported.

    A moments campaign has recipients only once a published moment reached someone, so
    its RMs appear from their tasks.
    """
    tasks: dict[int, tuple[int, int]] = {
        row["sender"]: (row["tasks"], row["confirmed"])
        for row in CampaignTask.objects.filter(occurrence__campaign=campaign)
        .values("sender")
        .annotate(tasks=Count("id"), confirmed=Count("id", filter=Q(confirmed_at__isnull=False)))
    }
    outcomes = {
        row["sender"]: row
        for row in CampaignRecipient.objects.filter(occurrence__campaign=campaign, holdout=False)
        .values("sender")
        .annotate(
            recipients=Count("id"),
            sent=Count("id", filter=Q(send_status=1)),
            not_friend=Count("id", filter=Q(send_status=2)),
            over_quota=Count("id", filter=Q(send_status=3)),
        )
        .order_by()
    }
    names = dict(Staff.objects.filter(pk__in={*tasks, *outcomes}).values_list("pk", "name"))
    empty = {"recipients": 0, "sent": 0, "not_friend": 0, "over_quota": 0}
    return [
        SenderProgress(
            sender_id=sender,
            sender_name=names[sender],
            tasks=tasks.get(sender, (0, 0))[0],
            confirmed=tasks.get(sender, (0, 0))[1],
            recipients=outcomes.get(sender, empty)["recipients"],
            sent=outcomes.get(sender, empty)["sent"],
            not_friend=outcomes.get(sender, empty)["not_friend"],
            over_quota=outcomes.get(sender, empty)["over_quota"],
        )
        for sender in sorted(names, key=lambda pk: (names[pk], pk))
    ]
