"""Content-Security-Policy (django-csp): the product's pages load scripts only from the product.

No page has an inline script; styles allow inline attributes (tag colours, widths).
The WeCom hosts the pages need (the JS-SDK, the QR code images, and in development the
sandbox that the sidebar's shim talks to) are added per response by
``scrm.core.csp.ContentSecurityPolicyMiddleware`` from the WeCom settings.
"""

from csp.constants import NONE, SELF, UNSAFE_INLINE

from scrm.settings.environment import env

# Where WeCom serves contact-way QR codes.
CSP_IMAGE_HOSTS: list[str] = env.list("CSP_IMAGE_HOSTS", default=["https://wework.qpic.cn"])

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
