"""Home page figures, one selector per figure, each computed inside the viewer's data scope.

The home page (工作台) differs by role: an RM sees their own book, a branch manager the
same for their subtree with a row per RM, head office the bank's acquisition, verification,
tagging and batch jobs, and compliance the audit console's summary. Every figure reads
through a lower app's scoped selector, set-based and on an index, so it stays fast on a
bank-sized table (``BENCH_ONLY=home_pages make bench``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from analytics.console.selectors import AuditRow, audit_rows
from analytics.models import HomeSnapshot
from channels.contacts.selectors import (
    ChannelAdds,
    contacts_added_by_channel,
    contacts_added_by_staff,
    contacts_added_count,
)
from channels.identity.selectors import (
    RateRow,
    authentication_rate_by_branch,
    authentication_rate_by_staff,
    authentication_rate_total,
)
from customers.imports.selectors import import_job_list_visible
from customers.models import ImportJob, TagRuleRun
from customers.selectors import (
    MaturingHolding,
    TimelineItem,
    customer_count_by_owner,
    customer_count_visible,
    holdings_maturing_by_owner,
    holdings_maturing_count,
    holdings_maturing_list,
    timeline_recent_visible,
)
from customers.tagging.selectors import TagCoverage, tag_coverage, tag_rule_run_latest
from risk.compliance.violations.models import ViolationStatus
from risk.compliance.violations.selectors import ViolationFilters, violations_list
from scrm.audit.models import ChainCheck
from scrm.audit.selectors import chain_check_latest, chain_check_running, pii_reveals_recent
from scrm.core.db_routing import reads_from_replica
from scrm.org.models import Role
from scrm.org.scoping import DataScope, data_scope_for
from scrm.org.selectors import branch_list_visible, staff_active_with_role, staff_list_visible

Viewer = AbstractBaseUser | AnonymousUser

MATURITY_WINDOW_DAYS = 30
ACQUISITION_DAYS = 30
LIST_LIMIT = 10


def _today() -> datetime.date:
    return timezone.localdate()


def week_start(today: datetime.date) -> datetime.datetime:
    """Monday 00:00 of ``today``'s week, local time."""
    monday = today - datetime.timedelta(days=today.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))


# --- Figures every role has ---------------------------------------------------------------


def home_customer_count(*, user: Viewer) -> int:
    return customer_count_visible(user=user)


def home_staff_count(*, user: Viewer) -> int:
    return staff_list_visible(user=user).count()


def home_branch_count(*, user: Viewer) -> int:
    return branch_list_visible(user=user).count()


# --- An RM's book (and a branch manager's subtree) ------------------------------------------


def home_new_contacts_this_week(*, user: Viewer, today: datetime.date | None = None) -> int:
    return contacts_added_count(user=user, since=week_start(today or _today()))


def home_verification_rate(*, user: Viewer) -> RateRow:
    return authentication_rate_total(user=user)


def home_maturities(
    *, user: Viewer, today: datetime.date | None = None, limit: int = LIST_LIMIT
) -> list[MaturingHolding]:
    return holdings_maturing_list(user=user, on=today or _today(), days=MATURITY_WINDOW_DAYS, limit=limit)


def home_maturities_count(*, user: Viewer, today: datetime.date | None = None) -> int:
    return holdings_maturing_count(user=user, on=today or _today(), days=MATURITY_WINDOW_DAYS)


def home_timeline(*, user: Viewer, limit: int = LIST_LIMIT) -> list[TimelineItem]:
    return timeline_recent_visible(user=user, limit=limit)


@dataclass(frozen=True)
class RmRow:
    staff_id: int
    name: str
    employee_no: str
    branch_name: str
    customers: int
    new_contacts: int
    verification: RateRow
    maturities: int


def home_rm_table(*, user: Viewer, today: datetime.date | None = None) -> list[RmRow]:
    """One row per active RM in the viewer's scope: four grouped statements, not one per RM."""
    today = today or _today()
    customers = customer_count_by_owner(user=user)
    contacts = contacts_added_by_staff(user=user, since=week_start(today))
    rates = authentication_rate_by_staff(user=user)
    maturities = holdings_maturing_by_owner(user=user, on=today, days=MATURITY_WINDOW_DAYS)
    empty = RateRow(key="", label="", total=0, authenticated=0)
    return [
        RmRow(
            staff_id=staff.pk,
            name=staff.name,
            employee_no=staff.employee_no,
            branch_name=staff.branch.name,
            customers=customers.get(staff.pk, 0),
            new_contacts=contacts.get(staff.pk, 0),
            verification=rates.get(staff.pk, empty),
            maturities=maturities.get(staff.pk, 0),
        )
        for staff in staff_list_visible(user=user).filter(role=Role.RM)
    ]


# --- Head office ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AcquisitionChart:
    days: list[datetime.date]
    channels: list[ChannelAdds]

    @property
    def total(self) -> int:
        return sum(channel.total for channel in self.channels)

    def as_json(self) -> dict[str, object]:
        """What the chart script reads (static/js/home-acquisition-chart.js)."""
        return {
            "days": [day.strftime("%m-%d") for day in self.days],
            "series": [{"name": channel.name, "data": channel.by_day} for channel in self.channels],
        }


