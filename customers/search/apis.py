"""Customer search API: filters over the viewer's scope, masked rows, keyset pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from customers.apis import CustomerProfileOutputSerializer
from customers.models import Customer
from customers.search.filters import CodeListFilter, CustomerSearchFilterSet
from customers.search.pagination import CustomerKeysetPagination
from customers.search.selectors import CustomerSearchFilters, customer_search, search_reads_scope_first
from customers.segments.definition import MAX_TAGS_PER_LIST
from customers.selectors import customer_profile
from scrm.core.serializers import ErrorOutputSerializer


class CodeListField(serializers.ListField):
    """Tag names (or codes) as a list, or comma-separated as in the search's query string."""

    def to_internal_value(self, data: Any) -> list[Any]:
        return super().to_internal_value(data.split(",") if isinstance(data, str) else data)


def _search_parameter(search_filter: django_filters.Filter) -> serializers.Field:
    """The field for one customer-search parameter; the search's FilterSet then validates the value again."""
    label, help_text = search_filter.label, search_filter.extra.get("help_text")
    if isinstance(search_filter, CodeListFilter):
        help_text = _("tag names (or codes), as a list or comma-separated.")
    options: dict[str, Any] = {
        "required": False,
        "help_text": format_lazy("{}: {}", label, help_text) if help_text else label,
    }
    if isinstance(search_filter, CodeListFilter):
        return CodeListField(child=serializers.CharField(max_length=64), max_length=MAX_TAGS_PER_LIST, **options)
    if isinstance(search_filter, django_filters.ChoiceFilter):
        return serializers.ChoiceField(choices=search_filter.extra["choices"], **options)
    if isinstance(search_filter, django_filters.NumberFilter):
        return serializers.DecimalField(
            max_digits=18, decimal_places=2, min_value=search_filter.extra.get("min_value"), **options
        )
    return serializers.CharField(max_length=search_filter.extra.get("max_length"), **options)


class CustomerSearchFiltersInputSerializer(serializers.Serializer):
    """The parameters of GET /api/customers/search/ as an object, resolved to ``CustomerSearchFilters``.

    The fields are the search FilterSet's own, so the names cannot drift apart. A name that
    is not a search parameter is refused, and at least one filter must be given: a typo or
    an empty object would otherwise widen a bulk action to every customer in the caller's scope.
    """

    requires_a_filter = True

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: _search_parameter(search_filter)
            for name, search_filter in CustomerSearchFilterSet.base_filters.items()
        }

    def to_internal_value(self, data: Any) -> CustomerSearchFilters:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Not a customer-search filter.")] for name in unknown})
        values = super().to_internal_value(data)
        params = {name: ",".join(value) if isinstance(value, list) else str(value) for name, value in values.items()}
        filters = CustomerSearchFilterSet(params).search_filters()
        if self.requires_a_filter and filters == CustomerSearchFilters():
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [_("Give at least one filter.")]})
        return filters


class CustomerSearchBodyInputSerializer(CustomerSearchFiltersInputSerializer):
    """The body of POST /api/customers/search/: the same filters; none means the whole scope, as in a GET."""

    requires_a_filter = False


class CustomerSearchApi(ListAPIView):
    """Customers in the viewer's data scope matching every given filter; PII masked.

    Phone and ID number match exactly through the blind index. A name matches the
    whole name only, and only once the other filters leave at most 50,000 customers.
    The same search is a POST with the filters as a JSON object, so that a phone or ID
    number never travels in a URL (which proxies, browsers and access logs keep); the
    next page of a POST is the same body posted to the ``next`` link.
    """

    serializer_class = CustomerProfileOutputSerializer
    filterset_class = CustomerSearchFilterSet
    pagination_class = CustomerKeysetPagination
    # Rows are identified by customer number (what the permission matrix compares).
    lookup_field = "customer_no"

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_search(user=self.request.user, filters=self._filters()).select_related("branch", "owner")

    def reads_scope_first(self) -> bool:
        """Asked by the pagination: see ``search_reads_scope_first``."""
        return search_reads_scope_first(user=self.request.user, filters=self._filters())

    def _filters(self) -> CustomerSearchFilters:
        if self.request.method == "POST":
            body = CustomerSearchBodyInputSerializer(data=self.request.data)
            body.is_valid(raise_exception=True)
            filters: CustomerSearchFilters = body.validated_data
            return filters
        return CustomerSearchFilterSet(self.request.GET, request=self.request).search_filters()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The FilterSet parses (and documents) the parameters; customer_search has applied them.
        return queryset

    @extend_schema(responses={200: CustomerProfileOutputSerializer(many=True), 400: ErrorOutputSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        customers = self.paginate_queryset(self.get_queryset()) or []
        profiles = [customer_profile(customer=customer, viewer=request.user) for customer in customers]
        return self.get_paginated_response(self.get_serializer(profiles, many=True).data)

    @extend_schema(
        operation_id="customers_search_by_body",
        request=CustomerSearchBodyInputSerializer,
        responses={200: CustomerProfileOutputSerializer(many=True), 400: ErrorOutputSerializer},
        parameters=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.get(request, *args, **kwargs)
