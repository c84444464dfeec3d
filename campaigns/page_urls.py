"""Campaign pages, mounted at /campaigns/ inside the language-prefixed pages."""

from django.urls import path

from campaigns import views

urlpatterns = [
    path("", views.CampaignListPage.as_view(), name="campaign-list"),
    path("new/", views.CampaignEditPage.as_view(), name="campaign-create"),
    path("tasks/", views.RmTaskPage.as_view(), name="campaign-tasks"),
    path("<int:pk>/", views.CampaignDetailPage.as_view(), name="campaign-detail"),
    path("<int:pk>/edit/", views.CampaignEditPage.as_view(), name="campaign-edit"),
    path("<int:pk>/audience/", views.CampaignAudiencePanel.as_view(), name="campaign-audience"),
    path("<int:pk>/recipients/", views.CampaignRecipientsExport.as_view(), name="campaign-recipients-export"),
    path("<int:pk>/<slug:action>/", views.CampaignActionView.as_view(), name="campaign-action"),
]
