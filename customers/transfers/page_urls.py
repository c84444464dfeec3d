"""Transfer pages, mounted at /customers/transfers/ inside the language-prefixed pages, before
the customer page, whose ``customers/<customer_no>/`` would match ``transfers/``. The API is
mounted by ``customers/urls.py``."""

from django.urls import path

from customers.transfers import views

urlpatterns = [
    path("", views.CustomerTransferPage.as_view(), name="customer-transfers-page"),
]
