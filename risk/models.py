"""The risk app's tables, one module per concept."""

from risk.compliance.archive.models import ArchiveCursor, ArchivedChat, ArchivedMessage
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
