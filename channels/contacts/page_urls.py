"""The contacts page, mounted at /channels/contacts/ inside the language-prefixed pages."""

from django.urls import path

from channels.contacts import views

urlpatterns = [
    path("", views.ContactListPage.as_view(), name="contacts-page"),
]