def home_acquisition_by_channel(
    *, user: Viewer, today: datetime.date | None = None, days: int = ACQUISITION_DAYS
) -> AcquisitionChart:
    """New contacts per channel code per day over the last ``days`` days (today included)."""
    first = (today or _today()) - datetime.timedelta(days=days - 1)
    return AcquisitionChart(
        days=[first + datetime.timedelta(days=offset) for offset in range(days)],
        channels=contacts_added_by_channel(user=user, first_day=first, days=days),
    )


def home_verification_by_branch(*, user: Viewer) -> list[RateRow]:
    return authentication_rate_by_branch(user=user)


def home_tag_coverage(*, user: Viewer) -> TagCoverage:
    return tag_coverage(user=user)


def home_imports_latest(*, user: Viewer, limit: int = 5) -> list[ImportJob]:
    return list(import_job_list_visible(user=user).select_related("created_by").order_by("-created_at", "-id")[:limit])


def home_rule_run_latest() -> TagRuleRun | None:
    return tag_rule_run_latest()


# --- Compliance -------------------------------------------------------------------------------


def home_reveals_recent(*, limit: int = LIST_LIMIT) -> list[AuditRow]:
    """The newest reveals, shaped as the console shows them (field in words, purpose masked)."""
    return audit_rows(pii_reveals_recent(limit=limit))


@dataclass(frozen=True)
class ChainStatus:
    latest: ChainCheck | None
    running: bool


def home_chain_status() -> ChainStatus:
    return ChainStatus(latest=chain_check_latest(), running=chain_check_running() is not None)


def home_open_violations(*, user: Viewer) -> int:
    return violations_list(user=user, filters=ViolationFilters(status=ViolationStatus.OPEN)).count()


# --- The page's figures, per role ---------------------------------------------------------

# Roles whose figures depend only on the scope (the bank, or a branch's subtree), so one
# count serves every viewer who shares it (analytics.services.home_page_figures).
SHARED_SCOPE_ROLES = frozenset({Role.BRANCH_MANAGER, Role.HQ_ADMIN})


def _rm_figures(user: Viewer) -> dict[str, Any]:
    return {
        "new_contacts": home_new_contacts_this_week(user=user),
        "verification": home_verification_rate(user=user),
        "maturities_count": home_maturities_count(user=user),
        "maturities": home_maturities(user=user),
    }


# Aggregates over a subtree or the bank, kept for minutes anyway: a replica a few seconds behind serves them.
@reads_from_replica
def home_counted_figures(*, role: Role, user: Viewer) -> dict[str, Any]:
    """The figures that aggregate the viewer's scope, the ones worth keeping for a few minutes."""
    figures: dict[str, Any] = {"customers": home_customer_count(user=user)}
    if role == Role.RM:
        figures |= _rm_figures(user) | {"timeline": home_timeline(user=user)}
    elif role == Role.BRANCH_MANAGER:
        figures |= _rm_figures(user) | {"rm_table": home_rm_table(user=user)}
    elif role == Role.HQ_ADMIN:
        chart = home_acquisition_by_channel(user=user)
        figures |= {
            "acquisition": chart,
            "acquisition_data": chart.as_json(),
            "verification": home_verification_rate(user=user),
            "verification_by_branch": home_verification_by_branch(user=user),
            "tag_coverage": home_tag_coverage(user=user),
            "staff_count": home_staff_count(user=user),
        }
    return figures


def home_live_figures(*, role: Role, user: Viewer) -> dict[str, Any]:
    """What must show at once, read on indexes: a reveal, a broken chain, a new violation, a job's status."""
    if role == Role.COMPLIANCE:
        return {
            "reveals": home_reveals_recent(),
            "chain": home_chain_status(),
            "open_violations": home_open_violations(user=user),
        }
    if role == Role.HQ_ADMIN:
        return {"imports": home_imports_latest(user=user), "rule_run": home_rule_run_latest()}
    return {}


def home_viewer_cache_key(*, user: Viewer, scope: DataScope, language: str) -> str:
    """Where an RM's (or compliance's) own counted figures are kept for ``HOME_FIGURES_CACHE_SECONDS``."""
    # The account's creation time as well: a rebuilt database (a test run, a restored copy)
    # reuses ids, and must not find another person's figures under them.
    joined = getattr(user, "date_joined", None)
    stamp = int(joined.timestamp() * 1_000_000) if joined else 0
    return f"analytics:home:{user.pk}:{stamp}:{scope.staff_id}:{scope.role}:{scope.branch_path}:{language}"


def home_snapshot_fresh(*, key: str) -> HomeSnapshot | None:
    """The scope's kept figures, unless the refresh task has not recounted them for too long."""
    oldest = timezone.now() - datetime.timedelta(seconds=settings.HOME_SNAPSHOT_MAX_AGE_SECONDS)
    return HomeSnapshot.objects.filter(scope_key=key, computed_at__gte=oldest).first()


def home_snapshots_viewed_since(since: datetime.datetime) -> QuerySet[HomeSnapshot]:
    return HomeSnapshot.objects.filter(viewed_at__gte=since).order_by("id")


def home_snapshot_viewer(snapshot: HomeSnapshot) -> Viewer | None:
    """Someone who has the snapshot's scope, whose eyes the recount runs with (None when nobody has it now)."""
    staff = staff_active_with_role(role=Role(snapshot.role), branch_id=snapshot.branch_id)
    if staff is None:
        return None
    scope = data_scope_for(staff.user)
    if scope is None or scope.role not in SHARED_SCOPE_ROLES:
        return None
    return staff.user
