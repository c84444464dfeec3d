"""Data scope: the one mechanism that decides which rows a user may see.

Every page, API, export and filter reads customer-related data through
``Model.objects.visible_to(user)``. The rules (DESIGN.md §2):

* HQ admin and compliance: the whole bank;
* branch manager: everything whose branch lies in their branch's subtree;
* RM: the rows they own (plus, if ``RM_SEES_OUTLET_POOL``, their outlet's
  unassigned rows), or for org data, their own outlet;
* anyone else — anonymous, no staff profile, departed, deactivated: nothing.

A row outside the scope simply does not exist for the viewer, so detail views
answer 404, never 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from scrm.org.roles import BANK_WIDE_ROLES, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


@dataclass(frozen=True)
class DataScope:
    staff_id: int
    role: Role
    branch_id: int
    branch_path: str

    @property
    def is_bank_wide(self) -> bool:
        return self.role in BANK_WIDE_ROLES


_CACHE_ATTRIBUTE = "_scrm_data_scope"


def data_scope_for(user: AbstractBaseUser | AnonymousUser | None) -> DataScope | None:
    """The viewer's scope, or None when they may see nothing. Cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if hasattr(user, _CACHE_ATTRIBUTE):
        return getattr(user, _CACHE_ATTRIBUTE)
    from scrm.org.models import Staff, StaffStatus

    staff = (
        Staff.objects.select_related("branch")
        .filter(user_id=user.pk, status=StaffStatus.ACTIVE)
        .only("id", "role", "branch_id", "branch__path")
        .first()
    )
    scope = (
        DataScope(staff_id=staff.pk, role=Role(staff.role), branch_id=staff.branch_id, branch_path=staff.branch.path)
        if staff
        else None
    )
    setattr(user, _CACHE_ATTRIBUTE, scope)
    return scope


class ScopedQuerySet(models.QuerySet):
    """Base queryset for every model that holds data in the branch tree.

    Subclasses say how a row reaches its branch and, for customer data, its owner.
    """

    # Lookup path from the model to its Branch; "" when the model is Branch itself.
    scope_branch_field: str = "branch"
    # FK to the owning Staff (RM scope); None for org data.
    scope_owner_field: str | None = None
    # What an RM sees: the rows they own, or everything in their own outlet.
    scope_rm_sees: Literal["owned", "own_branch"] = "owned"

    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> Self:
        scope = data_scope_for(user)
        if scope is None:
            return self.none()
        condition = self.scope_condition(scope)
        return self if condition is None else self.filter(condition)

    def scope_condition(self, scope: DataScope) -> Q | None:
        """The filter for one scope; None means 'no restriction'."""
        if scope.is_bank_wide:
            return None
        branch = f"{self.scope_branch_field}__" if self.scope_branch_field else ""
        if scope.role == Role.BRANCH_MANAGER:
            return Q(**{f"{branch}path__startswith": scope.branch_path})
        if scope.role == Role.RM:
            if self.scope_rm_sees == "own_branch" or self.scope_owner_field is None:
                return Q(**{f"{branch}pk": scope.branch_id})
            owned = Q(**{f"{self.scope_owner_field}_id": scope.staff_id})
            if settings.RM_SEES_OUTLET_POOL:
                pool = Q(**{f"{branch}pk": scope.branch_id, f"{self.scope_owner_field}__isnull": True})
                return owned | pool
            return owned
        return Q(pk__in=[])
