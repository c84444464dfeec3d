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
    """Per RM: tasks created and confirmed, and what WeCom reported for their recipients."""
    tasks: dict[int, tuple[int, int]] = {
        row["sender"]: (row["tasks"], row["confirmed"])
        for row in CampaignTask.objects.filter(occurrence__campaign=campaign)
        .values("sender")
        .annotate(tasks=Count("id"), confirmed=Count("id", filter=Q(confirmed_at__isnull=False)))
    }
    outcomes = (
        CampaignRecipient.objects.filter(occurrence__campaign=campaign, holdout=False)
        .values("sender", "sender__name")
        .annotate(
            recipients=Count("id"),
            sent=Count("id", filter=Q(send_status=1)),
            not_friend=Count("id", filter=Q(send_status=2)),
            over_quota=Count("id", filter=Q(send_status=3)),
        )
        .order_by("sender__name", "sender")
    )
    return [
        SenderProgress(
            sender_id=row["sender"],
            sender_name=row["sender__name"],
            tasks=tasks.get(row["sender"], (0, 0))[0],
            confirmed=tasks.get(row["sender"], (0, 0))[1],
            recipients=row["recipients"],
            sent=row["sent"],
            not_friend=row["not_friend"],
            over_quota=row["over_quota"],
        )
        for row in outcomes
    ]
