"""Idle sessions: a signed-in session stays alive while it is used, without a write per request.

Django's ``SESSION_SAVE_EVERY_REQUEST`` makes the idle timeout exact by rewriting the
session row (an UPDATE and its commit) on every request: the largest single cost of a
cheap read such as the sidebar's customer card. Here a signed-in session is written again
only when its last refresh is ``SESSION_IDLE_REFRESH_SECONDS`` old, so the timeout
(``SESSION_COOKIE_AGE``) holds to within that interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

REFRESHED_AT = "_idle_refreshed_at"


class IdleSessionRefreshMiddleware:
    """Marks a signed-in session modified when it is due a refresh; SessionMiddleware then saves it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # A signed-out request's session is left alone: no row for an anonymous visitor.
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            if now - int(session.get(REFRESHED_AT, 0)) >= settings.SESSION_IDLE_REFRESH_SECONDS:
                session[REFRESHED_AT] = now
        return response
