"""How a contact added a member of staff: WeCom's ``add_way`` codes and their names."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AddWay(models.IntegerChoices):
    UNKNOWN = 0, _("Unknown")
    QR_CODE = 1, _("Scanned a QR code")
    PHONE_SEARCH = 2, _("Searched the phone number")
    BUSINESS_CARD = 3, _("A shared business card")
    GROUP_CHAT = 4, _("From a group chat")
    ADDRESS_BOOK = 5, _("Phone address book")
    WECHAT_CONTACTS = 6, _("WeChat contacts")
    THIRD_PARTY = 8, _("A third-party app")
    EMAIL_SEARCH = 9, _("Searched the email address")
    VIDEO_CHANNEL = 10, _("WeChat Channels")
    SCHEDULE = 11, _("A shared schedule")
    MEETING = 12, _("A shared meeting")
    WECHAT_CARD = 13, _("A WeChat business card")
    INTELLIGENT_PHONE = 14, _("The smart phone line")
    INTERNAL_SHARE = 201, _("Shared by a colleague")
    ADMIN_ASSIGNED = 202, _("Assigned by an administrator")


def add_way_label(value: int) -> str:
    """The name of an ``add_way``; a code WeCom adds later reads as unknown, never as a number."""
    try:
        return str(AddWay(value).label)
    except ValueError:
        return str(AddWay.UNKNOWN.label)
