"""Churn pages, mounted at /churn/ inside the language-prefixed pages."""

from django.urls import path

from risk.churn import views

urlpatterns = [
    path("", views.ChurnPage.as_view(), name="churn-page"),
    path("models/<int:version>/promote/", views.ChurnModelPromoteView.as_view(), name="churn-promote"),
    path("models/rollback/", views.ChurnModelRollbackView.as_view(), name="churn-rollback"),
    path("customers/<str:customer_no>/panel/", views.CustomerChurnPanel.as_view(), name="churn-customer-panel"),
]
