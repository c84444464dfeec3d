"""Violation queue API: compliance reviews; HQ admins and branch managers (their subtree) read; RMs are refused."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from risk.compliance.violations import selectors, services
from risk.compliance.violations.access import QueueReaders, Rescanners, Reviewers
from risk.compliance.violations.models import RescanRun, Rule, Severity, Violation, ViolationStatus
from scrm.core.pagination import KeysetPagination
from scrm.core.serializers import ErrorOutputSerializer
from scrm.org.api_base import StaffApiView

_ERRORS = {400: ErrorOutputSerializer, 403: ErrorOutputSerializer, 404: ErrorOutputSerializer}


class NewestFirstPagination(KeysetPagination):
    ordering = "-id"


class ViolationOutputSerializer(serializers.ModelSerializer):
    staff_name = serializers.CharField(source="staff.name", default="", read_only=True)
    branch_name = serializers.CharField(source="branch.name", default="", read_only=True)
    assignee_name = serializers.CharField(source="assignee.name", default="", read_only=True)

    class Meta:
        model = Violation
        fields = [
            "id",
            "rule",
            "category",
            "severity",
            "entry",
            "matched_text",
            "context_before",
            "context_after",
            "match_start",
            "match_end",
            "hit_count",
            "message_id",
            "message_sent_at",
            "chat",
            "staff",
            "staff_name",
            "customer",
            "branch",
            "branch_name",
            "status",
            "assignee",
            "assignee_name",
            "reviewer",
            "review_reason",
            "reviewed_at",
            "detected_at",
            "library_version",
        ]


class ConversationLineSerializer(serializers.Serializer):
    message_id = serializers.IntegerField()
    sent_at = serializers.DateTimeField()
    sender_kind = serializers.CharField()
    msgtype = serializers.CharField()
    text = serializers.CharField(help_text="Phone, ID and card numbers masked.")
    is_hit = serializers.BooleanField()


class ViolationDetailSerializer(serializers.Serializer):
    violation = ViolationOutputSerializer()
    conversation = ConversationLineSerializer(many=True)


class AssignInputSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, help_text="A compliance officer's staff id; null unassigns.")


class ReviewInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["confirm", "dismiss"])
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH, allow_blank=True)


class RmFiguresSerializer(serializers.Serializer):
    staff_id = serializers.IntegerField()
    name = serializers.CharField()
    branch_name = serializers.CharField()
    confirmed = serializers.IntegerField()
    open = serializers.IntegerField()
    dismissed = serializers.IntegerField()
    deleted_customers = serializers.IntegerField(help_text="Customers the RM deleted on WeCom.")
    deleted_by_customers = serializers.IntegerField(help_text="Customers who deleted the RM on WeCom.")


class RescanOutputSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    done_chunks = serializers.SerializerMethodField()

    class Meta:
        model = RescanRun
        fields = [
            "id",
            "library_version",
            "status",
            "total_chunks",
            "done_chunks",
            "progress_percent",
            "violations_added",
            "started_at",
            "finished_at",
        ]

    def get_done_chunks(self, run: RescanRun) -> int:
        return len(run.done_chunks)


class RescanLatestSerializer(serializers.Serializer):
    latest = RescanOutputSerializer(allow_null=True, help_text="The latest rescan; null before the first.")


_FILTERS = [
    OpenApiParameter("branch", OpenApiTypes.INT, description="A branch id: its whole subtree."),
    OpenApiParameter("severity", OpenApiTypes.STR, enum=Severity.values),
    OpenApiParameter("rule", OpenApiTypes.STR, enum=Rule.values),
    OpenApiParameter("status", OpenApiTypes.STR, enum=ViolationStatus.values),
    OpenApiParameter("assignee", OpenApiTypes.STR, description="A staff id, 'me' or 'none'."),
    OpenApiParameter("staff", OpenApiTypes.INT, description="The RM's staff id."),
]


class ViolationListApi(StaffApiView, GenericAPIView):
    """The violation queue, newest first, within the caller's scope; bad filter values answer 400."""

    permission_classes = [QueueReaders]
    serializer_class = ViolationOutputSerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self) -> Any:
        filters = selectors.violation_filters_parse(params=self.request.GET, user=self.request.user)
        return selectors.violations_list(user=self.request.user, filters=filters)

    @extend_schema(parameters=_FILTERS, responses={200: ViolationOutputSerializer(many=True), **_ERRORS})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ViolationOutputSerializer(page, many=True).data)


def _violation(request: Request, pk: int) -> Violation:
    try:
        return selectors.violation_get(user=request.user, violation_id=pk)
    except Violation.DoesNotExist as error:
        from rest_framework.exceptions import NotFound

        raise NotFound from error


class ViolationDetailApi(StaffApiView):
    """One violation and the conversation around it, personal information masked."""

    permission_classes = [QueueReaders]

    @extend_schema(responses={200: ViolationDetailSerializer, **_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        violation = _violation(request, pk)
        conversation = selectors.violation_conversation(violation=violation)
        return Response(
            {
                "violation": ViolationOutputSerializer(violation).data,
                "conversation": ConversationLineSerializer(conversation, many=True).data,
            }
        )


class ViolationAssignApi(StaffApiView):
    """Give an open violation to a compliance officer (audited)."""

    permission_classes = [Reviewers]

    @extend_schema(request=AssignInputSerializer, responses={200: ViolationOutputSerializer, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        violation = _violation(request, pk)
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        violation = services.violation_assign(
            violation_id=violation.pk, assignee_id=data.validated_data["assignee"], actor=self.staff, request=request
        )
        return Response(
            ViolationOutputSerializer(selectors.violation_get(user=request.user, violation_id=violation.pk)).data
        )


class ViolationReviewApi(StaffApiView):
    """Confirm or dismiss an open violation with a reason (required; audited)."""

    permission_classes = [Reviewers]

    @extend_schema(request=ReviewInputSerializer, responses={200: ViolationOutputSerializer, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        violation = _violation(request, pk)
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        violation = services.violation_review(
            violation_id=violation.pk, actor=self.staff, request=request, **data.validated_data
        )
        return Response(
            ViolationOutputSerializer(selectors.violation_get(user=request.user, violation_id=violation.pk)).data
        )


class RmFiguresApi(StaffApiView):
    """Per member of staff in the caller's scope: violations by status, WeCom deletions by direction."""

    permission_classes = [QueueReaders]

    @extend_schema(
        parameters=[OpenApiParameter("branch", OpenApiTypes.INT, description="A branch id: its whole subtree.")],
        responses={200: RmFiguresSerializer(many=True), **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = selectors.violation_filters_parse(params={"branch": request.GET.get("branch", "")}, user=request.user)
        figures = selectors.rm_figures(user=request.user, branch=filters.branch)
        return Response(RmFiguresSerializer(figures, many=True).data)


class RescanApi(StaffApiView):
    """The latest rescan's progress (GET), or start a rescan of the archive with the current library (POST)."""

    permission_classes = [Rescanners]

    @extend_schema(responses={200: RescanLatestSerializer, 403: ErrorOutputSerializer})
    def get(self, request: Request) -> Response:
        run = selectors.rescan_latest()
        return Response({"latest": RescanOutputSerializer(run).data if run is not None else None})

    @extend_schema(request=None, responses={202: RescanOutputSerializer, 403: ErrorOutputSerializer})
    def post(self, request: Request) -> Response:
        run = services.violations_rescan_start(actor=self.staff, request=request)
        return Response(RescanOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)
