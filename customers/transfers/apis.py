"""Transfer API: move customers to another RM, by customer numbers or all of one RM's customers."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import TransferKind
from customers.selectors import customer_list_visible
from customers.transfers.services import customers_transfer
from scrm.org.models import Role
from scrm.org.permissions import role_required
from scrm.org.selectors import staff_for_user, staff_list_visible


class TransferOutputSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField()
    transferred = serializers.IntegerField()
    skipped = serializers.IntegerField()


class CustomerTransferApi(APIView):
    """在职转接 / 离职继承. Give ``customer_nos`` or ``from_employee_no`` (all that RM's customers)."""

    permission_classes = [role_required(Role.HQ_ADMIN, Role.BRANCH_MANAGER)]

    class CustomerTransferInputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=TransferKind.choices)
        to_employee_no = serializers.CharField(max_length=32)
        reason = serializers.CharField(max_length=500)
        customer_nos = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, min_length=1, max_length=100_000
        )
        from_employee_no = serializers.CharField(max_length=32, required=False)

        def validate(self, data: dict) -> dict:
            if ("customer_nos" in data) == ("from_employee_no" in data):
                raise serializers.ValidationError("Give either customer_nos or from_employee_no.")
            return data

    @extend_schema(request=CustomerTransferInputSerializer, responses=TransferOutputSerializer)
    def post(self, request: Request) -> Response:
        serializer = self.CustomerTransferInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        staff = staff_list_visible(user=request.user, active_only=False)
        to_staff = get_object_or_404(staff, employee_no=data["to_employee_no"])
        customers = customer_list_visible(user=request.user)
        if "customer_nos" in data:
            customers = customers.filter(customer_no__in=data["customer_nos"])
        else:
            customers = customers.filter(owner=get_object_or_404(staff, employee_no=data["from_employee_no"]))
        result = customers_transfer(
            customers=customers,
            to_staff=to_staff,
            kind=TransferKind(data["kind"]),
            reason=data["reason"],
            actor=staff_for_user(user=request.user),
        )
        return Response(TransferOutputSerializer(result).data)
