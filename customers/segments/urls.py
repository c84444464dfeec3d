"""Segment routes. ``urlpatterns`` go under ``/api/customers/`` (namespace ``api``),
``page_urlpatterns`` under the language-prefixed pages."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from customers.segments import apis, views

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

page_urlpatterns = [
    path("segments/", views.SegmentListPage.as_view(), name="segments-page"),
    path("segments/new/", views.SegmentCreatePage.as_view(), name="segment-create"),
    path("segments/preview/", views.SegmentPreviewPartial.as_view(), name="segment-builder-preview"),
    path("segments/<int:pk>/", views.SegmentDetailPage.as_view(), name="segment-page"),
    path("segments/<int:pk>/edit/", views.SegmentEditPage.as_view(), name="segment-edit"),
]
