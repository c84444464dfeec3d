"""DRF pagination over :mod:`customers.search.keyset`: ``ordering``, ``cursor``, ``page_size``.

Pages go forward only (``next``), like a feed: that is what a list that loads more
rows, an API client walking every row, and an export need; going back re-reads from
the first page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from customers.models import Customer
from customers.search.keyset import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, CustomerSort, KeysetPage, customer_keyset_page


def sort_from_query(value: str | None) -> CustomerSort:
    try:
        return CustomerSort(value or CustomerSort.ID)
    except ValueError as error:
        raise ValidationError(
            {"ordering": [_("Sort by one of: %(choices)s.") % {"choices": ", ".join(CustomerSort)}]}
        ) from error


def page_size_from_query(value: str | None) -> int:
    if not value:
        return DEFAULT_PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [_("A whole number from 1 to %(limit)d.") % {"limit": MAX_PAGE_SIZE}]})
    return int(value)


class CustomerKeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"
    page_size_query_param = "page_size"

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Customer], request: Request, view: Any = None
    ) -> list[Customer]:
        self.request = request
        self.page: KeysetPage = customer_keyset_page(
            customers=queryset,
            sort=sort_from_query(request.query_params.get(self.ordering_query_param)),
            cursor=request.query_params.get(self.cursor_query_param),
            size=page_size_from_query(request.query_params.get(self.page_size_query_param)),
            # The view knows its filters; a viewset without them keeps the planner's choice.
            scope_first=bool(getattr(view, "reads_scope_first", lambda: False)()),
        )
        return self.page.customers

    def get_next_link(self) -> str | None:
        if self.page.next_cursor is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, self.page.next_cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.ordering_query_param,
                "required": False,
                "in": "query",
                "description": "Sort order; ties are broken by id in the same direction.",
                "schema": {"type": "string", "enum": [sort.value for sort in CustomerSort], "default": "id"},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from the previous page's `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1–{MAX_PAGE_SIZE}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            },
        ]
