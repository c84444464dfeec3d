"""The risk app's tables, one module per concept."""

from risk.churn.models import ChurnBand, ChurnModel, ChurnScore, ChurnScoringRange, ChurnScoringRun
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
    "ChurnBand",
    "ChurnModel",
    "ChurnScore",
    "ChurnScoringRange",
    "ChurnScoringRun",
    "DeletionAlert",
    "LibraryVersion",
    "ManagerDigest",
    "ManagerNotice",
    "PiiPatternSetting",
    "RescanRun",
    "SensitiveWord",
    "Violation",
]
