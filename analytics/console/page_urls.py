from django.urls import path

from analytics.console import views

urlpatterns = [
    path("", views.AuditLogPage.as_view(), name="audit-log"),
    path("reveals/", views.RevealHistoryPage.as_view(), name="audit-reveals"),
    path("export/", views.AuditLogExportView.as_view(), name="audit-log-export"),
    path("chain/", views.ChainCheckView.as_view(), name="audit-chain-check"),
]
