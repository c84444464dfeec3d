"""The campaigns app's tables, one module per concept; import them from ``campaigns.models``."""

from campaigns.models.audience import (
    CampaignGroupTarget,
    CampaignOccurrence,
    CampaignRecipient,
    CampaignTask,
    ExclusionReason,
    OccurrenceStatus,
    RecipientChannel,
)
from campaigns.models.campaign import (
    Campaign,
    CampaignKind,
    CampaignPurpose,
    CampaignQuerySet,
    CampaignStatus,
    CampaignVariant,
    CampaignVariantAttachment,
    Recurrence,
    ScheduleKind,
)
from campaigns.models.content import (
    ContentCategory,
    ContentItem,
    ContentItemQuerySet,
    ContentKind,
    ContentMedia,
    MediaPurpose,
)
from campaigns.models.scripts import Script, ScriptCategory, ScriptKind

__all__ = [
    "Campaign",
    "CampaignGroupTarget",
    "CampaignKind",
    "CampaignOccurrence",
    "CampaignPurpose",
    "CampaignQuerySet",
    "CampaignRecipient",
    "CampaignStatus",
    "CampaignTask",
    "CampaignVariant",
    "CampaignVariantAttachment",
    "ContentCategory",
    "ContentItem",
    "ContentItemQuerySet",
    "ContentKind",
    "ContentMedia",
    "ExclusionReason",
    "MediaPurpose",
    "OccurrenceStatus",
    "RecipientChannel",
    "Recurrence",
    "ScheduleKind",
    "Script",
    "ScriptCategory",
    "ScriptKind",
]
