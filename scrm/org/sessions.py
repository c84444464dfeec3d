"""Sessions confined to the chat sidebar.

A member signed in by WeCom OAuth from the sidebar has proven only that WeCom knows them,
not their password: that session serves the sidebar's own routes and nothing else.
"""

from django.http import HttpRequest

SESSION_VIA_KEY = "via"
VIA_WECOM_SIDEBAR = "wecom_sidebar"
# The sidebar's URLs (workbench.sidebar), outside the language prefix: the only ones such a session reaches.
SIDEBAR_PATH_PREFIX = "/sidebar/"


def session_confine_to_sidebar(*, request: HttpRequest) -> None:
    """Mark the session just signed in as one for the sidebar only."""
    request.session[SESSION_VIA_KEY] = VIA_WECOM_SIDEBAR


def session_release_from_sidebar(*, request: HttpRequest) -> None:
    """A password sign-in makes the session a full one."""
    request.session.pop(SESSION_VIA_KEY, None)


def session_is_sidebar_only(*, request: HttpRequest) -> bool:
    return bool(request.session.get(SESSION_VIA_KEY) == VIA_WECOM_SIDEBAR)
