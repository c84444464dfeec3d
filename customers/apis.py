"""Customer API: masked profiles in the viewer's scope, and the audited reveal of one value.

A customer outside the viewer's scope does not exist for them: 404, never 403.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer, Gender, LifecycleStage, RiskLevel
from customers.pii import PII_REVEAL_ROLES
from customers.selectors import customer_360, customer_list_visible, customer_profile, customer_profile_list
from customers.services import PURPOSE_MAX_LENGTH, customer_reveal_pii
from customers.timeline.apis import TimelineEventOutputSerializer
from scrm.core.serializers import ErrorOutputSerializer
from scrm.org.permissions import role_required
from scrm.pii import PiiKind


class CustomerProfileOutputSerializer(serializers.Serializer):
    """A ``CustomerProfile``: name, phone and ID number are masked."""

    customer_no = serializers.CharField()
    name_masked = serializers.CharField()
    phone_masked = serializers.CharField(allow_null=True)
    id_number_masked = serializers.CharField(allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices)
    branch_code = serializers.CharField()
    branch_name = serializers.CharField()
    owner_employee_no = serializers.CharField(allow_null=True)
    owner_name = serializers.CharField(allow_null=True)
    aum = serializers.DecimalField(max_digits=18, decimal_places=2)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, allow_blank=True)
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices)
    marketing_consent = serializers.BooleanField()
    last_contact_at = serializers.DateTimeField(allow_null=True)
    opened_on = serializers.DateField(allow_null=True)
    can_reveal = serializers.BooleanField(help_text="Whether this viewer may ask for full values.")


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers in the viewer's data scope, PII masked, in keyset pages ordered by id."""

    serializer_class = CustomerProfileOutputSerializer
    lookup_field = "customer_no"
    filterset_fields = {
        "lifecycle_stage": ["exact"],
        "risk_level": ["exact"],
        "marketing_consent": ["exact"],
    }

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_profile_list(user=self.request.user)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        profiles = [customer_profile(customer=customer, viewer=request.user) for customer in page]
        return self.get_paginated_response(self.get_serializer(profiles, many=True).data)

    @extend_schema(responses={200: CustomerProfileOutputSerializer, 404: ErrorOutputSerializer})
    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        profile = customer_profile(customer=self.get_object(), viewer=request.user)
        return Response(self.get_serializer(profile).data)


class CustomerRevealPiiInputSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=[kind.value for kind in PiiKind])
    purpose = serializers.CharField(max_length=PURPOSE_MAX_LENGTH, help_text="Why the full value is needed; audited.")


class CustomerRevealPiiOutputSerializer(serializers.Serializer):
    customer_no = serializers.CharField()
    field = serializers.ChoiceField(choices=[kind.value for kind in PiiKind])
    value = serializers.CharField()


class CustomerRevealPiiApi(APIView):
    """The full value of one field, for a stated purpose. Audited; compliance may not."""

    permission_classes = [role_required(*PII_REVEAL_ROLES)]

    @extend_schema(
        request=CustomerRevealPiiInputSerializer,
        responses={
            200: CustomerRevealPiiOutputSerializer,
            400: ErrorOutputSerializer,
            403: ErrorOutputSerializer,
            404: ErrorOutputSerializer,
        },
    )
    def post(self, request: Request, customer_no: str) -> Response:
        customer = get_object_or_404(customer_list_visible(user=request.user), customer_no=customer_no)
        serializer = CustomerRevealPiiInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        field = PiiKind(serializer.validated_data["field"])
        value = customer_reveal_pii(
            customer=customer,
            field=field,
            actor=request.user,
            purpose=serializer.validated_data["purpose"],
            request=request,
        )
        response = Response(
            CustomerRevealPiiOutputSerializer(
                {"customer_no": customer.customer_no, "field": field, "value": value}
            ).data
        )
        add_never_cache_headers(response)
        return response


class CustomerTagOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    color = serializers.CharField()
    group = serializers.CharField()
    # The serializer metaclass takes declared fields off the class, so this does not replace Field.source;
    # the stubs cannot express that.
    source = serializers.CharField()  # type: ignore[assignment]


class ProductHoldingOutputSerializer(serializers.Serializer):
    product_code = serializers.CharField()
    product_name = serializers.CharField()
    product_type = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    opened_on = serializers.DateField(allow_null=True)
    maturity_date = serializers.DateField(allow_null=True)


class Customer360OutputSerializer(serializers.Serializer):
    profile = CustomerProfileOutputSerializer()
    aum_band = serializers.CharField()
    tags = CustomerTagOutputSerializer(many=True)
    holdings = ProductHoldingOutputSerializer(many=True)
    timeline = TimelineEventOutputSerializer(many=True)


class Customer360Api(APIView):
    """客户360: masked profile, tags, holdings and recent timeline of one customer in scope."""

    @extend_schema(responses={200: Customer360OutputSerializer, 404: ErrorOutputSerializer})
    def get(self, request: Request, customer_no: str) -> Response:
        try:
            view = customer_360(customer_no=customer_no, viewer=request.user)
        except Customer.DoesNotExist as error:
            raise Http404 from error
        return Response(Customer360OutputSerializer(view).data)
