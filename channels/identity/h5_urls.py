"""The customer's own verification page (opened from a WeCom message, no staff sign-in),
mounted at /h5/verify/ inside the language-prefixed pages."""

from django.urls import path

from channels.identity import views

urlpatterns = [
    path("<str:token>/", views.VerifyPage.as_view(), name="identity-verify"),
]
