"""Customer group pages, mounted at /channels/groups/ inside the language-prefixed pages."""

from django.urls import path

from channels.groups import views

urlpatterns = [
    path("", views.GroupListPage.as_view(), name="groups-page"),
    path("<int:pk>/", views.GroupDetailPage.as_view(), name="group-detail"),
]
