"""Customer search API: filters over the viewer's scope, masked rows, keyset pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from customers.apis import CustomerProfileOutputSerializer, ErrorOutputSerializer
from customers.models import Customer
from customers.search.filters import CustomerSearchFilterSet
from customers.search.pagination import CustomerKeysetPagination
from customers.search.selectors import customer_search
from customers.selectors import customer_profile


class CustomerSearchApi(ListAPIView):
    """Customers in the viewer's data scope matching every given filter; PII masked.

    Phone and ID number match exactly through the blind index. A name matches the
    whole name only, and only once the other filters leave at most 50,000 customers.
    """

    serializer_class = CustomerProfileOutputSerializer
    filterset_class = CustomerSearchFilterSet
    pagination_class = CustomerKeysetPagination
    # Rows are identified by customer number (what the permission matrix compares).
    lookup_field = "customer_no"

    def get_queryset(self) -> QuerySet[Customer]:
        filterset = CustomerSearchFilterSet(self.request.GET, request=self.request)
        filters = filterset.search_filters()
        return customer_search(user=self.request.user, filters=filters).select_related("branch", "owner")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The FilterSet parses (and documents) the parameters; customer_search has applied them.
        return queryset

    @extend_schema(responses={200: CustomerProfileOutputSerializer(many=True), 400: ErrorOutputSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        customers = self.paginate_queryset(self.get_queryset()) or []
        profiles = [customer_profile(customer=customer, viewer=request.user) for customer in customers]
        return self.get_paginated_response(self.get_serializer(profiles, many=True).data)
