"""Churn API routes, mounted at /api/risk/churn/ (the pages are in ``page_urls``)."""

from django.urls import path

from risk.churn import apis

urlpatterns = [
    path("customers/<str:customer_no>/", apis.CustomerChurnApi.as_view(), name="churn-customer-score"),
    path("models/<int:version>/promote/", apis.ChurnModelPromoteApi.as_view(), name="churn-model-promote"),
    path("models/rollback/", apis.ChurnModelRollbackApi.as_view(), name="churn-model-rollback"),
]
