"""Identity API routes, mounted at /api/channels/ (the staff dashboard is in ``page_urls``, the
customer's verification page in ``h5_urls``)."""

from django.urls import path

from channels.identity import apis

urlpatterns = [
    path("identity/rates/", apis.AuthenticationRatesApi.as_view(), name="identity-rates"),
    path("contacts/", apis.ContactListApi.as_view(), name="channel-contact-list"),
    path("contacts/<str:external_userid>/link/", apis.ContactLinkApi.as_view(), name="channel-contact-link"),
]
