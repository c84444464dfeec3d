"""The risk app's tables, one module per concept."""

from risk.churn.models import ChurnBand, ChurnModel, ChurnScore, ChurnScoringRange, ChurnScoringRun
from risk.compliance.models import LibraryVersion, PiiPatternSetting, SensitiveWord

__all__ = [
    "ChurnBand",
    "ChurnModel",
    "ChurnScore",
    "ChurnScoringRange",
    "ChurnScoringRun",
    "LibraryVersion",
    "PiiPatternSetting",
    "SensitiveWord",
]
