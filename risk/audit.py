"""The risk app's audit actions (registered in RiskConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplianceAuditAction(models.TextChoices):
    WORD_CHANGED = "compliance.word_changed", _("Sensitive word changed")
    WORDS_BULK_ADDED = "compliance.words_bulk_added", _("Sensitive words added in bulk")
    PATTERN_CHANGED = "compliance.pattern_changed", _("Personal information pattern changed")
    VIOLATION_ASSIGNED = "compliance.violation_assigned", _("Violation assigned")
    VIOLATION_CONFIRMED = "compliance.violation_confirmed", _("Violation confirmed")
    VIOLATION_DISMISSED = "compliance.violation_dismissed", _("Violation dismissed")
    VIOLATIONS_RESCAN_STARTED = "compliance.violations_rescan_started", _("Violation rescan started")
    CHURN_MODEL_TRAINED = "churn.model_trained", _("Churn model trained")
    CHURN_MODEL_PROMOTED = "churn.model_promoted", _("Churn model promoted")
    CHURN_MODEL_ROLLED_BACK = "churn.model_rolled_back", _("Churn model rolled back")
