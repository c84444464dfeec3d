"""The one place a sidebar-only session is kept to the sidebar."""

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponseBase

from scrm.org.sessions import SIDEBAR_PATH_PREFIX, session_is_sidebar_only


class SidebarSessionConfinedMiddleware:
    """Outside ``/sidebar/``, a session from the sidebar's WeCom sign-in is nobody.

    Every page and API then treats the request as anonymous: pages send it to the login
    page, APIs answer 403, and a password sign-in there replaces it with a full session.
    Sits right after ``AuthenticationMiddleware``, so every view, DRF included, sees it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(SIDEBAR_PATH_PREFIX) and session_is_sidebar_only(request=request):
            anonymous = AnonymousUser()
            request.user = anonymous

            async def auser() -> AnonymousUser:
                return anonymous

            request.auser = auser  # type: ignore[method-assign]
        return self.get_response(request)
