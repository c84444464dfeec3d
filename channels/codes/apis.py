"""Channel code API: list, read, create, change, deactivate, and the figures of one code.

Everyone in scope reads (RMs their own outlet's codes, compliance all); HQ admins and
branch managers write, branch managers within their subtree only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from channels.codes import selectors, services
from channels.models import AssignmentStrategy, ChannelCode
from customers.models import Tag
from scrm.org.api_base import StaffApiView
from scrm.org.models import Branch, Role, Staff
from scrm.org.permissions import IsActiveStaff, role_required

CodeManagers = role_required(Role.HQ_ADMIN, Role.BRANCH_MANAGER)


class ChannelCodeOutputSerializer(serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.code")
    branch_name = serializers.CharField(source="branch.name")
    staff = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()
    adds = serializers.IntegerField(read_only=True, default=None)
    active_relations = serializers.IntegerField(read_only=True, default=None)
    authenticated = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = ChannelCode
        fields = [
            "id",
            "name",
            "branch",
            "branch_name",
            "strategy",
            "staff",
            "tags",
            "welcome_text",
            "welcome_attachments",
            "skip_verify",
            "valid_from",
            "valid_until",
            "state",
            "config_id",
            "qr_code",
            "is_active",
            "pending",
            "adds",
            "active_relations",
            "authenticated",
            "created_at",
        ]

    def get_staff(self, code: ChannelCode) -> list[str]:
        return [member.employee_no for member in code.staff.all()]

    def get_tags(self, code: ChannelCode) -> list[str]:
        return [tag.code for tag in code.tags.all()]

    def get_pending(self, code: ChannelCode) -> bool:
        return services.channel_code_is_pending(code)


class _VisibleStaffField(serializers.SlugRelatedField):
    """Staff by employee number among those the caller may see: a number that does not exist and
    one outside the caller's scope get the same answer, so the field cannot be used to probe."""

    def get_queryset(self) -> QuerySet[Staff]:
        return Staff.objects.visible_to(self.context["request"].user)


class ChannelCodeInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=services.NAME_MAX_LENGTH)
    branch = serializers.SlugRelatedField(slug_field="code", queryset=Branch.objects.all(), required=False)
    strategy = serializers.ChoiceField(choices=AssignmentStrategy.choices)
    # The queryset names the model for the schema; lookups use the caller's visible staff.
    staff = _VisibleStaffField(slug_field="employee_no", queryset=Staff.objects.none(), many=True, required=False)
    tags = serializers.SlugRelatedField(slug_field="code", queryset=Tag.objects.all(), many=True, required=False)
    welcome_text = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    welcome_attachments = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    skip_verify = serializers.BooleanField(default=True)
    valid_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ChannelCodeDayOutputSerializer(serializers.Serializer):
    day = serializers.DateField()
    adds = serializers.IntegerField()
    deletions = serializers.IntegerField()


class ChannelCodeStatsOutputSerializer(serializers.Serializer):
    adds = serializers.IntegerField()
    deletions = serializers.IntegerField()
    net = serializers.IntegerField()
    authenticated = serializers.IntegerField()
    by_day = ChannelCodeDayOutputSerializer(many=True)


class ChannelCodeStatsQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class ChannelCodeViewSet(
    StaffApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    # Ids are numbers: anything else is no route at all (404), never a failed lookup.
    lookup_value_regex = "[0-9]+"
    serializer_class = ChannelCodeOutputSerializer

    def get_permissions(self) -> list[Any]:
        if self.action in ("create", "update", "partial_update", "deactivate", "activate"):
            return [CodeManagers()]
        return [IsActiveStaff()]

    def get_queryset(self) -> QuerySet[ChannelCode]:
        return selectors.channel_code_list(user=self.request.user).prefetch_related("staff", "tags")

    def _arguments(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": data["name"],
            "strategy": data["strategy"],
            "staff": data.get("staff", []),
            "tags": data.get("tags", []),
            "welcome_text": data["welcome_text"],
            "welcome_attachments": data["welcome_attachments"],
            "skip_verify": data["skip_verify"],
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
        }

    def _answer(self, code: ChannelCode, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(ChannelCodeOutputSerializer(self.get_queryset().get(pk=code.pk)).data, status=status_code)

    @extend_schema(request=ChannelCodeInputSerializer, responses={201: ChannelCodeOutputSerializer})
    def create(self, request: Request) -> Response:
        serializer = ChannelCodeInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        if "branch" not in serializer.validated_data:
            raise serializers.ValidationError({"branch": ["This field is required."]})
        code = services.channel_code_create(
            actor=self.staff,
            branch=serializer.validated_data["branch"],
            **self._arguments(serializer.validated_data),
        )
        return self._answer(code, status.HTTP_201_CREATED)

    @extend_schema(request=ChannelCodeInputSerializer, responses={200: ChannelCodeOutputSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        code = self.get_object()
        serializer = ChannelCodeInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.channel_code_update(actor=self.staff, code=code, **self._arguments(serializer.validated_data))
        return self._answer(code)

    @extend_schema(parameters=[ChannelCodeStatsQuerySerializer], responses={200: ChannelCodeStatsOutputSerializer})
    @action(detail=True, methods=["get"])
    def stats(self, request: Request, pk: str | None = None) -> Response:
        code = self.get_object()
        query = ChannelCodeStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = selectors.channel_code_stats(code, **query.validated_data)
        return Response(ChannelCodeStatsOutputSerializer(figures).data)

    @extend_schema(request=None, responses={200: ChannelCodeOutputSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        code = services.channel_code_deactivate(actor=self.staff, code=self.get_object())
        return self._answer(code)

    @extend_schema(request=None, responses={200: ChannelCodeOutputSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        """Finish a creation WeCom had not confirmed (a pending code)."""
        code = services.channel_code_activate_pending(actor=self.staff, code=self.get_object())
        return self._answer(code)
