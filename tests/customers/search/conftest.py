from tests.customers.segments.conftest import tags

__all__ = ["tags"]
