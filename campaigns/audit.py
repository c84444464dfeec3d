"""The campaigns app's audit actions (registered in CampaignsConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContentAuditAction(models.TextChoices):
    SCRIPT_CHANGED = "content.script_changed", _("Script changed")
    CONTENT_CHANGED = "content.item_changed", _("Content library changed")
