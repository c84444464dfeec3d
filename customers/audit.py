"""The customers app's audit actions (registered in CustomersConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerAuditAction(models.TextChoices):
    IMPORT = "data.import", _("Import")
    TRANSFER = "customer.transfer", _("Customer transfer")
    CONSENT = "customer.consent", _("Consent changed")
    TAG_RULE_SAVE = "tag.rule_save", _("Tag rule changed")
    SEGMENT_SAVE = "segment.save", _("Segment changed")
    TAG_GROUP_CREATED = "tag.group_created", _("Tag group created")
    TAG_GROUP_CHANGED = "tag.group_changed", _("Tag group changed")
    TAG_CREATED = "tag.created", _("Tag created")
    TAG_CHANGED = "tag.changed", _("Tag changed")
    TAG_RETIRED = "tag.retired", _("Tag retired")
    TAG_REACTIVATED = "tag.reactivated", _("Tag reactivated")
    BULK_TAGGING_STARTED = "tag.bulk_started", _("Bulk tagging started")
    BULK_TAGGING_FINISHED = "tag.bulk_finished", _("Bulk tagging finished")
    SURNAME_INDEX_BACKFILL = "pii.surname_index_backfill", _("Surname index built")
