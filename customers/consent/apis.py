"""A customer's consent: current flags and history; staff in scope record a change.

A customer outside the viewer's scope does not exist for them: 404, never 403.
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.consent.selectors import ConsentOverview, consent_overview
from customers.consent.services import REASON_MAX_LENGTH, consent_set
from customers.models import ConsentPurpose, ConsentSource, Customer
from scrm.core.serializers import ErrorOutputSerializer
from scrm.org.models import Role
from scrm.org.selectors import staff_for_user


class ConsentFlagOutputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    # Field.label is the stubs' name for a form label; here it is the purpose's display name.
    label = serializers.CharField()  # type: ignore[assignment]
    granted = serializers.BooleanField()


class ConsentRecordOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    previous = serializers.BooleanField(allow_null=True, help_text="Null: the import created the customer so.")
    granted = serializers.BooleanField()
    # The serializer metaclass takes declared fields off the class, so this does not replace Field.source;
    # the stubs cannot express that.
    source = serializers.ChoiceField(choices=ConsentSource.choices)  # type: ignore[assignment]
    reason = serializers.CharField()
    actor_name = serializers.CharField(source="actor.name", default=None)
    import_job = serializers.IntegerField(source="import_job_id", allow_null=True)
    recorded_at = serializers.DateTimeField()


class ConsentOverviewOutputSerializer(serializers.Serializer):
    customer_no = serializers.CharField()
    current = ConsentFlagOutputSerializer(many=True)
    history = ConsentRecordOutputSerializer(many=True, help_text="Newest first, at most 100.")


class ConsentRecordInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = serializers.BooleanField()
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="For an opt-out: the customer's own words (required).",
    )


class CustomerConsentsApi(APIView):
    """GET: the consent flags and history. POST: record a change (RMs for the customers they
    own, HQ admins and branch managers in scope; compliance reads only): 201 when it changed
    the value, 200 when the value was already so."""

    @staticmethod
    def _overview(request: Request, customer_no: str) -> ConsentOverview:
        try:
            return consent_overview(customer_no=customer_no, viewer=request.user)
        except Customer.DoesNotExist as error:
            raise Http404 from error

    @extend_schema(responses={200: ConsentOverviewOutputSerializer, 404: ErrorOutputSerializer})
    def get(self, request: Request, customer_no: str) -> Response:
        return Response(ConsentOverviewOutputSerializer(self._overview(request, customer_no)).data)

    @extend_schema(
        request=ConsentRecordInputSerializer,
        responses={
            200: ConsentOverviewOutputSerializer,
            201: ConsentOverviewOutputSerializer,
            400: ErrorOutputSerializer,
            403: ErrorOutputSerializer,
            404: ErrorOutputSerializer,
        },
    )
    def post(self, request: Request, customer_no: str) -> Response:
        customer_id = self._overview(request, customer_no).customer_id  # 404 outside the scope, first
        serializer = ConsentRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        staff = staff_for_user(user=request.user)
        assert staff is not None  # IsActiveStaff admitted only active staff
        record = consent_set(
            customer_id=customer_id,
            purpose=serializer.validated_data["purpose"],
            granted=serializer.validated_data["granted"],
            source=ConsentSource.RM if staff.role == Role.RM else ConsentSource.ADMIN,
            reason=serializer.validated_data["reason"],
            actor=staff,
            request=request,
        )
        return Response(
            ConsentOverviewOutputSerializer(self._overview(request, customer_no)).data,
            status=status.HTTP_201_CREATED if record is not None else status.HTTP_200_OK,
        )
