"""DRF permission classes built on the data scope."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for


class IsActiveStaff(BasePermission):
    """Authenticated, active, and with a staff profile. The default for every API."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return data_scope_for(request.user) is not None


def role_required(*roles: Role) -> type[BasePermission]:
    """A permission class that admits only the given roles, e.g. ``role_required(Role.HQ_ADMIN)``."""

    class HasRole(IsActiveStaff):
        allowed_roles = frozenset(roles)

        def has_permission(self, request: Request, view: Any) -> bool:
            scope = data_scope_for(request.user)
            return scope is not None and scope.role in self.allowed_roles

    HasRole.__name__ = "HasRole_" + "_".join(sorted(roles))
    return HasRole


IsHqAdmin = role_required(Role.HQ_ADMIN)
