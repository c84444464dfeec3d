"""Campaign API: head office and branch managers build and schedule, compliance reviews.

Every member of staff may read the campaigns that reach them; each change is a service
call, so the status rules and the audit are the same as on the pages.
"""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns import selectors, services
from campaigns.audience.selectors import audience_preview
from campaigns.dispatch.selectors import campaign_progress, rm_open_tasks, task_text
from campaigns.dispatch.services import campaign_remind, campaign_stop
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignPurpose,
    CampaignStatus,
    CampaignTask,
    Recurrence,
    ScheduleKind,
)
from campaigns.models.campaign import HOLDOUT_PERCENT_MAX, VARIANT_ATTACHMENTS_MAX, VARIANT_LABELS
from campaigns.results.selectors import campaign_results
from campaigns.results.services import campaign_recipients_export
from customers.models import ProductType
from customers.segments.export import ExportFormat
from scrm.org.api_base import StaffApiView
from scrm.org.permissions import IsActiveStaff, role_required
from scrm.org.roles import Role

BuildsCampaigns = role_required(Role.HQ_ADMIN, Role.BRANCH_MANAGER)
ReviewsCampaigns = role_required(Role.COMPLIANCE)
SeesAudiences = role_required(Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.COMPLIANCE)


class VariantSerializer(serializers.Serializer):
    # The metaclass takes declared fields out of the class, so this does not shadow Field.label.
    label = serializers.ChoiceField(choices=VARIANT_LABELS)  # type: ignore[assignment]
    weight = serializers.IntegerField(min_value=1, max_value=100, help_text="Share of the audience, in percent.")
    text = serializers.CharField(max_length=services.MESSAGE_TEXT_MAX_BYTES, allow_blank=True)
    attachment_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=VARIANT_ATTACHMENTS_MAX,
        default=list,
        help_text="Content library items sent with the text, in order (at most nine).",
    )


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CampaignOutputSerializer(serializers.ModelSerializer):
    segment = NamedSerializer()
    owner_branch = NamedSerializer()
    branch_ids = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display")
    created_by = serializers.CharField(source="created_by.name")
    reviewed_by = serializers.CharField(source="reviewed_by.name", default=None)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "purpose",
            "kind",
            "status",
            "status_label",
            "segment",
            "owner_branch",
            "branch_ids",
            "schedule_kind",
            "start_at",
            "recurrence",
            "recurrence_until",
            "holdout_percent",
            "target_product_types",
            "attribution_days",
            "result_days",
            "variants",
            "revision",
            "approved_revision",
            "review_note",
            "created_by",
            "reviewed_by",
            "submitted_at",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(VariantSerializer(many=True))
    def get_variants(self, campaign: Campaign) -> list[dict[str, Any]]:
        return [
            {
                "label": variant.label,
                "weight": variant.weight,
                "text": variant.text,
                "attachment_ids": [link.item_id for link in variant.attachment_links.order_by("position")],
            }
            for variant in campaign.variants.all()
        ]

    def get_branch_ids(self, campaign: Campaign) -> list[int]:
        return sorted(branch.pk for branch in campaign.branches.all())


class CampaignInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=services.NAME_MAX_LENGTH)
    purpose = serializers.ChoiceField(choices=CampaignPurpose.choices)
    kind = serializers.ChoiceField(choices=CampaignKind.choices)
    segment_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    branch_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), max_length=100, default=list
    )
    schedule_kind = serializers.ChoiceField(choices=ScheduleKind.choices, default=ScheduleKind.NOW)
    start_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, required=False, allow_blank=True, default="")
    recurrence_until = serializers.DateField(required=False, allow_null=True, default=None)
    holdout_percent = serializers.IntegerField(min_value=0, max_value=HOLDOUT_PERCENT_MAX, default=0)
    target_product_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ProductType.choices), max_length=len(ProductType.choices), default=list
    )
    attribution_days = serializers.IntegerField(min_value=1, max_value=services.ATTRIBUTION_DAYS_MAX, default=30)
    result_days = serializers.IntegerField(min_value=1, max_value=services.RESULT_DAYS_MAX, default=7)
    variants = VariantSerializer(many=True)

    def validate_variants(self, variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(variants) > len(VARIANT_LABELS):
            raise serializers.ValidationError(_("A campaign has one to four variants."))
        return variants

    def draft(self) -> services.CampaignDraft:
        data = dict(self.validated_data)
        variants = [
            services.VariantDraft(**{**variant, "attachment_ids": tuple(variant["attachment_ids"])})
            for variant in data.pop("variants")
        ]
        return services.CampaignDraft(variants=variants, **data)


class AudiencePreviewSerializer(serializers.Serializer):
    segment_size = serializers.IntegerField(help_text="Members of the segment today.")
    recipients = serializers.IntegerField(help_text="Would be sent to now.")
    exclusions = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Left out, by reason: out_of_scope, no_consent, no_relation, capped, quota, holdout.",
    )
    by_variant = serializers.DictField(child=serializers.IntegerField(), help_text="Recipients per variant.")


