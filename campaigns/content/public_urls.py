"""Public content URLs outside the language prefix: card covers customers' phones load."""

from django.urls import path

from campaigns.content import views

urlpatterns = [
    path("cover/<str:token>/", views.ContentCoverView.as_view(), name="content-cover"),
]
