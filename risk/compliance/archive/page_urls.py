"""Chat archive pages, mounted at /compliance/archive/ inside the language-prefixed pages."""

from django.urls import path

from risk.compliance.archive import views

urlpatterns = [
    path("", views.ArchiveStatusPage.as_view(), name="compliance-archive-status"),
]
