"""Import pages, mounted at /customers/imports/ inside the language-prefixed pages."""

from django.urls import path

from customers.imports import views

urlpatterns = [
    path("", views.ImportUploadView.as_view(), name="customer-import-upload"),
    path("templates/<str:kind>.<str:file_format>", views.ImportTemplateView.as_view(), name="customer-import-template"),
    path("<int:pk>/", views.ImportJobView.as_view(), name="customer-import-job"),
    path("<int:pk>/progress/", views.ImportJobProgressView.as_view(), name="customer-import-progress"),
    path("<int:pk>/errors/", views.ImportJobErrorReportView.as_view(), name="customer-import-error-report"),
]
