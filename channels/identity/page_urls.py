"""The identity dashboard, mounted at /channels/identity/ inside the language-prefixed pages."""

from django.urls import path

from channels.identity import views

urlpatterns = [
    path("", views.IdentityDashboardPage.as_view(), name="identity-dashboard"),
    path("link/", views.ContactLinkView.as_view(), name="identity-contact-link"),
]
