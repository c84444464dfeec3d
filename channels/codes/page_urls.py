"""Channel code pages, mounted at /channels/codes/ inside the language-prefixed pages."""

from django.urls import path

from channels.codes import views

urlpatterns = [
    path("", views.ChannelCodeListPage.as_view(), name="channel-codes-page"),
    path("new/", views.ChannelCodeCreatePage.as_view(), name="channel-code-create"),
    path("staff/search/", views.ChannelCodeStaffSearchPartial.as_view(), name="channel-code-staff-search"),
    path("staff/pick/", views.ChannelCodeStaffPickPartial.as_view(), name="channel-code-staff-pick"),
    path("<int:pk>/", views.ChannelCodeDetailPage.as_view(), name="channel-code-detail"),
    path("<int:pk>/edit/", views.ChannelCodeEditPage.as_view(), name="channel-code-edit"),
    path(
        "<int:pk>/deactivate/",
        views.ChannelCodeActionView.as_view(action="deactivate"),
        name="channel-code-deactivate",
    ),
    path("<int:pk>/activate/", views.ChannelCodeActionView.as_view(action="activate"), name="channel-code-activate"),
]
