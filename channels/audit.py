"""The channels app's audit actions (registered in ChannelsConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelAuditAction(models.TextChoices):
    CHANNEL_CODE = "channel.code", _("Channel code changed")
    IDENTITY_LINK = "identity.link", _("Contact linked to a customer")
    IDENTITY_VERIFY = "identity.verify", _("Identity verification attempt")
