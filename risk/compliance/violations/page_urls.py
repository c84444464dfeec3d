"""Violation pages, mounted at /compliance/violations/ inside the language-prefixed pages."""

from django.urls import path

from risk.compliance.violations import views

urlpatterns = [
    path("", views.ViolationQueuePage.as_view(), name="violation-queue"),
    path("rescan/", views.RescanView.as_view(), name="violation-rescan-page"),
    path("<int:pk>/", views.ViolationDetailPage.as_view(), name="violation-detail-page"),
    path("<int:pk>/review/", views.ViolationReviewView.as_view(), name="violation-review-page"),
    path("<int:pk>/assign/", views.ViolationAssignView.as_view(), name="violation-assign-page"),
]
