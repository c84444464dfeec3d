"""The risk app's tables, one module per concept."""

from risk.compliance.models import LibraryVersion, PiiPatternSetting, SensitiveWord

__all__ = ["LibraryVersion", "PiiPatternSetting", "SensitiveWord"]
