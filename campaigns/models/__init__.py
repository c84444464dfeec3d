"""The campaigns app's models: the script library (话术) and campaigns with their variants."""

from campaigns.models.campaign import (
    Campaign,
    CampaignKind,
    CampaignPurpose,
    CampaignQuerySet,
    CampaignStatus,
    CampaignVariant,
    Recurrence,
    ScheduleKind,
)
from campaigns.models.scripts import Script, ScriptCategory, ScriptKind

__all__ = [
    "Campaign",
    "CampaignKind",
    "CampaignPurpose",
    "CampaignQuerySet",
    "CampaignStatus",
    "CampaignVariant",
    "Recurrence",
    "ScheduleKind",
    "Script",
    "ScriptCategory",
    "ScriptKind",
]
