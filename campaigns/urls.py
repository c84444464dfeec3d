from django.urls import include, path

urlpatterns = [
    path("", include("campaigns.scripts.urls")),
    path("", include("campaigns.content.urls")),
]
