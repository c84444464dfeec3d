"""The customer list page: the search form, masked rows, "load more" by keyset (htmx)."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views import View
from rest_framework.exceptions import ValidationError

from customers.models import AumBand, Customer
from customers.search.filters import CustomerSearchFilterSet, search_data
from customers.search.keyset import CustomerSort, customer_keyset_page
from customers.search.selectors import customer_search, search_reads_scope_first
from customers.selectors import CustomerProfile, CustomerTagView, customer_profile, customer_tags_by_customer
from customers.tagging.selectors import tags_for_picker, tags_manual_active
from scrm.core.exceptions import ApplicationError
from scrm.core.pagination import next_page_url
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for

CUSTOMER_SORTS = frozenset(sort.value for sort in CustomerSort)
# Who may give or take away manual tags on a search result, within their scope (as the tagging API).
BULK_TAGGERS = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})


class CustomerRow(NamedTuple):
    profile: CustomerProfile
    aum_band: str
    tags: list[CustomerTagView]


def customer_rows(customers: list[Customer], *, viewer: Any) -> list[CustomerRow]:
    tags = customer_tags_by_customer(customer_ids=[customer.pk for customer in customers], viewer=viewer)
    return [
        CustomerRow(
            profile=customer_profile(customer=customer, viewer=viewer),
            aum_band=str(AumBand(customer.aum_band).label),
            tags=tags.get(customer.pk, []),
        )
        for customer in customers
    ]


def _picked(data: QueryDict, key: str) -> set[str]:
    return {value.strip() for value in data.get(key, "").split(",") if value.strip()}


class CustomerListPage(LoginRequiredMixin, View):
    template_name = "customers/search/list.html"
    rows_template_name = "customers/search/_rows.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._search(request, request.GET)

    def post(self, request: HttpRequest) -> HttpResponse:
        # The form posts, so that a phone or ID number searched for never sits in a URL
        # (proxies, browser history and access logs keep URLs); links still filter by GET.
        return self._search(request, request.POST)

    def _search(self, request: HttpRequest, data: QueryDict) -> HttpResponse:
        data = search_data(data)
        filterset = CustomerSearchFilterSet(data, request=request)
        ordering = data.get("ordering", "")
        sort = CustomerSort(ordering) if ordering in CUSTOMER_SORTS else CustomerSort.ID
        scope = data_scope_for(request.user)
        context: dict[str, Any] = {
            "filterset": filterset,
            "sorts": list(CustomerSort),
            "sort": sort,
            "rows": [],
            "tag_choices": list(tags_for_picker()),
            "picked_tags_any": _picked(data, "tags_any"),
            "picked_tags_all": _picked(data, "tags_all"),
            "can_bulk_tag": scope is not None and scope.role in BULK_TAGGERS,
        }
        if context["can_bulk_tag"]:
            context["bulk_tags"] = list(tags_manual_active())
        try:
            filters = filterset.search_filters()
            customers = customer_search(user=request.user, filters=filters)
            page = customer_keyset_page(
                customers=customers.select_related("branch", "owner"),
                sort=sort,
                cursor=request.GET.get("cursor"),
                scope_first=search_reads_scope_first(user=request.user, filters=filters),
            )
        except ValidationError:
            pass  # the form shows its own errors
        except ApplicationError as error:
            context["error"] = error.message
        else:
            context["rows"] = customer_rows(page.customers, viewer=request.user)
            if page.next_cursor:
                context["next_url"] = next_page_url(request, page.next_cursor)
                # A posted search's next rows are the same form posted again, with the cursor.
                context["next_by_post"] = request.method == "POST"
        # A "load more" request gets only the next rows and the next button.
        template = self.rows_template_name if getattr(request, "htmx", False) else self.template_name
        response = render(request, template, context)
        patch_vary_headers(response, ("HX-Request",))
        return response
