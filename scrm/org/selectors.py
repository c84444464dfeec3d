"""Reads of the organisation, always through the viewer's data scope."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from scrm.org.models import Branch, Staff, StaffStatus
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


def data_scope(*, user: AbstractBaseUser | AnonymousUser) -> DataScope | None:
    return data_scope_for(user)
