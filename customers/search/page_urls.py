"""The customer list page, mounted at /customers/ inside the language-prefixed pages."""

from django.urls import path

from customers.search import views

urlpatterns = [
    path("", views.CustomerListPage.as_view(), name="customers-page"),
]
