"""The URL WeCom calls: GET to verify it, POST for every event. No login, no CSRF token: the signature is the proof."""

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.callbacks import services

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wecom_callback(request: HttpRequest) -> HttpResponse:
    query = request.GET
    try:
        if request.method == "GET":
            echo = services.callback_url_verify(
                msg_signature=query.get("msg_signature"),
                timestamp=query.get("timestamp"),
                nonce=query.get("nonce"),
                echostr=query.get("echostr"),
            )
            return HttpResponse(echo, content_type="text/plain; charset=utf-8")
        services.callback_receive(
            body=request.body,
            msg_signature=query.get("msg_signature"),
            timestamp=query.get("timestamp"),
            nonce=query.get("nonce"),
        )
    except services.CallbackRejectedError as rejection:
        logger.warning("wecom callback refused status=%s reason=%s", rejection.status, rejection.reason)
        return HttpResponse(rejection.reason, status=rejection.status, content_type="text/plain; charset=utf-8")
    # An empty 200 is what stops WeCom's retries.
    return HttpResponse(b"", content_type="text/plain")
