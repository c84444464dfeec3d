"""Reads for identity matching (客户认证): authentication rates, leads, and the matcher's lookups.

Looking a customer up by phone happens in the customers app (``customers.selectors``),
which owns the table; this module only asks it for (id, customer number).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections, router
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from channels.models import ExternalContact, FollowRelation, RelationStatus
from scrm.core.db_routing import reads_from_replica
from scrm.org.models import Branch
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for

# How many levels below the viewer's own branch the per-branch table shows.
BRANCH_LEVELS_SHOWN = 2


# --- The matcher's lookups --------------------------------------------------------------


def customer_ids_linked_by_unionid(*, unionid: str, exclude_contact_id: int) -> list[tuple[int, str]]:
    """(id, customer number) of the customers other contacts with this WeChat unionid are linked to."""
    return [
        (int(pk), str(number))
        for pk, number in ExternalContact.objects.filter(unionid=unionid, customer__isnull=False)
        .exclude(pk=exclude_contact_id)
        .order_by()
        .values_list("customer_id", "customer__customer_no")
        .distinct()
    ]


# --- Authentication rate -------------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    total: int
    authenticated: int
    depth: int = 0

    @property
    def rate(self) -> float:
        return self.authenticated / self.total if self.total else 0.0

    @property
    def percent(self) -> str:
        return f"{self.rate * 100:.1f}%"


@dataclass(frozen=True)
class AuthenticationRates:
    total: RateRow
    by_branch: list[RateRow]
    by_rm: list[RateRow]
    by_code: list[RateRow]


def _active_relations(user: AbstractBaseUser | AnonymousUser) -> QuerySet[FollowRelation]:
    return FollowRelation.objects.visible_to(user).filter(status=RelationStatus.ACTIVE)


def _contacts() -> Count:
    return Count("contact", distinct=True)


def _authenticated() -> Count:
    return Count("contact", filter=Q(contact__customer__isnull=False), distinct=True)


_BRANCH_SQL = """
SELECT b.id, b.name, b.depth,
       count(DISTINCT r.contact_id) AS total,
       count(DISTINCT r.contact_id) FILTER (WHERE c.customer_id IS NOT NULL) AS authenticated
FROM org_branch b
JOIN org_branch sb ON sb.path LIKE b.path || '%%'
JOIN org_staff s ON s.branch_id = sb.id
JOIN channels_followrelation r ON r.staff_id = s.id AND r.status = %(active)s
JOIN channels_externalcontact c ON c.id = r.contact_id
WHERE b.path LIKE %(scope)s AND b.depth <= %(max_depth)s
  AND (%(staff_id)s::bigint IS NULL OR r.staff_id = %(staff_id)s::bigint)
GROUP BY b.id, b.name, b.depth, b.path
ORDER BY b.path
"""


def _branch_rows(user: AbstractBaseUser | AnonymousUser) -> list[RateRow]:
    """Each branch of the viewer's scope, down to ``BRANCH_LEVELS_SHOWN`` levels, over its whole subtree.

    A contact followed by RMs in two outlets counts once in the branch above both.
    """
    scope = data_scope_for(user)
    if scope is None:
        return []
    if scope.is_bank_wide:
        roots = list(Branch.objects.filter(depth=1).values_list("path", "depth"))
    else:
        roots = list(Branch.objects.filter(pk=scope.branch_id).values_list("path", "depth"))
    rows: list[RateRow] = []
    for path, depth in roots:
        # Raw SQL goes where the ORM's reads of the same rows go (the replica inside a heavy read).
        with connections[router.db_for_read(FollowRelation)].cursor() as cursor:
            cursor.execute(
                _BRANCH_SQL,
                {
                    "active": RelationStatus.ACTIVE.value,
                    "scope": f"{path}%",
                    "max_depth": depth + BRANCH_LEVELS_SHOWN,
                    "staff_id": scope.staff_id if scope.role == Role.RM else None,
                },
            )
            rows += [
                RateRow(key=str(pk), label=name, total=total, authenticated=authed, depth=row_depth - depth)
                for pk, name, row_depth, total, authed in cursor.fetchall()
            ]
    return rows


@reads_from_replica
def authentication_rates(*, user: AbstractBaseUser | AnonymousUser) -> AuthenticationRates:
    """Authenticated / all contacts with an active relation, in the viewer's scope.

    By branch (each rolled up over its subtree), by RM and by channel code. HQ admins and
    compliance see the bank, branch managers their subtree, RMs their own contacts.
    """
    relations = _active_relations(user)
    totals = relations.aggregate(total=_contacts(), authenticated=_authenticated())
    by_rm = [
        RateRow(
            key=row["staff__employee_no"],
            label=row["staff__name"],
            total=row["total"],
            authenticated=row["authenticated"],
        )
        for row in relations.filter(staff__isnull=False)
        .values("staff__employee_no", "staff__name")
        .annotate(total=_contacts(), authenticated=_authenticated())
        .order_by("-total", "staff__employee_no")
    ]
    by_code = [
        RateRow(
            key=str(row["channel_id"]),
            label=row["channel__name"],
            total=row["total"],
            authenticated=row["authenticated"],
        )
        for row in relations.filter(channel__isnull=False)
        .values("channel_id", "channel__name")
        .annotate(total=_contacts(), authenticated=_authenticated())
        .order_by("-total", "channel_id")
    ]
    return AuthenticationRates(
        total=RateRow(key="total", label="", total=totals["total"], authenticated=totals["authenticated"]),
        by_branch=_branch_rows(user),
        by_rm=by_rm,
        by_code=by_code,
    )


def authentication_rate_total(*, user: AbstractBaseUser | AnonymousUser) -> RateRow:
    """Authenticated / all contacts with an active relation in the viewer's scope; one statement."""
    totals = _active_relations(user).aggregate(total=_contacts(), authenticated=_authenticated())
    return RateRow(key="total", label="", total=totals["total"], authenticated=totals["authenticated"])


