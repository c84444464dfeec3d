"""Transfer routes. The API is mounted by ``customers/urls.py``; ``page_urlpatterns`` go
under the language-prefixed pages at ``customers/transfers/``, before the customer page,
whose ``customers/<customer_no>/`` would match ``transfers/``."""

from django.urls import path

from customers.transfers import views

page_urlpatterns = [
    path("", views.CustomerTransferPage.as_view(), name="customer-transfers-page"),
]
