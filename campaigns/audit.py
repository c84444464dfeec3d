"""The campaigns app's audit actions (registered in CampaignsConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContentAuditAction(models.TextChoices):
    SCRIPT_CHANGED = "content.script_changed", _("Script changed")
    CONTENT_CHANGED = "content.item_changed", _("Content library changed")


class CampaignAuditAction(models.TextChoices):
    CREATED = "campaign.created", _("Campaign created")
    EDITED = "campaign.edited", _("Campaign edited")
    STATUS_CHANGED = "campaign.status_changed", _("Campaign status changed")
    REMINDED = "campaign.reminded", _("RMs reminded of a campaign")
    RECIPIENTS_EXPORTED = "campaign.recipients_exported", _("Campaign recipients exported")
