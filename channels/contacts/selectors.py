"""Reads of contacts: plain ids for other apps' batch work (the chat archive), no scoping, no PII;
and the home pages' figures, through the viewer's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from channels.models import CustomerGroup, ExternalContact, FollowRelation, RelationStatus


def customer_ids_by_external_userid(external_userids: list[str]) -> dict[str, int | None]:
    """The linked customer of each known external contact (None while a lead); unknown ones are absent."""
    rows = ExternalContact.objects.filter(external_userid__in=external_userids).values_list(
        "external_userid", "customer_id"
    )
    return dict(rows)


def group_owner_ids_by_chat_id(chat_ids: list[str]) -> dict[str, int | None]:
    """The owning member of staff of each known customer group (None when the owner is not staff here)."""
    return dict(CustomerGroup.objects.filter(chat_id__in=chat_ids).values_list("chat_id", "owner_id"))


def linked_contacts_of_staff(*, staff_id: int, limit: int) -> list[tuple[str, int]]:
    """(external userid, customer id) of a member's live relations with linked customers, oldest customer first."""
    rows = (
        FollowRelation.objects.filter(staff_id=staff_id, status=RelationStatus.ACTIVE, contact__customer__isnull=False)
        .order_by("contact__customer_id")
        .values_list("contact__external_userid", "contact__customer_id")[:limit]
    )
    return [(external_userid, customer_id) for external_userid, customer_id in rows]


# --- Home page figures (scoped to the viewer) -----------------------------------------------


def contacts_added_count(*, user: AbstractBaseUser | AnonymousUser, since: datetime.datetime) -> int:
    """Contacts who added a member of staff in the viewer's scope since ``since`` (each once)."""
    return (
        FollowRelation.objects.visible_to(user)
        .filter(added_at__gte=since)
        .order_by()
        .values("contact_id")
        .distinct()
        .count()
    )


def contacts_added_by_staff(*, user: AbstractBaseUser | AnonymousUser, since: datetime.datetime) -> dict[int, int]:
    """Per member of staff in the viewer's scope, the contacts who added them since ``since``."""
    rows = (
        FollowRelation.objects.visible_to(user)
        .filter(added_at__gte=since, staff__isnull=False)
        .order_by()
        .values("staff_id")
        .annotate(contacts=Count("contact_id", distinct=True))
        .values_list("staff_id", "contacts")
    )
    return {int(staff): int(count) for staff, count in rows}


@dataclass(frozen=True)
class ChannelAdds:
    channel_id: int
    name: str
    # Adds per day, one entry per day of the window, oldest first.
    by_day: list[int]

    @property
    def total(self) -> int:
        return sum(self.by_day)


def contacts_added_by_channel(
    *, user: AbstractBaseUser | AnonymousUser, first_day: datetime.date, days: int, channels: int = 8
) -> list[ChannelAdds]:
    """Adds through each channel code, per day of the window (read on the ``added_at`` index).

    The ``channels`` busiest codes of the window, busiest first.
    """
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min), zone)
    end = start + datetime.timedelta(days=days)
    rows = (
        FollowRelation.objects.visible_to(user)
        .filter(added_at__gte=start, added_at__lt=end, channel__isnull=False)
        .annotate(day=TruncDate("added_at", tzinfo=zone))
        .order_by()
        .values("channel_id", "channel__name", "day")
        .annotate(adds=Count("id"))
        .values_list("channel_id", "channel__name", "day", "adds")
    )
    series: dict[int, ChannelAdds] = {}
    for channel_id, name, day, adds in rows:
        entry = series.setdefault(channel_id, ChannelAdds(channel_id=channel_id, name=name, by_day=[0] * days))
        index = (day - first_day).days
        if 0 <= index < days:
            entry.by_day[index] += adds
    return sorted(series.values(), key=lambda entry: (-entry.total, entry.channel_id))[:channels]
