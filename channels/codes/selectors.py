"""Reads of channel codes: the viewer's codes with their figures, one code's statistics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from channels.models import ChannelCode, FollowRelation, RelationStatus
from customers.models import Tag, TagKind
from scrm.org.models import Staff
from scrm.org.roles import Role
from scrm.org.selectors import staff_list_visible


def channel_code_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[ChannelCode]:
    """The codes the viewer may see, newest first, with adds / active / authenticated counts.

    One query for the page: the counts are aggregated in the same statement.
    """
    codes: QuerySet[ChannelCode] = ChannelCode.objects.visible_to(user)
    return (
        codes.select_related("branch", "created_by")
        .annotate(
            adds=Count("relations", distinct=True),
            active_relations=Count("relations", filter=Q(relations__status=RelationStatus.ACTIVE), distinct=True),
            authenticated=Count(
                "relations__contact", filter=Q(relations__contact__customer__isnull=False), distinct=True
            ),
        )
        .order_by("-created_at", "-id")
    )


def channel_tags_available() -> QuerySet[Tag]:
    """The tags a channel code may carry: active tags of kind CHANNEL."""
    return Tag.objects.filter(kind=TagKind.CHANNEL, is_active=True).select_related("group").order_by("code")


@dataclass(frozen=True)
class DayFigures:
    day: datetime.date
    adds: int
    deletions: int


@dataclass(frozen=True)
class ChannelCodeStats:
    """Acquisition through one code (or several) in a window.

    ``adds``: relations added through the code; ``deletions``: those relations that ended
    in the window; ``net`` the difference; ``authenticated``: distinct contacts added
    through the code that are matched to a bank customer (客户认证).
    """

    adds: int
    deletions: int
    net: int
    authenticated: int
    by_day: list[DayFigures] = field(default_factory=list)


def channel_code_stats(
    code_or_queryset: ChannelCode | QuerySet[ChannelCode],
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> ChannelCodeStats:
    """The figures of a code, or of every code of a (scoped) queryset together; four queries."""
    if isinstance(code_or_queryset, ChannelCode):
        relations = FollowRelation.objects.filter(channel=code_or_queryset)
    else:
        relations = FollowRelation.objects.filter(channel__in=code_or_queryset.values("pk"))
    added = relations
    deleted = relations.filter(status=RelationStatus.DELETED, deleted_at__isnull=False)
    if since is not None:
        added = added.filter(added_at__gte=since)
        deleted = deleted.filter(deleted_at__gte=since)
    if until is not None:
        added = added.filter(added_at__lt=until)
        deleted = deleted.filter(deleted_at__lt=until)
    adds = added.count()
    deletions = deleted.count()
    authenticated = added.filter(contact__customer__isnull=False).values("contact").distinct().count()
    zone = timezone.get_current_timezone()
    days: dict[datetime.date, list[int]] = {}
    for row in added.annotate(day=TruncDate("added_at", tzinfo=zone)).values("day").annotate(n=Count("id")):
        days.setdefault(row["day"], [0, 0])[0] = row["n"]
    for row in deleted.annotate(day=TruncDate("deleted_at", tzinfo=zone)).values("day").annotate(n=Count("id")):
        days.setdefault(row["day"], [0, 0])[1] = row["n"]
    by_day = []
    if days:
        # Every day from the first to the last, so the chart's line does not skip quiet days.
        day, last = min(days), max(days)
        while day <= last:
            adds_on, deletions_on = days.get(day, (0, 0))
            by_day.append(DayFigures(day=day, adds=adds_on, deletions=deletions_on))
            day += datetime.timedelta(days=1)
    return ChannelCodeStats(
        adds=adds, deletions=deletions, net=adds - deletions, authenticated=authenticated, by_day=by_day
    )


def staff_pickable(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Staff]:
    """The staff a fixed code may hold: active RMs with a WeCom account, within the viewer's scope."""
    return (
        staff_list_visible(user=user).filter(role=Role.RM).exclude(wecom_userid__isnull=True).exclude(wecom_userid="")
    )


STAFF_SEARCH_LIMIT = 20


def staff_search(*, user: AbstractBaseUser | AnonymousUser, query: str) -> list[Staff]:
    """The first pickable RMs whose name or employee number contains ``query`` (the picker's search)."""
    query = query.strip()
    if not query:
        return []
    return list(
        staff_pickable(user=user).filter(Q(name__icontains=query) | Q(employee_no__icontains=query))[
            :STAFF_SEARCH_LIMIT
        ]
    )
