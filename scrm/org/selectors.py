"""Reads of the organisation, always through the viewer's data scope."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet

from scrm.org.models import Branch, Staff, StaffStatus
from scrm.org.roles import Role
from scrm.org.scoping import DataScope, data_scope_for


def branch_list_visible(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Branch]:
    return Branch.objects.visible_to(user).order_by("path")


def branch_subtree(*, branch: Branch) -> QuerySet[Branch]:
    """The branch and all its descendants, as one prefix scan on the path index."""
    return Branch.objects.filter(path__startswith=branch.path)


def staff_list_visible(*, user: AbstractBaseUser | AnonymousUser, active_only: bool = True) -> QuerySet[Staff]:
    staff = Staff.objects.visible_to(user).select_related("branch", "user")
    if active_only:
        staff = staff.filter(status=StaffStatus.ACTIVE)
    return staff.order_by("branch__path", "employee_no")


def staff_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Staff | None:
    scope = data_scope_for(user)
    if scope is None:
        return None
    return Staff.objects.select_related("branch").get(pk=scope.staff_id)


def staff_active_with_role(*, role: Role, branch_id: int | None = None) -> Staff | None:
    """The first active, signed-in-able member of staff with the role (at the branch, when given)."""
    staff = Staff.objects.select_related("user").filter(
        role=role, status=StaffStatus.ACTIVE, user__isnull=False, user__is_active=True
    )
    if branch_id is not None:
        staff = staff.filter(branch_id=branch_id)
    return staff.order_by("id").first()


def data_scope(*, user: AbstractBaseUser | AnonymousUser) -> DataScope | None:
    return data_scope_for(user)


class StaffStatusFilter:
    """The staff list's status filter: in post, deactivated (cannot sign in for now), departed."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    DEPARTED = "departed"


def staff_admin_search(
    *,
    user: AbstractBaseUser | AnonymousUser,
    text: str = "",
    role: str = "",
    branch: Branch | None = None,
    status: str = "",
) -> QuerySet[Staff]:
    """Staff in the viewer's scope by name, username or employee number, role, place and status.

    ``branch`` takes its whole subtree (a 支行 lists the staff of its 网点 too)."""
    staff = Staff.objects.visible_to(user).select_related("branch", "user")
    if text:
        staff = staff.filter(Q(name__icontains=text) | Q(employee_no__iexact=text) | Q(user__username__iexact=text))
    if role:
        staff = staff.filter(role=role)
    if branch is not None:
        staff = staff.filter(branch__path__startswith=branch.path)
    if status == StaffStatusFilter.ACTIVE:
        staff = staff.filter(status=StaffStatus.ACTIVE, user__is_active=True)
    elif status == StaffStatusFilter.DEACTIVATED:
        staff = staff.filter(status=StaffStatus.ACTIVE, user__is_active=False)
    elif status == StaffStatusFilter.DEPARTED:
        staff = staff.filter(status=StaffStatus.DEPARTED)
    return staff.order_by("branch__path", "employee_no")


def branch_admin_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Branch]:
    """The branches a manager administers, in tree order, with how many staff work at each."""
    return (
        branch_list_visible(user=user)
        .annotate(staff_count=Count("staff", filter=Q(staff__status=StaffStatus.ACTIVE)))
        .order_by("path")
    )


def branch_open_choices(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Branch]:
    """Open branches in the viewer's scope, for pickers."""
    return branch_list_visible(user=user).filter(closed_at__isnull=True)
