"""WeCom OAuth for the sidebar: the authorize URL and the ``state`` that guards the callback.

WeCom opens the sidebar in its own browser, where the member is already known to WeCom;
a silent ``snsapi_base`` authorisation turns that into a code, and the code into a userid
(``wecom().oauth_userid``). ``state`` is a one-time random value kept in the session, so
a code smuggled in through someone else's link is refused (OAuth's CSRF protection).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
SESSION_STATE_KEY = "sidebar_oauth_state"


def oauth_state_issue(request: HttpRequest) -> str:
    """A fresh state for one sign-in, remembered in the (anonymous) session."""
    state = secrets.token_hex(16)  # WeCom allows [a-zA-Z0-9], at most 128 bytes
    request.session[SESSION_STATE_KEY] = state
    return state


def oauth_state_matches(request: HttpRequest, state: str) -> bool:
    """Whether ``state`` is the one issued to this session; a state is good for one attempt."""
    expected = request.session.pop(SESSION_STATE_KEY, None)
    return bool(expected) and bool(state) and hmac.compare_digest(str(expected), state)


def oauth_authorize_url(*, redirect_uri: str, state: str) -> str:
    """WeCom's authorize URL for a self-built app (silent, ``snsapi_base``)."""
    query = urlencode(
        {
            "appid": settings.WECOM_CORP_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
            "agentid": settings.WECOM_AGENT_ID,
        }
    )
    return f"{AUTHORIZE_URL}?{query}#wechat_redirect"
