"""Segment pages, mounted at /segments/ inside the language-prefixed pages."""

from django.urls import path

from customers.segments import views

urlpatterns = [
    path("", views.SegmentListPage.as_view(), name="segments-page"),
    path("new/", views.SegmentCreatePage.as_view(), name="segment-create"),
    path("preview/", views.SegmentPreviewPartial.as_view(), name="segment-builder-preview"),
    path("<int:pk>/", views.SegmentDetailPage.as_view(), name="segment-page"),
    path("<int:pk>/edit/", views.SegmentEditPage.as_view(), name="segment-edit"),
]