class SenderProgressSerializer(serializers.Serializer):
    sender_id = serializers.IntegerField()
    sender_name = serializers.CharField()
    tasks = serializers.IntegerField(help_text="WeCom tasks created for this RM.")
    confirmed = serializers.IntegerField(help_text="Tasks the RM has sent in WeCom.")
    recipients = serializers.IntegerField()
    sent = serializers.IntegerField()
    not_friend = serializers.IntegerField()
    over_quota = serializers.IntegerField()


class RemindedSerializer(serializers.Serializer):
    reminded = serializers.IntegerField(help_text="Tasks reminded now (WeCom allows three per task a day).")


class TaskOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(
        source="occurrence.campaign.kind", help_text="customers or groups: confirm the mass send; moments: publish."
    )
    msgid = serializers.CharField(help_text="The mass-send task's id; empty for a moment.")
    moment_id = serializers.CharField(help_text="The moment to publish; empty for a mass send.")
    campaign_id = serializers.IntegerField(source="occurrence.campaign_id")
    campaign_name = serializers.CharField(source="occurrence.campaign.name")
    variant = serializers.CharField()
    text = serializers.SerializerMethodField()
    recipient_count = serializers.IntegerField(help_text="Customers, or customer groups, in the task; 0 for a moment.")
    created_at = serializers.DateTimeField()

    def get_text(self, task: CampaignTask) -> str:
        return task_text(task)


class GroupResultSerializer(serializers.Serializer):
    group = serializers.CharField(source="label", help_text="A variant's label, or holdout.")
    assigned = serializers.IntegerField()
    delivered = serializers.IntegerField()
    converted = serializers.IntegerField(help_text="Bought a target product within the attribution window.")
    rate = serializers.FloatField(allow_null=True)


class CampaignResultsSerializer(serializers.Serializer):
    variants = GroupResultSerializer(many=True)
    holdout = GroupResultSerializer()
    uplift = serializers.FloatField(allow_null=True, help_text="Treated conversion rate minus the holdout's.")
    uplift_interval = serializers.ListField(child=serializers.FloatField(), allow_null=True, help_text="95 %.")
    ab_p_value = serializers.FloatField(allow_null=True, help_text="Chi-square test of the variants.")
    winner = serializers.CharField(allow_null=True, help_text="Only when p < 0.05.")
    attributed_purchases = serializers.IntegerField(help_text="Purchases this campaign touched last.")
    attributed_amount = serializers.DecimalField(max_digits=20, decimal_places=2)


class ReviewNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services.REVIEW_NOTE_MAX_LENGTH, allow_blank=True, default="")


class RejectionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REVIEW_NOTE_MAX_LENGTH)


class CancellationSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REVIEW_NOTE_MAX_LENGTH, allow_blank=True, default="")


