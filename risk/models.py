"""The risk app's tables, one module per concept."""

from risk.compliance.archive.models import ArchiveCursor, ArchivedChat, ArchivedMessage
from risk.compliance.models import LibraryVersion, PiiPatternSetting, SensitiveWord

__all__ = ["ArchiveCursor", "ArchivedChat", "ArchivedMessage", "LibraryVersion", "PiiPatternSetting", "SensitiveWord"]
