"""Segment API routes, mounted at /api/customers/ (pages are in ``page_urls``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from customers.segments import apis

router = SimpleRouter()
router.register("segments", apis.SegmentViewSet, basename="segment")

urlpatterns = [
    path("segments/preview/", apis.SegmentPreviewApi.as_view(), name="segment-preview"),
    path("segments/<int:pk>/count/", apis.SegmentCountApi.as_view(), name="segment-count"),
    path("segments/<int:pk>/sample/", apis.SegmentSampleApi.as_view(), name="segment-sample"),
    path("segments/<int:pk>/snapshot/", apis.SegmentSnapshotCreateApi.as_view(), name="segment-snapshot-create"),
    path("segments/<int:pk>/export/", apis.SegmentExportApi.as_view(), name="segment-export"),
    *router.urls,
]
