"""Search tests mount the same routes as the segment tests."""

from tests.customers.segments.urls import urlpatterns

__all__ = ["urlpatterns"]
