"""The Content-Security-Policy middleware: django-csp's, plus the WeCom origins as configured now.

The static policy is in ``scrm/settings/csp.py``. The WeCom JS-SDK, the QR code images
and (in development) the sandbox the sidebar's shim calls are added per response from
the WeCom settings, so the policy always names the WeCom the product talks to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


def _origins(*urls: str) -> list[str]:
    parts = [urlsplit(url) for url in urls if url]
    return [f"{part.scheme}://{part.netloc}" for part in parts if part.scheme and part.netloc]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        sandbox = _origins(settings.WECOM_SANDBOX_URL)
        wecom = {
            "script-src": _origins(settings.WECOM_JSSDK_URL),
            "img-src": [*settings.CSP_IMAGE_HOSTS, *sandbox],
            "connect-src": sandbox,
        }
        update = {directive: list(values) for directive, values in (parts.update or {}).items()}
        for directive, values in wecom.items():
            if values:
                update[directive] = [*update.get(directive, []), *values]
        parts.update = update or None
        return parts
