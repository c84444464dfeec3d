"""The customer's own consent-preference page, mounted at /h5/preferences/ inside the
language-prefixed pages (the link is made without a prefix: Chinese)."""

from django.urls import path

from customers.consent import views

urlpatterns = [
    path("<str:token>/", views.ConsentPreferencePage.as_view(), name="consent-preferences"),
]
