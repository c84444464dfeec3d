"""The campaigns app's tables, one module per concept; import them from ``campaigns.models``."""

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
    "ContentCategory",
    "ContentItem",
    "ContentItemQuerySet",
    "ContentKind",
    "ContentMedia",
    "MediaPurpose",
    "Script",
    "ScriptCategory",
    "ScriptKind",
]
