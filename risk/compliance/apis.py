"""Compliance library API: words, the built-in patterns, and checking a text. HQ admins and compliance only."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from risk.compliance import selectors, services
from risk.compliance.access import LibraryManagers
from risk.compliance.matcher import ContentHit, content_check
from risk.compliance.models import ContentAction, ContentCategory, PiiPattern, SensitiveWord
from scrm.core.serializers import ErrorOutputSerializer
from scrm.org.api_base import StaffApiView

# A check reads what one message, script or campaign text may hold, with room to spare.
CHECK_TEXT_MAX_LENGTH = 20000
_ERRORS = {400: ErrorOutputSerializer, 403: ErrorOutputSerializer}
_NOT_FOUND = {403: ErrorOutputSerializer, 404: ErrorOutputSerializer}


class SensitiveWordOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = SensitiveWord
        fields = ["id", "word", "normalised", "category", "action", "is_active", "note", "created_at", "updated_at"]


class SensitiveWordInputSerializer(serializers.Serializer):
    word = serializers.CharField(max_length=services.WORD_MAX_LENGTH)
    category = serializers.ChoiceField(choices=ContentCategory.choices)
    action = serializers.ChoiceField(choices=ContentAction.choices, default=ContentAction.BLOCK)
    is_active = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=services.NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")


class BulkAddInputSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=services.BULK_MAX_BYTES,
        help_text="One word a line, as CSV: word[,category[,action[,note]]]. Category and action by code or label.",
    )
    default_category = serializers.ChoiceField(choices=ContentCategory.choices, default=ContentCategory.CUSTOM)
    default_action = serializers.ChoiceField(choices=ContentAction.choices, default=ContentAction.BLOCK)


class BulkLineErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    text = serializers.CharField()
    reason = serializers.CharField()


class BulkAddOutputSerializer(serializers.Serializer):
    created = SensitiveWordOutputSerializer(many=True)


class BulkAddErrorExtraSerializer(serializers.Serializer):
    lines = BulkLineErrorSerializer(many=True, required=False, help_text="Each bad line, when lines were refused.")
    # The metaclass takes declared fields out of the class, so this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Each invalid field, when the request itself was."
    )
    field = serializers.CharField(required=False, help_text="The field a refusal is about.")


class BulkAddErrorSerializer(serializers.Serializer):
    """The API's error shape, with every bad line and its reason in ``extra.lines``."""

    message = serializers.CharField()
    extra = BulkAddErrorExtraSerializer()


class PiiPatternOutputSerializer(serializers.Serializer):
    pattern = serializers.ChoiceField(choices=PiiPattern.choices)
    name = serializers.CharField(source="label", help_text="The pattern's name in the reader's language.")
    category = serializers.CharField()
    action = serializers.ChoiceField(choices=ContentAction.choices)
    is_active = serializers.BooleanField()


class PiiPatternInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ContentAction.choices)
    is_active = serializers.BooleanField(default=True)


class CheckInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=CHECK_TEXT_MAX_LENGTH, allow_blank=True, trim_whitespace=False)


class LibraryEntryOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["word", "pattern"])
    term = serializers.CharField()
    word_id = serializers.IntegerField(allow_null=True)


class ContentHitOutputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=ContentCategory.choices)
    action = serializers.ChoiceField(choices=ContentAction.choices)
    start = serializers.IntegerField(help_text="Index of the first character in the text sent.")
    end = serializers.IntegerField(help_text="Index after the last character: text[start:end] == matched.")
    matched = serializers.CharField()
    entry = LibraryEntryOutputSerializer()


class CheckOutputSerializer(serializers.Serializer):
    blocked = serializers.BooleanField(help_text="Whether any hit's action is block.")
    hits = ContentHitOutputSerializer(many=True)


def hits_payload(hits: list[ContentHit]) -> dict[str, Any]:
    return {"blocked": any(hit.blocks for hit in hits), "hits": ContentHitOutputSerializer(hits, many=True).data}


def _query_bool(value: str | None) -> bool | None:
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    return None


