"""Import API: upload an extract (202, processed on the bulk queue), follow it, fetch its error report.

HQ admins only. A job id that does not exist — or that the caller may not see — is 404.
"""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.imports.responses import error_report_response
from customers.imports.selectors import IMPORT_ROLES, import_job_list_visible, import_job_progress
from customers.imports.services import import_job_create
from customers.models import ImportJob, ImportKind, ImportMode, JobStatus
from scrm.core.serializers import ErrorOutputSerializer
from scrm.org.api_base import StaffApiView
from scrm.org.permissions import role_required


class ImportJobCreateInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The extract: .csv (UTF-8 or GB18030) or .xlsx; see docs/imports.md.")
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.VALID_ROWS)
    dry_run = serializers.BooleanField(default=False, help_text="Report what would change; write nothing.")


class ImportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    mode = serializers.ChoiceField(choices=ImportMode.choices)
    dry_run = serializers.BooleanField()
    file_name = serializers.CharField(source="original_name")
    status = serializers.ChoiceField(choices=JobStatus.choices)
    total_rows = serializers.IntegerField(help_text="An estimate while the job runs; exact once it has finished.")
    processed_rows = serializers.IntegerField()
    percent = serializers.SerializerMethodField(help_text="Rows processed, in per cent of the (estimated) total.")
    created_count = serializers.IntegerField(help_text="For a dry run: how many would be created.")
    updated_count = serializers.IntegerField(help_text="For a dry run: how many would be updated.")
    unchanged_count = serializers.SerializerMethodField(help_text="Valid rows that matched what is stored.")
    error_count = serializers.IntegerField(help_text="Rows rejected; the error report names each row and reason.")
    message = serializers.CharField()
    created_by = serializers.CharField(source="created_by.employee_no")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error_report_url = serializers.SerializerMethodField()

    def get_percent(self, job: ImportJob) -> int:
        return import_job_progress(job=job).percent

    def get_unchanged_count(self, job: ImportJob) -> int:
        return import_job_progress(job=job).unchanged

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_error_report_url(self, job: ImportJob) -> str | None:
        if not job.error_report:
            return None
        return self.context["request"].build_absolute_uri(reverse("api:customer-import-errors", kwargs={"pk": job.pk}))


def _output(job: ImportJob, request: Request) -> dict:
    return ImportJobOutputSerializer(job, context={"request": request}).data


class ImportJobCreateApi(StaffApiView):
    """Upload an extract. The header is checked at once; the rows are processed by a worker."""

    permission_classes = [role_required(*IMPORT_ROLES)]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ImportJobCreateInputSerializer},
        responses={202: ImportJobOutputSerializer, 400: ErrorOutputSerializer, 403: ErrorOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = ImportJobCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        job = import_job_create(
            file=upload,
            original_name=upload.name,
            kind=ImportKind(serializer.validated_data["kind"]),
            mode=ImportMode(serializer.validated_data["mode"]),
            dry_run=serializer.validated_data["dry_run"],
            actor=self.staff,
        )
        return Response(_output(job, request), status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(APIView):
    """One import: status, progress and counts. Poll it until ``status`` is succeeded or failed."""

    permission_classes = [role_required(*IMPORT_ROLES)]

    @extend_schema(responses={200: ImportJobOutputSerializer, 403: ErrorOutputSerializer, 404: ErrorOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        job = get_object_or_404(import_job_list_visible(user=request.user), pk=pk)
        return Response(_output(job, request))


class ImportJobErrorReportApi(APIView):
    """The error report: CSV (UTF-8 with BOM) of row, column, value (personal data masked) and reason."""

    permission_classes = [role_required(*IMPORT_ROLES)]

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The error report."),
            403: ErrorOutputSerializer,
            404: ErrorOutputSerializer,
        }
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        job = get_object_or_404(import_job_list_visible(user=request.user), pk=pk)
        return error_report_response(job)
