"""Violation API routes, mounted at /api/risk/compliance/violations/ (the pages are in ``page_urls``)."""

from django.urls import path

from risk.compliance.violations import apis

urlpatterns = [
    path("", apis.ViolationListApi.as_view(), name="violation-list"),
    path("figures/", apis.RmFiguresApi.as_view(), name="violation-figures"),
    path("rescan/", apis.RescanApi.as_view(), name="violation-rescan"),
    path("<int:pk>/", apis.ViolationDetailApi.as_view(), name="violation-detail"),
    path("<int:pk>/assign/", apis.ViolationAssignApi.as_view(), name="violation-assign"),
    path("<int:pk>/review/", apis.ViolationReviewApi.as_view(), name="violation-review"),
]
