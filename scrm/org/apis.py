"""Organisation API: branches and staff in the viewer's scope; role changes for HQ admins."""

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from scrm.org.api_base import StaffApiView
from scrm.org.models import Branch, Role, Staff
from scrm.org.permissions import IsHqAdmin
from scrm.org.selectors import branch_list_visible, staff_list_visible
from scrm.org.services import staff_change_role


class BranchOutputSerializer(serializers.ModelSerializer):
    parent_code = serializers.SerializerMethodField()

    class Meta:
        model = Branch
        fields = ["id", "code", "name", "level", "city", "depth", "parent_code"]

    def get_parent_code(self, branch: Branch) -> str | None:
        return self.context["codes_by_path"].get(branch.path[: -Branch.steplen])


class BranchViewSet(viewsets.ReadOnlyModelViewSet):
    # Ids are numbers: anything else is no route at all (404), never a failed lookup.
    lookup_value_regex = "[0-9]+"
    serializer_class = BranchOutputSerializer
    filterset_fields = ["level"]

    def get_queryset(self) -> QuerySet[Branch]:
        return branch_list_visible(user=self.request.user)

    def get_serializer_context(self) -> Mapping[str, Any]:
        return {**super().get_serializer_context(), "codes_by_path": dict(Branch.objects.values_list("path", "code"))}


class StaffOutputSerializer(serializers.ModelSerializer):
    branch_code = serializers.CharField(source="branch.code")
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Staff
        fields = ["id", "employee_no", "name", "username", "role", "branch_code", "wecom_userid", "status"]


class StaffViewSet(viewsets.ReadOnlyModelViewSet):
    # Ids are numbers: anything else is no route at all (404), never a failed lookup.
    lookup_value_regex = "[0-9]+"
    serializer_class = StaffOutputSerializer
    filterset_fields = ["role", "status"]

    def get_queryset(self) -> QuerySet[Staff]:
        return staff_list_visible(user=self.request.user, active_only=False)


class StaffRoleChangeApi(StaffApiView):
    """Move a person to another role or branch (HQ admins only; audited)."""

    permission_classes = [IsHqAdmin]

    class StaffRoleChangeInputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)
        branch_code = serializers.SlugRelatedField(slug_field="code", queryset=Branch.objects.all(), source="branch")
        reason = serializers.CharField(max_length=500)

    @extend_schema(request=StaffRoleChangeInputSerializer, responses=StaffOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        staff = get_object_or_404(staff_list_visible(user=request.user, active_only=False), pk=pk)
        serializer = self.StaffRoleChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        staff = staff_change_role(
            staff=staff,
            role=Role(serializer.validated_data["role"]),
            branch=serializer.validated_data["branch"],
            reason=serializer.validated_data["reason"],
            actor=self.staff.user,
        )
        return Response(StaffOutputSerializer(staff).data, status=status.HTTP_200_OK)


class MeApi(StaffApiView):
    """The signed-in person and their data scope."""

    @extend_schema(responses=StaffOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(StaffOutputSerializer(self.staff).data)
