from django.urls import include, path

urlpatterns = [
    path("compliance/", include("risk.compliance.urls")),
]
