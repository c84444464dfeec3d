from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Customer 360, imports, tags, segments, timeline and transfers."""

    name = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from customers.audit import CustomerAuditAction
        from scrm.audit.actions import audit_actions_register

        audit_actions_register(CustomerAuditAction)
