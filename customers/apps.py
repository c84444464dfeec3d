from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Customer 360, imports, tags, segments, timeline and transfers."""

    name = "customers"
    verbose_name = "Customers"
