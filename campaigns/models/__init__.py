"""The campaigns app's models: the script library (话术), campaigns with their variants and audiences."""

from campaigns.models.audience import (
    CampaignOccurrence,
    CampaignRecipient,
    CampaignTask,
    ExclusionReason,
    OccurrenceStatus,
)
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
    "CampaignOccurrence",
    "CampaignPurpose",
    "CampaignQuerySet",
    "CampaignRecipient",
    "CampaignStatus",
    "CampaignTask",
    "CampaignVariant",
    "ExclusionReason",
    "OccurrenceStatus",
    "Recurrence",
    "ScheduleKind",
    "Script",
    "ScriptCategory",
    "ScriptKind",
]
