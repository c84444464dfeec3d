"""Content library API: staff read the items they may use, head office writes the library."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.content import selectors, services
from campaigns.models import ContentCategory, ContentItem, ContentKind
from campaigns.scripts.apis import ReadForStaffWriteForHq
from scrm.core.parsers import GuardedJSONParser
from scrm.org.api_base import StaffApiView
from scrm.org.models import Branch
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for

_KIND_HELP = (
    "`text` (description is the message), `image`, `file`, `video` (the file), `link` (url, description, "
    "optional cover image as file), `miniprogram` (appid, page_path ending in .html, cover image as file)."
)


class ContentCategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContentCategory
        fields = ["id", "name", "sort_order"]


class ContentCategoryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    sort_order = serializers.IntegerField(min_value=0, max_value=services.SORT_ORDER_MAX, default=0)


class ContentItemOutputSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name")
    branch_name = serializers.CharField(source="branch.name", default=None, allow_null=True)
    # A plain string in the schema: every other "kind" of the API is an enum of its own name.
    kind = serializers.CharField(help_text=_KIND_HELP)

    class Meta:
        model = ContentItem
        fields = [
            "id",
            "category",
            "category_name",
            "kind",
            "title",
            "description",
            "url",
            "appid",
            "page_path",
            "file_name",
            "file_size",
            "file_mime",
            "branch",
            "branch_name",
            "tags",
            "is_active",
            "usage_count",
            "last_used_at",
            "updated_at",
        ]


class ContentItemInputSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=ContentCategory.objects.all())
    kind = serializers.ChoiceField(choices=ContentKind.choices, help_text=_KIND_HELP)
    title = serializers.CharField(max_length=services.TITLE_MAX_LENGTH)
    description = serializers.CharField(
        max_length=services.TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    appid = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    page_path = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    file = serializers.FileField(
        required=False, allow_null=True, default=None, help_text="Checked by its content; WeCom's size limits."
    )
    branch = serializers.PrimaryKeyRelatedField(
        queryset=Branch.objects.all(), required=False, allow_null=True, default=None, help_text="Empty: the whole bank."
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=services.TAG_MAX_LENGTH),
        max_length=services.TAGS_MAX,
        required=False,
        default=list,
    )
    is_active = serializers.BooleanField(default=True)


class ContentCategoryViewSet(
    StaffApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Shelves of the content library. Only an empty category can be deleted."""

    lookup_value_regex = "[0-9]+"
    permission_classes = [ReadForStaffWriteForHq]
    serializer_class = ContentCategoryOutputSerializer

    def get_queryset(self) -> QuerySet[ContentCategory]:
        return selectors.content_categories_list()

    @extend_schema(request=ContentCategoryInputSerializer, responses={201: ContentCategoryOutputSerializer})
    def create(self, request: Request) -> Response:
        data = ContentCategoryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.content_category_create(actor=self.staff, **data.validated_data)
        return Response(ContentCategoryOutputSerializer(category).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContentCategoryInputSerializer, responses={200: ContentCategoryOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        category = get_object_or_404(self.get_queryset(), pk=pk)
        data = ContentCategoryInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        category = services.content_category_update(category=category, actor=self.staff, **data.validated_data)
        return Response(ContentCategoryOutputSerializer(category).data)

    def perform_destroy(self, instance: ContentCategory) -> None:
        services.content_category_delete(category=instance, actor=self.staff)


class ContentItemViewSet(StaffApiView, viewsets.GenericViewSet):
    """素材. Staff see the active items they may use; HQ admins also retired ones
    (in lists with ``include_inactive=true``). Writes take multipart (with the file) or JSON."""

    lookup_value_regex = "[0-9]+"
    permission_classes = [ReadForStaffWriteForHq]
    serializer_class = ContentItemOutputSerializer
    parser_classes = [MultiPartParser, FormParser, GuardedJSONParser]

    def get_queryset(self) -> QuerySet[ContentItem]:
        params = self.request.GET
        category = params.get("category", "")
        include_inactive = self._is_hq_admin() and (self.action != "list" or params.get("include_inactive") == "true")
        kind = params.get("kind", "")
        return selectors.content_items_list(
            user=self.request.user,
            query=params.get("q", ""),
            category_id=int(category) if category.isdigit() else None,
            kind=kind if kind in ContentKind.values else "",
            tag=params.get("tag", ""),
            active_only=not include_inactive,
        )

    def _is_hq_admin(self) -> bool:
        scope = data_scope_for(self.request.user)
        return scope is not None and scope.role == Role.HQ_ADMIN

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words in the title or description, or a tag."),
            OpenApiParameter("category", OpenApiTypes.INT, description="A category id."),
            OpenApiParameter("kind", OpenApiTypes.STR, description="text, image, link, miniprogram, file or video."),
            OpenApiParameter("tag", OpenApiTypes.STR, description="Items carrying this tag."),
            OpenApiParameter("include_inactive", OpenApiTypes.BOOL, description="HQ admins only."),
        ]
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ContentItemOutputSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ContentItemOutputSerializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    @extend_schema(request=ContentItemInputSerializer, responses={201: ContentItemOutputSerializer})
    def create(self, request: Request) -> Response:
        data = ContentItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.content_item_create(actor=self.staff, request=request, **data.validated_data)
        return Response(ContentItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContentItemInputSerializer, responses={200: ContentItemOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        item = get_object_or_404(self.get_queryset(), pk=pk)
        data = ContentItemInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes: dict[str, Any] = dict(data.validated_data)
        file = changes.pop("file", None)
        item = services.content_item_update(item=item, actor=self.staff, changes=changes, file=file, request=request)
        return Response(ContentItemOutputSerializer(item).data)

    def destroy(self, request: Request, pk: str) -> Response:
        item = get_object_or_404(self.get_queryset(), pk=pk)
        services.content_item_delete(item=item, actor=self.staff, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
