"""Compliance library API routes, mounted at /api/risk/compliance/ (the library page is in ``page_urls``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from risk.compliance import apis

router = SimpleRouter()
router.register("words", apis.SensitiveWordViewSet, basename="compliance-word")

urlpatterns = [
    path("words/bulk/", apis.SensitiveWordBulkAddApi.as_view(), name="compliance-word-bulk"),
    path("patterns/", apis.PiiPatternListApi.as_view(), name="compliance-pattern-list"),
    path("patterns/<str:pattern>/", apis.PiiPatternUpdateApi.as_view(), name="compliance-pattern-update"),
    path("check/", apis.ContentCheckApi.as_view(), name="compliance-check"),
    *router.urls,
]
