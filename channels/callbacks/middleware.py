"""WeCom's callback URL answered without the middleware a person's request needs.

A callback carries no cookie, no session, no CSRF token and no language: it is proved
by its signature alone. Sessions, locale, CSRF, authentication, messages, the sidebar
confinement, frame and content-security headers, htmx, the product's error pages and
the login lockout do nothing for it, yet cost about a fifth of the request's CPU in
this process at a thousand callbacks a second. This middleware sits right after the
security middleware and the request guard (which still refuses a body that is not
UTF-8), and hands the callback URL to its view directly; every other request goes on
down the list unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.urls import get_script_prefix, reverse

from channels.callbacks.views import wecom_callback


class CallbackFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self._path: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self._path is None:
            # On the first request, not at start-up: the URLconf may not be loaded yet then.
            # Compared with path_info, which does not carry the script prefix reverse() adds.
            self._path = "/" + reverse("callbacks:wecom")[len(get_script_prefix()) :]
        if request.path_info == self._path:
            return wecom_callback(request)
        return self.get_response(request)
