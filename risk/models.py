"""The risk app's tables, one module per concept."""

from risk.compliance.archive.models import ArchiveCursor, ArchivedChat, ArchivedMessage, ArchiveRefusedRecord
from risk.compliance.models import LibraryVersion, PiiPatternSetting, SensitiveWord

__all__ = [
    "ArchiveCursor",
    "ArchiveRefusedRecord",
    "ArchivedChat",
    "ArchivedMessage",
    "LibraryVersion",
    "PiiPatternSetting",
    "SensitiveWord",
]
