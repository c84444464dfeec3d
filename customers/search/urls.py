"""Customer search API routes, mounted at /api/customers/ (the page is in ``page_urls``)."""

from django.urls import path

from customers.search import apis

urlpatterns = [
    path("search/", apis.CustomerSearchApi.as_view(), name="customer-search"),
]
