"""Routes of imports. Two lists, mounted by the project:

* ``urlpatterns`` — the API, inside the ``api`` namespace at ``/api/customers/imports/``;
  it must come before the customer router there, whose ``<customer_no>/`` would match ``imports/``;
* ``page_urlpatterns`` — the pages, under ``i18n_patterns`` at ``customers/imports/``.
"""

from django.urls import path

from customers.imports import apis, views

urlpatterns = [
    path("", apis.ImportJobCreateApi.as_view(), name="customer-import-create"),
    path("<int:pk>/", apis.ImportJobDetailApi.as_view(), name="customer-import-detail"),
    path("<int:pk>/errors/", apis.ImportJobErrorReportApi.as_view(), name="customer-import-errors"),
]

page_urlpatterns = [
    path("", views.ImportUploadView.as_view(), name="customer-import-upload"),
    path("<int:pk>/", views.ImportJobView.as_view(), name="customer-import-job"),
    path("<int:pk>/progress/", views.ImportJobProgressView.as_view(), name="customer-import-progress"),
    path("<int:pk>/errors/", views.ImportJobErrorReportView.as_view(), name="customer-import-error-report"),
]
