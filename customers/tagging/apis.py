"""Tag API: the catalogue, tagging customers, rules with preview, and batch runs."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer, Tag, TagGroup, TagKind, TagRuleRun
from customers.pii import pii_masked
from customers.rules import RuleError
from customers.search.apis import CustomerSearchFiltersInputSerializer
from customers.search.selectors import customer_search
from customers.selectors import customer_list_visible
from customers.tagging import selectors, services
from scrm.core.exceptions import ApplicationError
from scrm.org.api_base import StaffApiView
from scrm.org.models import Role
from scrm.org.permissions import IsHqAdmin, role_required
from scrm.pii import PiiKind

# Who may put manual tags on the customers they can see.
Taggers = role_required(Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM)


class TagGroupOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TagGroup
        fields = ["id", "code", "name", "description", "exclusive", "kind", "color", "sort_order"]


class TagOutputSerializer(serializers.ModelSerializer):
    group_code = serializers.CharField(source="group.code")
    rule = serializers.SerializerMethodField()

    class Meta:
        model = Tag
        fields = ["id", "code", "name", "group_code", "kind", "color", "description", "is_active", "rule"]

    def get_rule(self, tag: Tag) -> dict[str, Any] | None:
        rule = getattr(tag, "rule", None)
        if rule is None:
            return None
        return {
            "definition": rule.definition,
            "is_active": rule.is_active,
            "last_evaluated_at": rule.last_evaluated_at,
            "last_match_count": rule.last_match_count,
        }


class TagGroupViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TagGroupOutputSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[TagGroup]:
        return selectors.tag_groups_list()


class TagGroupCreateApi(StaffApiView):
    """Create a tag group (audited); without a code one is generated."""

    permission_classes = [IsHqAdmin]

    class TagGroupCreateInputSerializer(serializers.Serializer):
        code = serializers.SlugField(max_length=64, required=False, default="")
        name = serializers.CharField(max_length=64)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        exclusive = serializers.BooleanField(default=False)
        kind = serializers.ChoiceField(choices=TagKind.choices, default=TagKind.MANUAL)
        color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", default="#1f6feb")

    @extend_schema(request=TagGroupCreateInputSerializer, responses={201: TagGroupOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.TagGroupCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = services.tag_group_create(actor=self.staff, **serializer.validated_data)
        return Response(TagGroupOutputSerializer(group).data, status=status.HTTP_201_CREATED)


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TagOutputSerializer
    lookup_field = "code"
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self) -> QuerySet[Tag]:
        return selectors.tags_list()


class TagCreateApi(StaffApiView):
    """Create a tag (audited); without a code one is generated, without a kind or colour the group's."""

    permission_classes = [IsHqAdmin]

    class TagCreateInputSerializer(serializers.Serializer):
        group_code = serializers.SlugRelatedField(slug_field="code", queryset=TagGroup.objects.all(), source="group")
        code = serializers.SlugField(max_length=64, required=False, default="")
        name = serializers.CharField(max_length=64)
        kind = serializers.ChoiceField(choices=TagKind.choices, required=False)
        color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
        description = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=TagCreateInputSerializer, responses={201: TagOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.TagCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = services.tag_create(actor=self.staff, **serializer.validated_data)
        return Response(TagOutputSerializer(tag).data, status=status.HTTP_201_CREATED)


class TaggingOutputSerializer(serializers.Serializer):
    tagged = serializers.IntegerField()
    untagged = serializers.IntegerField()


class TaggingInputSerializer(serializers.Serializer):
    customer_nos = serializers.ListField(
        child=serializers.CharField(max_length=32),
        min_length=1,
        max_length=10_000,
        required=False,
        help_text="The customers, by customer number. Give this or filters.",
    )
    filters = CustomerSearchFiltersInputSerializer(
        required=False,
        help_text="Every customer in the caller's scope matching these customer-search filters. "
        "Give this or customer_nos.",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("customer_nos" in data) == ("filters" in data):
            raise serializers.ValidationError(_("Give either customer_nos or filters."))
        return data


def _selected_customers(request: Request, data: dict[str, Any]) -> QuerySet[Customer]:
    """The customers named by number or found by the search, always within the caller's scope."""
    if "filters" in data:
        return customer_search(user=request.user, filters=data["filters"])
    return customer_list_visible(user=request.user).filter(customer_no__in=data["customer_nos"])


class _TaggingApi(StaffApiView):
    """Put a manual tag on, or take it off, customers the caller can see; others are out of reach.

    The customers are named by ``customer_nos`` or found by ``filters`` (the customer search).
    """

    permission_classes = [Taggers]
    change = staticmethod(services.customer_tags_assign)

    @extend_schema(request=TaggingInputSerializer, responses=TaggingOutputSerializer)
    def post(self, request: Request, code: str) -> Response:
        tag = get_object_or_404(selectors.tags_list(), code=code)
        serializer = TaggingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = self.change(
            customers=_selected_customers(request, serializer.validated_data),
            tag=tag,
            actor=self.staff,
            reason=serializer.validated_data["reason"],
        )
        return Response(TaggingOutputSerializer(result).data)


class TagAssignApi(_TaggingApi):
    change = staticmethod(services.customer_tags_assign)


class TagRemoveApi(_TaggingApi):
    change = staticmethod(services.customer_tags_remove)


class RuleDefinitionInputSerializer(serializers.Serializer):
    definition = serializers.JSONField()


class RulePreviewOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    sample = serializers.ListField(child=serializers.DictField())


class TagRuleSaveApi(StaffApiView):
    """Create or replace the rule of a rule tag; an invalid rule answers 400 with the reason."""

    permission_classes = [IsHqAdmin]

    class TagRuleSaveInputSerializer(RuleDefinitionInputSerializer):
        is_active = serializers.BooleanField(default=True)

    @extend_schema(request=TagRuleSaveInputSerializer, responses=TagOutputSerializer)
    def put(self, request: Request, code: str) -> Response:
        tag = get_object_or_404(selectors.tags_list(), code=code)
        serializer = self.TagRuleSaveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.tag_rule_save(tag=tag, actor=self.staff, **serializer.validated_data)
        return Response(TagOutputSerializer(selectors.tags_list().get(pk=tag.pk)).data)


class TagRulePreviewApi(APIView):
    """How many customers (in the caller's scope) a rule would select today, and a masked sample."""

    permission_classes = [IsHqAdmin]

    @extend_schema(request=RuleDefinitionInputSerializer, responses=RulePreviewOutputSerializer)
    def post(self, request: Request) -> Response:
        serializer = RuleDefinitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            preview = selectors.tag_rule_preview(definition=serializer.validated_data["definition"], user=request.user)
        except RuleError as error:
            raise ApplicationError(_("Invalid rule: %(error)s") % {"error": error}, extra=error.as_extra()) from error
        sample = [
            {
                "customer_no": customer.customer_no,
                "name_masked": pii_masked(customer.name_cipher, kind=PiiKind.NAME),
                "branch_code": customer.branch.code,
                "aum": str(customer.aum),
            }
            for customer in preview.sample
        ]
        return Response({"count": preview.count, "sample": sample})


class TagRuleRunOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TagRuleRun
        fields = [
            "id",
            "status",
            "evaluation_date",
            "rule_count",
            "ranges_total",
            "ranges_done",
            "tags_added",
            "tags_removed",
            "created_at",
            "finished_at",
        ]


class TagRuleRunStartApi(StaffApiView):
    """Re-evaluate every active rule over all customers now, on the bulk queue."""

    permission_classes = [IsHqAdmin]

    @extend_schema(request=None, responses={202: TagRuleRunOutputSerializer})
    def post(self, request: Request) -> Response:
        with transaction.atomic():
            run = services.tag_rule_run_start(triggered_by=self.staff)
        return Response(TagRuleRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class TagRuleRunDetailApi(APIView):
    permission_classes = [IsHqAdmin]

    @extend_schema(responses=TagRuleRunOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        run = get_object_or_404(TagRuleRun, pk=pk)
        return Response(TagRuleRunOutputSerializer(run).data)
