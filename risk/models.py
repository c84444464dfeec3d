"""The risk app's tables, one module per concept."""

from risk.compliance.archive.models import ArchiveCursor, ArchivedChat, ArchivedMessage, ArchiveRefusedRecord
from risk.compliance.models import LibraryVersion, PiiPatternSetting, SensitiveWord
from risk.compliance.violations.models import (
    DeletionAlert,
    ManagerDigest,
    ManagerNotice,
    RescanRun,
    Violation,
)

__all__ = [
    "ArchiveCursor",
    "ArchiveRefusedRecord",
    "ArchivedChat",
    "ArchivedMessage",
    "DeletionAlert",
    "LibraryVersion",
    "ManagerDigest",
    "ManagerNotice",
    "PiiPatternSetting",
    "RescanRun",
    "SensitiveWord",
    "Violation",
]
