"""The product's own error pages, in development as in production.

Django answers a 404 raised by a view with its English technical page while ``DEBUG``
is on. People try the product in development too (``make run``), so a view's 404 —
an out-of-scope customer, say — renders ``404.html`` there as well. The API keeps its
JSON errors (DRF answers them before this runs); an address that matches no URL keeps
Django's technical page in development, where it helps the engineer who mistyped it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found


class ProductErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404) and not request.path_info.startswith("/api/"):
            return page_not_found(request, exception)
        return None
