"""Segment API: definitions are bank-wide; counts, samples, snapshots and exports are scoped.

Every member of staff may read segment definitions and see how many of *their*
customers a segment holds. HQ admins define any segment and branch managers those of
their subtree, as on the pages; only HQ admins freeze snapshots (the audiences campaigns
send to).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.apis import CustomerProfileOutputSerializer
from customers.models import Segment
from customers.segments.export import ExportFormat
from customers.segments.selectors import (
    segment_list,
    segment_list_editable,
    segment_member_count,
    segment_member_sample,
)
from customers.segments.services import (
    segment_create,
    segment_delete,
    segment_export,
    segment_snapshot_create,
    segment_update,
)
from scrm.core.serializers import ErrorOutputSerializer
from scrm.org.api_base import StaffApiView
from scrm.org.permissions import IsActiveStaff, IsHqAdmin, role_required
from scrm.org.roles import Role


class _DefinitionSchema(serializers.Serializer):
    tags_any = serializers.ListField(child=serializers.CharField(), required=False, help_text="Carries any of these.")
    tags_all = serializers.ListField(child=serializers.CharField(), required=False, help_text="Carries all of these.")
    tags_none = serializers.ListField(child=serializers.CharField(), required=False, help_text="Carries none.")
    rule = serializers.JSONField(required=False, allow_null=True, help_text="A rule in the tag-rule language.")


@extend_schema_field(_DefinitionSchema)
class DefinitionField(serializers.JSONField):
    """Passed through whole: the service validates it and names any unknown key."""


class SegmentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    definition = DefinitionField()


class SegmentOutputSerializer(serializers.ModelSerializer):
    definition = DefinitionField()
    created_by = serializers.CharField(source="created_by.employee_no")

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "definition", "created_by", "created_at", "updated_at"]


class SegmentViewSet(StaffApiView, viewsets.ModelViewSet):
    """Segment definitions. Reading is open to all staff; writing to HQ admins and, for the
    segments built in their subtree, branch managers (``segment_list_editable``)."""

    # Ids are numbers: anything else is no route at all (404), never a failed lookup.
    lookup_value_regex = "[0-9]+"
    serializer_class = SegmentOutputSerializer
    permission_classes = [IsActiveStaff]
    write_permission_classes = [role_required(Role.HQ_ADMIN, Role.BRANCH_MANAGER)]

    def get_queryset(self) -> Any:
        if self.action in ("update", "partial_update", "destroy"):
            # Another subtree's segment is no segment of theirs to change: 404, as on the pages.
            return segment_list_editable(user=self.request.user)
        return segment_list()

    def get_permissions(self) -> Sequence[Any]:
        if self.action in ("create", "update", "partial_update", "destroy"):
            return [permission() for permission in self.write_permission_classes]
        return super().get_permissions()

    @extend_schema(request=SegmentInputSerializer, responses={201: SegmentOutputSerializer, 400: ErrorOutputSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SegmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        segment = segment_create(**serializer.validated_data, actor=self.staff)
        return Response(SegmentOutputSerializer(segment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SegmentInputSerializer, responses={200: SegmentOutputSerializer, 400: ErrorOutputSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        segment = self.get_object()
        serializer = SegmentInputSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        current = {"name": segment.name, "description": segment.description, "definition": segment.definition}
        segment = segment_update(segment=segment, **{**current, **serializer.validated_data}, actor=self.staff)
        return Response(SegmentOutputSerializer(segment).data)

    def perform_destroy(self, instance: Segment) -> None:
        segment_delete(segment=instance, actor=self.staff)


class SegmentCountOutputSerializer(serializers.Serializer):
    segment = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Members within the viewer's data scope.")


class SegmentCountApi(APIView):
    @extend_schema(
        responses={200: SegmentCountOutputSerializer, 400: ErrorOutputSerializer, 404: ErrorOutputSerializer}
    )
    def get(self, request: Request, pk: int) -> Response:
        segment = get_object_or_404(segment_list(), pk=pk)
        count = segment_member_count(segment_or_definition=segment, user=request.user)
        return Response(SegmentCountOutputSerializer({"segment": segment.pk, "count": count}).data)


class SegmentSampleOutputSerializer(serializers.Serializer):
    segment = serializers.IntegerField()
    results = CustomerProfileOutputSerializer(many=True, help_text="The first 20 members by id, masked.")


class SegmentSampleApi(APIView):
    @extend_schema(
        responses={200: SegmentSampleOutputSerializer, 400: ErrorOutputSerializer, 404: ErrorOutputSerializer}
    )
    def get(self, request: Request, pk: int) -> Response:
        segment = get_object_or_404(segment_list(), pk=pk)
        sample = segment_member_sample(segment_or_definition=segment, user=request.user)
        return Response(SegmentSampleOutputSerializer({"segment": segment.pk, "results": sample}).data)


class SegmentPreviewInputSerializer(serializers.Serializer):
    definition = DefinitionField()


class SegmentPreviewOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Members within the viewer's data scope.")
    results = CustomerProfileOutputSerializer(many=True, help_text="The first 20 members by id, masked.")


class SegmentPreviewApi(APIView):
    """Count and sample an unsaved definition, e.g. while building a segment."""

    @extend_schema(
        request=SegmentPreviewInputSerializer,
        responses={200: SegmentPreviewOutputSerializer, 400: ErrorOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = SegmentPreviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        definition = serializer.validated_data["definition"]
        count = segment_member_count(segment_or_definition=definition, user=request.user)
        sample = segment_member_sample(segment_or_definition=definition, user=request.user)
        return Response(SegmentPreviewOutputSerializer({"count": count, "results": sample}).data)


class SegmentSnapshotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    segment = serializers.IntegerField(source="segment_id")
    member_count = serializers.IntegerField()
    created_by = serializers.CharField(source="created_by.employee_no")
    created_at = serializers.DateTimeField()


class SegmentSnapshotCreateApi(StaffApiView):
    """Freeze the segment's current members (within the caller's scope)."""

    permission_classes = [IsHqAdmin]

    @extend_schema(
        request=None,
        responses={
            201: SegmentSnapshotOutputSerializer,
            400: ErrorOutputSerializer,
            403: ErrorOutputSerializer,
            404: ErrorOutputSerializer,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        segment = get_object_or_404(segment_list(), pk=pk)
        snapshot = segment_snapshot_create(segment=segment, actor=self.staff)
        return Response(SegmentSnapshotOutputSerializer(snapshot).data, status=status.HTTP_201_CREATED)


class SegmentExportInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[export_format.value for export_format in ExportFormat])


class _QueryFormatIsTheFileFormat(DefaultContentNegotiation):
    """``?format=`` names the export's file format here, not a DRF renderer; errors stay JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class SegmentExportApi(APIView):
    """The members in the caller's scope as CSV (UTF-8 with BOM) or XLSX; PII masked, audited."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = _QueryFormatIsTheFileFormat

    @extend_schema(
        parameters=[
            OpenApiParameter("format", enum=[export_format.value for export_format in ExportFormat], required=True)
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, ExportFormat.XLSX.content_type): OpenApiResponse(OpenApiTypes.BINARY),
            400: ErrorOutputSerializer,
            404: ErrorOutputSerializer,
        },
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        segment = get_object_or_404(segment_list(), pk=pk)
        params = SegmentExportInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        export = segment_export(
            segment=segment, user=request.user, format=ExportFormat(params.validated_data["format"]), request=request
        )
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=export.filename)
        add_never_cache_headers(response)
        return response
