"""Transfer API: move customers to another RM, chosen by customer number, by a search, or all of one RM's."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import TransferKind
from customers.search.apis import CustomerSearchFiltersInputSerializer
from customers.transfers.selectors import transfer_selection
from customers.transfers.services import customers_transfer
from scrm.org.api_base import StaffApiView
from scrm.org.models import Role
from scrm.org.permissions import role_required
from scrm.org.selectors import staff_list_visible

SELECTIONS = ("customer_nos", "filters", "from_employee_no")


class TransferOutputSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField()
    transferred = serializers.IntegerField()
    skipped = serializers.IntegerField()


class CustomerTransferApi(StaffApiView):
    """在职转接 / 离职继承. Give exactly one of ``customer_nos``, ``filters`` (the customer search,
    within the caller's scope) or ``from_employee_no`` (all that RM's customers)."""

    permission_classes = [role_required(Role.HQ_ADMIN, Role.BRANCH_MANAGER)]

    class CustomerTransferInputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=TransferKind.choices)
        to_employee_no = serializers.CharField(max_length=32)
        reason = serializers.CharField(max_length=500)
        customer_nos = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, min_length=1, max_length=100_000
        )
        filters = CustomerSearchFiltersInputSerializer(
            required=False, help_text="Every customer in the caller's scope matching these customer-search filters."
        )
        from_employee_no = serializers.CharField(max_length=32, required=False)

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if sum(key in data for key in SELECTIONS) != 1:
                raise serializers.ValidationError(_("Give exactly one of customer_nos, filters or from_employee_no."))
            return data

    @extend_schema(request=CustomerTransferInputSerializer, responses=TransferOutputSerializer)
    def post(self, request: Request) -> Response:
        serializer = self.CustomerTransferInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        staff = staff_list_visible(user=request.user, active_only=False)
        to_staff = get_object_or_404(staff, employee_no=data["to_employee_no"])
        from_staff = (
            get_object_or_404(staff, employee_no=data["from_employee_no"]) if "from_employee_no" in data else None
        )
        customers = transfer_selection(
            user=request.user, customer_nos=data.get("customer_nos"), from_staff=from_staff, filters=data.get("filters")
        )
        result = customers_transfer(
            customers=customers,
            to_staff=to_staff,
            kind=TransferKind(data["kind"]),
            reason=data["reason"],
            actor=self.staff,
        )
        return Response(TransferOutputSerializer(result).data)
