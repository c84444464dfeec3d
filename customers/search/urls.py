"""Customer search routes. ``urlpatterns`` go under ``/api/customers/`` (namespace ``api``),
``page_urlpatterns`` under the language-prefixed pages."""

from django.urls import path

from customers.search import apis, views

urlpatterns = [
    path("search/", apis.CustomerSearchApi.as_view(), name="customer-search"),
]

page_urlpatterns = [
    path("customers/", views.CustomerListPage.as_view(), name="customers-page"),
]
