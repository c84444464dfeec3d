from django.urls import include, path

urlpatterns = [
    path("compliance/violations/", include("risk.compliance.violations.urls")),
    path("compliance/", include("risk.compliance.urls")),
    path("churn/", include("risk.churn.urls")),
]
