"""Churn API: a customer's churn score (scoped), and promotion / rollback of models (HQ admins)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import Customer
from risk.churn import selectors, services
from risk.churn.models import ChurnModel
from scrm.core.serializers import ErrorOutputSerializer
from scrm.org.api_base import StaffApiView
from scrm.org.permissions import IsHqAdmin


class ReasonOutputSerializer(serializers.Serializer):
    feature = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field, not Field.label


class CustomerChurnOutputSerializer(serializers.Serializer):
    customer_no = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="Probability of leaving within the model's horizon.")
    band = serializers.CharField(allow_null=True)
    band_label = serializers.CharField()
    reasons = ReasonOutputSerializer(many=True, help_text="What raises this customer's risk most, first first.")
    scored_on = serializers.DateField(allow_null=True)
    model_version = serializers.IntegerField(allow_null=True)


class CustomerChurnApi(StaffApiView):
    """GET: the customer's latest churn score, band and reasons; ``score`` is null until the first scoring."""

    @extend_schema(responses={200: CustomerChurnOutputSerializer, 404: ErrorOutputSerializer})
    def get(self, request: Request, customer_no: str) -> Response:
        try:
            churn = selectors.customer_churn_get(customer_no=customer_no, viewer=request.user)
        except Customer.DoesNotExist as error:
            raise Http404 from error
        return Response(CustomerChurnOutputSerializer(churn).data)


class ChurnModelOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChurnModel
        fields = ["version", "is_promoted", "promoted_at", "window_start", "window_end", "split_on", "metrics"]


class ChurnModelPromoteApi(StaffApiView):
    """POST: make this version the one nightly scoring uses (HQ admins; audited)."""

    permission_classes = [IsHqAdmin]

    @extend_schema(request=None, responses={200: ChurnModelOutputSerializer, 400: ErrorOutputSerializer})
    def post(self, request: Request, version: int) -> Response:
        model = get_object_or_404(ChurnModel, version=version)
        promoted = services.churn_model_promote(model=model, actor=self.staff, request=request._request)
        return Response(ChurnModelOutputSerializer(promoted).data)


class ChurnModelRollbackApi(StaffApiView):
    """POST: promote again the version promoted before the current one (HQ admins; audited)."""

    permission_classes = [IsHqAdmin]

    @extend_schema(request=None, responses={200: ChurnModelOutputSerializer, 400: ErrorOutputSerializer})
    def post(self, request: Request) -> Response:
        model = services.churn_model_rollback(actor=self.staff, request=request._request)
        return Response(ChurnModelOutputSerializer(model).data)
