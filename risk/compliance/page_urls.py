"""Compliance library pages, mounted at /compliance/words/ inside the language-prefixed pages."""

from django.urls import path

from risk.compliance import views

urlpatterns = [
    path("", views.LibraryPage.as_view(), name="compliance-library"),
    path("new/", views.WordCreateView.as_view(), name="compliance-word-create"),
    path("<int:pk>/", views.WordEditPage.as_view(), name="compliance-word-edit"),
    path("<int:pk>/active/", views.WordActiveView.as_view(), name="compliance-word-active"),
    path("bulk/", views.BulkAddView.as_view(), name="compliance-word-bulk-add"),
    path("patterns/<str:pattern>/", views.PatternUpdateView.as_view(), name="compliance-pattern-save"),
    path("check/", views.CheckView.as_view(), name="compliance-check-page"),
]
