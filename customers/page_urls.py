"""The customer 360 page and its reveal partial, mounted at /customers/ inside the
language-prefixed pages, after every sub-package's pages there: ``<customer_no>/`` matches
any first segment."""

from django.urls import path

from customers import views

urlpatterns = [
    path("<str:customer_no>/", views.Customer360Page.as_view(), name="customer-page"),
    path("<str:customer_no>/reveal/", views.CustomerRevealPartial.as_view(), name="customer-reveal"),
    path("<str:customer_no>/notes/", views.CustomerNotesPartial.as_view(), name="customer-notes"),
]
