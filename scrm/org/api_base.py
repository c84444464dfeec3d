"""The base for APIs that act as the signed-in member of staff."""

from functools import cached_property

from rest_framework.exceptions import PermissionDenied
from rest_framework.views import APIView

from scrm.org.models import Staff
from scrm.org.permissions import IsActiveStaff
from scrm.org.selectors import staff_for_user


# For APIs whose handlers act as ``self.staff``, the signed-in member of staff. The permission
# admits active staff only; a subclass may narrow it to some roles with ``role_required(...)``,
# which builds on ``IsActiveStaff``. A viewset takes it as its first base:
# ``class ScriptViewSet(StaffApiView, viewsets.GenericViewSet)``.
# Said in a comment, not a docstring: the OpenAPI schema would show a docstring as the
# description of every subclass that has none of its own.
class StaffApiView(APIView):
    permission_classes = [IsActiveStaff]

    @cached_property
    def staff(self) -> Staff:
        """The caller; the permission has already refused anyone who is not active staff."""
        staff = staff_for_user(user=self.request.user)
        if staff is None:
            raise PermissionDenied
        return staff