def authentication_rate_by_staff(*, user: AbstractBaseUser | AnonymousUser) -> dict[int, RateRow]:
    """The authentication rate of each member of staff's own active relations in the viewer's scope."""
    rows = (
        _active_relations(user)
        .filter(staff__isnull=False)
        .order_by()
        .values("staff_id")
        .annotate(total=_contacts(), authenticated=_authenticated())
    )
    return {
        int(row["staff_id"]): RateRow(
            key=str(row["staff_id"]), label="", total=row["total"], authenticated=row["authenticated"]
        )
        for row in rows
    }


def authentication_rate_by_branch(*, user: AbstractBaseUser | AnonymousUser) -> list[RateRow]:
    """Each branch of the viewer's scope, two levels down, rolled up over its subtree."""
    return _branch_rows(user)


# --- Contacts and leads -------------------------------------------------------------------


@dataclass(frozen=True)
class LeadRow:
    contact_id: int
    external_userid: str
    name: str
    rm_name: str | None
    channel_name: str | None
    added_at: datetime.datetime | None


def contact_list(*, user: AbstractBaseUser | AnonymousUser, lead: bool | None = None) -> QuerySet[ExternalContact]:
    """Contacts the viewer may see, with the RM, channel and time of their latest visible active relation.

    ``lead=True``: only those not yet matched to a customer (and still in a relation).
    """
    latest = _active_relations(user).filter(contact=OuterRef("pk")).order_by("-added_at", "-id")
    contacts = ExternalContact.objects.visible_to(user).annotate(
        rm_name=Subquery(latest.values("staff__name")[:1]),
        rm_userid=Subquery(latest.values("userid")[:1]),
        channel_name=Subquery(latest.values("channel__name")[:1]),
        added_at=Subquery(latest.values("added_at")[:1]),
    )
    if lead is not None:
        contacts = contacts.filter(customer__isnull=lead)
    if lead:
        contacts = contacts.filter(Exists(_active_relations(user).filter(contact=OuterRef("pk"))))
    return contacts


def lead_list(*, user: AbstractBaseUser | AnonymousUser, limit: int = 200) -> list[LeadRow]:
    """The newest unmatched contacts in the viewer's scope, for the dashboard; one query."""
    return [
        LeadRow(
            contact_id=contact.pk,
            external_userid=contact.external_userid,
            name=contact.name,
            rm_name=contact.rm_name or contact.rm_userid,  # type: ignore[attr-defined]
            channel_name=contact.channel_name,  # type: ignore[attr-defined]
            added_at=contact.added_at,  # type: ignore[attr-defined]
        )
        # added_at is annotated by contact_list, out of the type checker's sight.
        for contact in contact_list(user=user, lead=True).order_by("-added_at", "-id")[:limit]  # type: ignore[misc]
    ]
