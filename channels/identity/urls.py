"""Identity routes: ``urlpatterns`` for the API at /api/channels/, ``page_urlpatterns`` for the
dashboard at /channels/identity/, ``h5_urlpatterns`` for the customer's page at /h5/verify/."""

from django.urls import path

from channels.identity import apis, views

urlpatterns = [
    path("identity/rates/", apis.AuthenticationRatesApi.as_view(), name="identity-rates"),
    path("contacts/", apis.ContactListApi.as_view(), name="channel-contact-list"),
    path("contacts/<str:external_userid>/link/", apis.ContactLinkApi.as_view(), name="channel-contact-link"),
]

page_urlpatterns = [
    path("", views.IdentityDashboardPage.as_view(), name="identity-dashboard"),
    path("link/", views.ContactLinkView.as_view(), name="identity-contact-link"),
]

h5_urlpatterns = [
    path("<str:token>/", views.VerifyPage.as_view(), name="identity-verify"),
]
