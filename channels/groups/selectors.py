"""Reads of customer groups (客户群) for the pages, scoped by the group's owner.

An RM sees the groups they own, a branch manager those owned in their subtree, HQ and
compliance all (``CustomerGroup.objects.visible_to``). Member names are masked; a
member's linked customer is named only when that customer is in the viewer's scope.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import CustomerGroup, GroupMember, GroupStatus, MemberType
from channels.paging import PAGE_SIZE, Cursor
from customers.pii import pii_masked
from customers.selectors import customer_list_visible
from scrm.org.models import Staff
from scrm.pii import PiiKind, mask_name

# The window of the "joined / left recently" figures.
RECENT_DAYS = 30
RECENT_EVENTS = 20

JOIN_SCENES = {
    1: _("Invited directly by a member"),
    2: _("Invited through a link"),
    3: _("Scanned the group QR code"),
}


@dataclass(frozen=True)
class GroupFilters:
    name: str = ""  # part of the group's name
    owner: str = ""  # employee number or full name of the owner
    status: str = ""  # a GroupStatus value


@dataclass(frozen=True)
class GroupPage:
    groups: list[CustomerGroup]
    next_cursor: str | None


def _recent_since() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=RECENT_DAYS)


def group_list(*, user: AbstractBaseUser | AnonymousUser, filters: GroupFilters) -> QuerySet[CustomerGroup]:
    """The viewer's groups with their owner, live members, customers among them, and recent joins and leaves."""
    since = _recent_since()
    groups = CustomerGroup.objects.visible_to(user)
    if filters.name:
        groups = groups.filter(name__icontains=filters.name)
    if filters.owner:
        groups = groups.filter(Q(owner__employee_no=filters.owner) | Q(owner__name=filters.owner))
    if filters.status:
        groups = groups.filter(status=filters.status)
    return (
        groups.select_related("owner", "owner__branch")
        .annotate(
            live_members=Count("members", filter=Q(members__left_at__isnull=True)),
            customers=Count(
                "members",
                filter=Q(
                    members__left_at__isnull=True,
                    members__member_type=MemberType.EXTERNAL,
                    members__contact__customer__isnull=False,
                ),
            ),
            recent_joins=Count("members", filter=Q(members__join_time__gte=since)),
            recent_leaves=Count("members", filter=Q(members__left_at__gte=since)),
        )
        .order_by("-id")
    )


def group_page(
    *, user: AbstractBaseUser | AnonymousUser, filters: GroupFilters, cursor: str | None = None, size: int = PAGE_SIZE
) -> GroupPage:
    """One keyset page of the viewer's groups, newest first; ``ApplicationError`` for a foreign cursor."""
    groups = group_list(user=user, filters=filters)
    if cursor:
        groups = groups.filter(pk__lt=Cursor.decode(cursor, timed=False).id)
    found = list(groups[: size + 1])
    page = found[:size]
    next_cursor = Cursor(at=None, id=page[-1].pk).encode() if len(found) > size else None
    return GroupPage(groups=page, next_cursor=next_cursor)


@dataclass(frozen=True)
class GroupEvent:
    group_id: int
    group_name: str
    member_name_masked: str
    is_customer: bool
    joined: bool  # False: left
    at: datetime.datetime


def group_recent_events(
    *, user: AbstractBaseUser | AnonymousUser, group: CustomerGroup | None = None, limit: int = RECENT_EVENTS
) -> list[GroupEvent]:
    """The newest joins and leaves of external members in the viewer's groups (or one of them); two queries."""
    members = GroupMember.objects.filter(
        group__in=CustomerGroup.objects.visible_to(user).values("pk"), member_type=MemberType.EXTERNAL
    ).select_related("group", "contact")
    if group is not None:
        members = members.filter(group=group)
    joins = members.filter(join_time__isnull=False).order_by("-join_time", "-id")[:limit]
    leaves = members.filter(left_at__isnull=False).order_by("-left_at", "-id")[:limit]
    events = [_event(member, joined=True) for member in joins] + [_event(member, joined=False) for member in leaves]
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:limit]


def _event(member: GroupMember, *, joined: bool) -> GroupEvent:
    # Both queries filter on the time they order by, so it is never null here.
    at = cast(datetime.datetime, member.join_time if joined else member.left_at)
    return GroupEvent(
        group_id=member.group_id,
        group_name=member.group.name,
        member_name_masked=mask_name(member.contact.name) if member.contact else "",
        is_customer=bool(member.contact and member.contact.customer_id),
        joined=joined,
        at=at,
    )


def group_for_viewer(*, user: AbstractBaseUser | AnonymousUser, pk: int) -> CustomerGroup | None:
    """One group the viewer may see (None otherwise, so the page answers 404)."""
    return group_list(user=user, filters=GroupFilters()).filter(pk=pk).first()


@dataclass(frozen=True)
class GroupMemberRow:
    is_staff: bool
    name: str  # staff: their name; external: the WeChat name, masked
    customer_no: str  # the linked customer, when in the viewer's scope
    customer_name_masked: str
    is_customer: bool  # linked to a customer, whether or not in the viewer's scope
    join_time: datetime.datetime | None
    join_scene: str
    left_at: datetime.datetime | None


def group_member_rows(*, user: AbstractBaseUser | AnonymousUser, group: CustomerGroup) -> list[GroupMemberRow]:
    """The members of a group the viewer may see, present ones first; three queries."""
    members = list(
        GroupMember.objects.filter(group=group)
        .select_related("contact")
        .order_by(F("left_at").asc(nulls_first=True), "member_type", "join_time", "id")
    )
    staff_names = dict(
        Staff.objects.filter(
            wecom_userid__in=[member.member_id for member in members if member.member_type == MemberType.STAFF]
        ).values_list("wecom_userid", "name")
    )
    customer_ids = {member.contact.customer_id for member in members if member.contact and member.contact.customer_id}
    customers = {
        pk: (number, pii_masked(cipher, kind=PiiKind.NAME) or "")
        for pk, number, cipher in customer_list_visible(user=user)
        .filter(pk__in=customer_ids)
        .values_list("pk", "customer_no", "name_cipher")
    }
    rows = []
    for member in members:
        is_staff = member.member_type == MemberType.STAFF
        customer_id = member.contact.customer_id if member.contact else None
        number, masked = customers.get(customer_id, ("", "")) if customer_id else ("", "")
        rows.append(
            GroupMemberRow(
                is_staff=is_staff,
                name=staff_names.get(member.member_id, "")
                if is_staff
                else mask_name(member.contact.name if member.contact else ""),
                customer_no=number,
                customer_name_masked=masked,
                is_customer=customer_id is not None,
                join_time=member.join_time,
                join_scene=str(JOIN_SCENES.get(member.join_scene or 0, "")),
                left_at=member.left_at,
            )
        )
    return rows


def group_status_choices() -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in GroupStatus.choices]
