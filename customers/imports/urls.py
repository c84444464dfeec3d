"""Import API routes, mounted at /api/customers/imports/ (pages are in ``page_urls``); they
come before the customer router there, whose ``<customer_no>/`` would match ``imports/``."""

from django.urls import path

from customers.imports import apis

urlpatterns = [
    path("", apis.ImportJobCreateApi.as_view(), name="customer-import-create"),
    path("<int:pk>/", apis.ImportJobDetailApi.as_view(), name="customer-import-detail"),
    path("<int:pk>/errors/", apis.ImportJobErrorReportApi.as_view(), name="customer-import-errors"),
]