class SensitiveWordViewSet(StaffApiView, viewsets.GenericViewSet):
    """The sensitive-word library (敏感词库). Deleting a word is audited; deactivating keeps it for the record."""

    # Ids are numbers: anything else is no route at all (404), never a failed lookup.
    lookup_value_regex = "[0-9]+"
    permission_classes = [LibraryManagers]
    serializer_class = SensitiveWordOutputSerializer

    def get_queryset(self) -> Any:
        params = self.request.GET
        category = params.get("category", "")
        action = params.get("action", "")
        return selectors.sensitive_words_list(
            query=params.get("q", "")[:100],
            category=category if category in ContentCategory.values else "",
            action=action if action in ContentAction.values else "",
            is_active=_query_bool(params.get("is_active")),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Part of the word (as written or normalised) or note."),
            OpenApiParameter("category", OpenApiTypes.STR, enum=ContentCategory.values),
            OpenApiParameter("action", OpenApiTypes.STR, enum=ContentAction.values),
            OpenApiParameter("is_active", OpenApiTypes.BOOL),
        ],
        responses={200: SensitiveWordOutputSerializer(many=True), 403: ErrorOutputSerializer},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SensitiveWordOutputSerializer(page, many=True).data)

    @extend_schema(
        responses={200: SensitiveWordOutputSerializer, 403: ErrorOutputSerializer, 404: ErrorOutputSerializer}
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(SensitiveWordOutputSerializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    @extend_schema(request=SensitiveWordInputSerializer, responses={201: SensitiveWordOutputSerializer, **_ERRORS})
    def create(self, request: Request) -> Response:
        data = SensitiveWordInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.sensitive_word_create(actor=self.staff, request=request, **data.validated_data)
        return Response(SensitiveWordOutputSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SensitiveWordInputSerializer,
        responses={200: SensitiveWordOutputSerializer, **_ERRORS, 404: ErrorOutputSerializer},
    )
    def update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        request=SensitiveWordInputSerializer,
        responses={200: SensitiveWordOutputSerializer, **_ERRORS, 404: ErrorOutputSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: str, *, partial: bool) -> Response:
        entry = get_object_or_404(self.get_queryset(), pk=pk)
        data = SensitiveWordInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        entry = services.sensitive_word_update(
            entry=entry, actor=self.staff, changes=dict(data.validated_data), request=request
        )
        return Response(SensitiveWordOutputSerializer(entry).data)

    @extend_schema(responses={204: None, 403: ErrorOutputSerializer, 404: ErrorOutputSerializer})
    def destroy(self, request: Request, pk: str) -> Response:
        entry = get_object_or_404(self.get_queryset(), pk=pk)
        services.sensitive_word_delete(entry=entry, actor=self.staff, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SensitiveWordBulkAddApi(StaffApiView):
    """Add many words at once, all or none: a bad line answers 400 with every bad line and its reason."""

    permission_classes = [LibraryManagers]

    @extend_schema(
        request=BulkAddInputSerializer,
        responses={201: BulkAddOutputSerializer, 400: BulkAddErrorSerializer, 403: ErrorOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = BulkAddInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.sensitive_words_bulk_add(actor=self.staff, request=request, **data.validated_data)
        if result.errors:
            body = {
                "message": services.bulk_errors_message(len(result.errors)),
                "extra": {"lines": BulkLineErrorSerializer(result.errors, many=True).data},
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": SensitiveWordOutputSerializer(result.created, many=True).data}, status=status.HTTP_201_CREATED
        )


class PiiPatternListApi(StaffApiView):
    """The built-in personal-information patterns (mobile, ID and bank card numbers) and what each does."""

    permission_classes = [LibraryManagers]

    @extend_schema(responses={200: PiiPatternOutputSerializer(many=True), 403: ErrorOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(PiiPatternOutputSerializer(selectors.pii_patterns_list(), many=True).data)


class PiiPatternUpdateApi(StaffApiView):
    """Set a pattern's action (review by default) and whether it runs."""

    permission_classes = [LibraryManagers]

    @extend_schema(
        parameters=[OpenApiParameter("pattern", OpenApiTypes.STR, OpenApiParameter.PATH, enum=PiiPattern.values)],
        request=PiiPatternInputSerializer,
        responses={200: PiiPatternOutputSerializer, **_ERRORS, 404: ErrorOutputSerializer},
    )
    def put(self, request: Request, pattern: str) -> Response:
        if pattern not in PiiPattern.values:
            return Response({"message": "Not found.", "extra": {}}, status=status.HTTP_404_NOT_FOUND)
        data = PiiPatternInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.pii_pattern_update(pattern=pattern, actor=self.staff, request=request, **data.validated_data)
        [state] = [state for state in selectors.pii_patterns_list() if state.pattern == pattern]
        return Response(PiiPatternOutputSerializer(state).data)


class ContentCheckApi(StaffApiView):
    """Check a text against the current library: every hit, in positions of the text sent."""

    permission_classes = [LibraryManagers]

    @extend_schema(request=CheckInputSerializer, responses={200: CheckOutputSerializer, **_ERRORS})
    def post(self, request: Request) -> Response:
        data = CheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(hits_payload(content_check(data.validated_data["text"])))
