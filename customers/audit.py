"""The customers app's audit actions (registered in CustomersConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerAuditAction(models.TextChoices):
    IMPORT = "data.import", _("Import")
    TRANSFER = "customer.transfer", _("Customer transfer")
    CONSENT = "customer.consent", _("Consent changed")
    TAG_RULE_SAVE = "tag.rule_save", _("Tag rule changed")
    SEGMENT_SAVE = "segment.save", _("Segment changed")
