"""Reads of campaigns, always through the viewer's scope."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet

from campaigns.models import Campaign, CampaignStatus, CampaignVariant


def campaigns_list(*, user: AbstractBaseUser | AnonymousUser, status: str = "", query: str = "") -> QuerySet[Campaign]:
    """The campaigns the user may see, newest first, with what a list or detail shows."""
    campaigns = (
        Campaign.objects.visible_to(user)
        .select_related("segment", "owner_branch", "created_by", "reviewed_by")
        .prefetch_related(Prefetch("variants", queryset=CampaignVariant.objects.order_by("label")), "branches")
    )
    if status in CampaignStatus.values:
        campaigns = campaigns.filter(status=status)
    if query.strip():
        campaigns = campaigns.filter(name__icontains=query.strip())
    return campaigns


def campaign_get(*, user: AbstractBaseUser | AnonymousUser, campaign_id: int) -> Campaign:
    """Raises ``Campaign.DoesNotExist`` for an unknown campaign and one outside the user's scope alike."""
    return campaigns_list(user=user).get(pk=campaign_id)
