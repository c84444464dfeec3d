"""Script library API: every member of staff reads it, head office writes it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.models import Script, ScriptCategory, ScriptKind
from campaigns.scripts import selectors, services
from scrm.org.api_base import StaffApiView
from scrm.org.permissions import IsActiveStaff
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for

_KIND_HELP = "`text`: sent as a text message; `link`: sent as a link card (title, content as description, link_url)."


class ReadForStaffWriteForHq(IsActiveStaff):
    """Any active member of staff may read; only HQ admins may change anything."""

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = data_scope_for(request.user)
        if scope is None:
            return False
        return request.method in SAFE_METHODS or scope.role == Role.HQ_ADMIN


class ScriptCategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScriptCategory
        fields = ["id", "name", "sort_order"]


class ScriptCategoryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    sort_order = serializers.IntegerField(min_value=0, max_value=services.SORT_ORDER_MAX, default=0)


class ScriptOutputSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name")
    # A plain string in the schema: every other "kind" of the API is an enum of its own name.
    kind = serializers.CharField(help_text=_KIND_HELP)

    class Meta:
        model = Script
        fields = [
            "id",
            "category",
            "category_name",
            "title",
            "kind",
            "content",
            "link_url",
            "is_active",
            "sort_order",
            "updated_at",
        ]


class ScriptInputSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=ScriptCategory.objects.all())
    title = serializers.CharField(max_length=100)
    kind = serializers.CharField(max_length=8, default=ScriptKind.TEXT, help_text=_KIND_HELP)
    content = serializers.CharField(max_length=services.SCRIPT_CONTENT_MAX_LENGTH)
    link_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(default=True)
    sort_order = serializers.IntegerField(min_value=0, max_value=services.SORT_ORDER_MAX, default=0)


class ScriptCategoryViewSet(
    StaffApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Shelves of the script library. Only an empty category can be deleted."""

    # Ids are numbers: anything else is no route at all (404), never a failed lookup.
    lookup_value_regex = "[0-9]+"
    permission_classes = [ReadForStaffWriteForHq]
    serializer_class = ScriptCategoryOutputSerializer

    def get_queryset(self) -> QuerySet[ScriptCategory]:
        return selectors.script_categories_list()

    @extend_schema(request=ScriptCategoryInputSerializer, responses={201: ScriptCategoryOutputSerializer})
    def create(self, request: Request) -> Response:
        data = ScriptCategoryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.script_category_create(actor=self.staff, **data.validated_data)
        return Response(ScriptCategoryOutputSerializer(category).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ScriptCategory) -> None:
        services.script_category_delete(category=instance, actor=self.staff)


class ScriptViewSet(StaffApiView, viewsets.GenericViewSet):
    """话术. Staff see active scripts; HQ admins also retired ones (in lists with ``include_inactive=true``)."""

    # Ids are numbers: anything else is no route at all (404), never a failed lookup.
    lookup_value_regex = "[0-9]+"
    permission_classes = [ReadForStaffWriteForHq]
    serializer_class = ScriptOutputSerializer

    def get_queryset(self) -> QuerySet[Script]:
        params = self.request.GET
        category = params.get("category", "")
        # Retired scripts are HQ's: in lists on request, by id always; nobody else sees them.
        hq_admin = self._is_hq_admin()
        include_inactive = hq_admin and (self.action != "list" or params.get("include_inactive") == "true")
        return selectors.scripts_list(
            query=params.get("q", ""),
            category_id=int(category) if category.isdigit() else None,
            active_only=not include_inactive,
        )

    def _is_hq_admin(self) -> bool:
        scope = data_scope_for(self.request.user)
        return scope is not None and scope.role == Role.HQ_ADMIN

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words in the title or content."),
            OpenApiParameter("category", OpenApiTypes.INT, description="A category id."),
            OpenApiParameter("include_inactive", OpenApiTypes.BOOL, description="HQ admins only."),
        ]
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ScriptOutputSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ScriptOutputSerializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    @extend_schema(request=ScriptInputSerializer, responses={201: ScriptOutputSerializer})
    def create(self, request: Request) -> Response:
        data = ScriptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        script = services.script_create(actor=self.staff, request=request, **data.validated_data)
        return Response(ScriptOutputSerializer(script).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScriptInputSerializer, responses={200: ScriptOutputSerializer})
    def update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(request=ScriptInputSerializer, responses={200: ScriptOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: str, *, partial: bool) -> Response:
        script = get_object_or_404(self.get_queryset(), pk=pk)
        data = ScriptInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        script = services.script_update(
            script=script, actor=self.staff, changes=dict(data.validated_data), request=request
        )
        return Response(ScriptOutputSerializer(script).data)

    def destroy(self, request: Request, pk: str) -> Response:
        script = get_object_or_404(self.get_queryset(), pk=pk)
        services.script_delete(script=script, actor=self.staff, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