class CampaignViewSet(StaffApiView, viewsets.GenericViewSet):
    """营销活动: draft → in review → approved or rejected → scheduled → dispatching → sent → completed."""

    # Ids are numbers: anything else is no route at all (404), never a failed lookup.
    lookup_value_regex = "[0-9]+"
    serializer_class = CampaignOutputSerializer

    def get_permissions(self) -> list[Any]:
        if self.action in ("approve", "reject"):
            return [ReviewsCampaigns()]
        if self.action in ("audience", "progress", "results", "recipients"):
            return [SeesAudiences()]
        if self.action in ("create", "update", "submit", "schedule", "cancel", "remind"):
            return [BuildsCampaigns()]
        return [IsActiveStaff()]

    def get_queryset(self) -> Any:
        params = self.request.GET
        return selectors.campaigns_list(
            user=self.request.user, status=params.get("status", ""), query=params.get("q", "")
        )

    def _answer(self, campaign_id: int, *, code: int = status.HTTP_200_OK) -> Response:
        try:
            campaign = selectors.campaign_get(user=self.request.user, campaign_id=campaign_id)
        except Campaign.DoesNotExist as error:
            raise NotFound from error
        return Response(CampaignOutputSerializer(campaign).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=CampaignStatus.values, description="Only this status."),
            OpenApiParameter("q", OpenApiTypes.STR, description="Words in the name."),
        ]
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CampaignOutputSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(int(pk))

    @extend_schema(responses={200: AudiencePreviewSerializer})
    @action(detail=True, methods=["get"])
    def audience(self, request: Request, pk: str) -> Response:
        """The audience as dispatch would resolve it now: recipients by variant, the rest by reason."""
        try:
            campaign = selectors.campaign_get(user=request.user, campaign_id=int(pk))
        except Campaign.DoesNotExist as error:
            raise NotFound from error
        return Response(AudiencePreviewSerializer(audience_preview(campaign)).data)

    @extend_schema(request=CampaignInputSerializer, responses={201: CampaignOutputSerializer})
    def create(self, request: Request) -> Response:
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_create(actor=self.staff, draft=data.draft(), request=request)
        return self._answer(campaign.pk, code=status.HTTP_201_CREATED)

    @extend_schema(
        request=CampaignInputSerializer,
        responses={200: CampaignOutputSerializer},
        description="A new revision. Under review it returns to draft; approved or scheduled, to review.",
    )
    def update(self, request: Request, pk: str) -> Response:
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.campaign_update(actor=self.staff, campaign_id=int(pk), draft=data.draft(), request=request)
        return self._answer(int(pk))

    @extend_schema(request=None, responses={200: CampaignOutputSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        services.campaign_submit(actor=self.staff, campaign_id=int(pk), request=request)
        return self._answer(int(pk))

    @extend_schema(request=ReviewNoteSerializer, responses={200: CampaignOutputSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        data = ReviewNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.campaign_approve(actor=self.staff, campaign_id=int(pk), request=request, **data.validated_data)
        return self._answer(int(pk))

    @extend_schema(request=RejectionSerializer, responses={200: CampaignOutputSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        data = RejectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.campaign_reject(actor=self.staff, campaign_id=int(pk), request=request, **data.validated_data)
        return self._answer(int(pk))

    @extend_schema(request=None, responses={200: CampaignOutputSerializer})
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str) -> Response:
        services.campaign_schedule(actor=self.staff, campaign_id=int(pk), request=request)
        return self._answer(int(pk))

    @extend_schema(request=CancellationSerializer, responses={200: CampaignOutputSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = CancellationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign_stop(actor=self.staff, campaign_id=int(pk), request=request, **data.validated_data)
        return self._answer(int(pk))

    @extend_schema(request=None, responses={200: RemindedSerializer})
    @action(detail=True, methods=["post"])
    def remind(self, request: Request, pk: str) -> Response:
        """Remind the RMs who have not sent their WeCom task yet."""
        return Response({"reminded": campaign_remind(actor=self.staff, campaign_id=int(pk), request=request)})

    @extend_schema(responses={200: CampaignResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str) -> Response:
        """Conversions per variant and for the holdout, the uplift, the A/B winner, attributed purchases."""
        try:
            campaign = selectors.campaign_get(user=request.user, campaign_id=int(pk))
        except Campaign.DoesNotExist as error:
            raise NotFound from error
        return Response(CampaignResultsSerializer(campaign_results(campaign)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("file_format", OpenApiTypes.STR, enum=[f.value for f in ExportFormat], required=True)
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, ExportFormat.XLSX.content_type): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    @action(detail=True, methods=["get"])
    def recipients(self, request: Request, pk: str) -> StreamingHttpResponse:
        """The recipients in the caller's scope as CSV or XLSX, PII masked; audited before the file is made."""
        try:
            campaign = selectors.campaign_get(user=request.user, campaign_id=int(pk))
            file_format = ExportFormat(request.query_params.get("file_format", ""))
        except Campaign.DoesNotExist as error:
            raise NotFound from error
        except ValueError as error:
            raise serializers.ValidationError({"file_format": _("Choose csv or xlsx.")}) from error
        export = campaign_recipients_export(campaign=campaign, user=request.user, format=file_format, request=request)
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=export.filename)
        add_never_cache_headers(response)
        return response

    @extend_schema(responses={200: SenderProgressSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: str) -> Response:
        """Per RM: tasks created and confirmed, and each recipient's outcome as WeCom reports it."""
        try:
            campaign = selectors.campaign_get(user=request.user, campaign_id=int(pk))
        except Campaign.DoesNotExist as error:
            raise NotFound from error
        return Response(SenderProgressSerializer(campaign_progress(campaign=campaign), many=True).data)


class CampaignTaskViewSet(StaffApiView, viewsets.GenericViewSet):
    """The caller's own mass-send tasks still to confirm in WeCom (an RM's to-do list)."""

    serializer_class = TaskOutputSerializer
    # For the schema, which inspects the view without a signed-in caller.
    queryset = CampaignTask.objects.none()

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return rm_open_tasks(staff=self.staff)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TaskOutputSerializer(page, many=True).data)
