"""Reads of contacts: the scoped contacts page, the home pages' figures, and plain-id lookups
for other apps' batch work.

The page (``contact_relation_page``) starts from the viewer's follow relations
(``FollowRelation.objects.visible_to``) and shows a linked customer only when that
customer is in the viewer's customer scope too; names are masked. The home figures count
through the same scope. The batch lookups (the chat archive) return plain ids, no
scoping, no PII.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.fields import DateTimeField
from django.db.models.functions import TruncDate
from django.utils import timezone

from channels.contacts.add_ways import add_way_label
from channels.models import ChannelCode, CustomerGroup, ExternalContact, FollowRelation, RelationStatus
from channels.paging import PAGE_SIZE, Cursor
from customers.pii import pii_masked
from customers.search.keyset import RowComparison
from customers.selectors import customer_list_visible
from scrm.pii import PiiKind, mask_name

# --- The contacts page ------------------------------------------------------------------


@dataclass(frozen=True)
class ContactFilters:
    """What the contacts page narrows its relations to; empty values filter nothing."""

    rm: str = ""  # employee number or full name of the member of staff
    verified: bool | None = None  # True: linked to a customer; False: leads
    channel_id: int | None = None
    add_way: int | None = None
    status: str = ""  # a RelationStatus value


@dataclass(frozen=True)
class LinkedCustomer:
    customer_no: str
    name_masked: str


@dataclass(frozen=True)
class ContactRelationRow:
    relation_id: int
    contact_name_masked: str
    rm_name: str
    rm_employee_no: str
    added_at: datetime.datetime
    is_active: bool
    deleted_at: datetime.datetime | None
    deleted_by: str
    channel_id: int | None
    channel_name: str
    channel_linkable: bool  # the viewer may open the code's page
    add_way: str
    verified: bool
    # None while a lead, and for a verified contact whose customer is outside the viewer's scope.
    customer: LinkedCustomer | None


@dataclass(frozen=True)
class ContactPage:
    rows: list[ContactRelationRow]
    next_cursor: str | None


def contact_relations_filtered(
    *, user: AbstractBaseUser | AnonymousUser, filters: ContactFilters
) -> QuerySet[FollowRelation]:
    """The viewer's relations narrowed by the filters, newest added first (index ``(added_at, id)``)."""
    relations = FollowRelation.objects.visible_to(user)
    if filters.rm:
        relations = relations.filter(Q(staff__employee_no=filters.rm) | Q(staff__name=filters.rm))
    if filters.verified is not None:
        relations = relations.filter(contact__customer__isnull=not filters.verified)
    if filters.channel_id is not None:
        relations = relations.filter(channel_id=filters.channel_id)
    if filters.add_way is not None:
        relations = relations.filter(add_way=filters.add_way)
    if filters.status:
        relations = relations.filter(status=filters.status)
    return relations.order_by("-added_at", "-id")


def _linked_customers(*, user: AbstractBaseUser | AnonymousUser, customer_ids: set[int]) -> dict[int, LinkedCustomer]:
    """The linked customers the viewer may see, masked; one query."""
    if not customer_ids:
        return {}
    return {
        pk: LinkedCustomer(customer_no=number, name_masked=pii_masked(cipher, kind=PiiKind.NAME) or "")
        for pk, number, cipher in customer_list_visible(user=user)
        .filter(pk__in=customer_ids)
        .values_list("pk", "customer_no", "name_cipher")
    }


def contact_relation_page(
    *,
    user: AbstractBaseUser | AnonymousUser,
    filters: ContactFilters,
    cursor: str | None = None,
    size: int = PAGE_SIZE,
) -> ContactPage:
    """One keyset page of the viewer's contacts, a row per relation (RM ↔ contact); three queries.

    Raises ``ApplicationError`` for a cursor that is not one this function made.
    """
    relations = contact_relations_filtered(user=user, filters=filters).select_related("contact", "staff", "channel")
    if cursor:
        position = Cursor.decode(cursor, timed=True)
        relations = relations.filter(
            RowComparison(
                (F("added_at"), F("id")), "<", (Value(position.at, output_field=DateTimeField()), Value(position.id))
            )
        )
    found = list(relations[: size + 1])
    page, more = found[:size], len(found) > size
    customers = _linked_customers(
        user=user, customer_ids={relation.contact.customer_id for relation in page if relation.contact.customer_id}
    )
    code_ids = {relation.channel_id for relation in page if relation.channel_id}
    linkable = (
        set(ChannelCode.objects.visible_to(user).filter(pk__in=code_ids).values_list("pk", flat=True))
        if code_ids
        else set()
    )
    rows = [
        ContactRelationRow(
            relation_id=relation.pk,
            contact_name_masked=mask_name(relation.contact.name),
            rm_name=relation.staff.name if relation.staff else "",
            rm_employee_no=relation.staff.employee_no if relation.staff else "",
            added_at=relation.added_at,
            is_active=relation.status == RelationStatus.ACTIVE,
            deleted_at=relation.deleted_at,
            deleted_by=relation.get_deleted_by_display() if relation.deleted_by else "",
            channel_id=relation.channel_id,
            channel_name=relation.channel.name if relation.channel else "",
            channel_linkable=relation.channel_id in linkable,
            add_way=add_way_label(relation.add_way),
            verified=relation.contact.customer_id is not None,
            customer=customers.get(relation.contact.customer_id) if relation.contact.customer_id else None,
        )
        for relation in page
    ]
    next_cursor = Cursor(at=page[-1].added_at, id=page[-1].pk).encode() if more else None
    return ContactPage(rows=rows, next_cursor=next_cursor)


def contact_channel_options(*, user: AbstractBaseUser | AnonymousUser) -> list[tuple[int, str]]:
    """(id, name) of the channel codes the viewer may see, for the channel filter."""
    return list(ChannelCode.objects.visible_to(user).order_by("name", "id").values_list("id", "name")[:500])


# --- Batch lookups for other apps ---------------------------------------------------------


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
