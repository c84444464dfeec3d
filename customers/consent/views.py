"""The customer's own consent-preference page (H5, opened from a link in a message; no sign-in).

Thin: the link's token names the customer, the selector reads what the page shows, the
service records the change with source 客户自助.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from customers.consent.links import customer_id_for_preference_token
from customers.consent.selectors import ConsentPreference, consent_preference_for_customer
from customers.consent.services import consent_preference_request_allowed, consent_set
from customers.models import ConsentPurpose, ConsentSource
from scrm.audit.services import client_ip
from scrm.core.exceptions import ApplicationError

TEMPLATE = "customers/consent/preferences.html"
# The confirmation step: which change the customer is about to confirm.
CONFIRM_STEPS = {"opt_out": False, "opt_in": True}


@method_decorator([never_cache, csrf_protect], name="dispatch")
class ConsentPreferencePage(View):
    """Whether the customer receives marketing messages, and a confirmed opt-out or opt-in."""

    def _page(self, request: HttpRequest, status: int = 200, **context: object) -> HttpResponse:
        return render(request, TEMPLATE, {"bank_name": settings.BANK_NAME, **context}, status=status)

    def _preference(self, request: HttpRequest, token: str, *, change: bool) -> ConsentPreference | HttpResponse:
        customer_id = customer_id_for_preference_token(token)
        ip = client_ip(request) or "unknown"
        if not consent_preference_request_allowed(ip=ip, customer_id=customer_id, change=change):
            return self._page(request, status=429, problem="rate_limited")
        preference = consent_preference_for_customer(customer_id=customer_id) if customer_id is not None else None
        if preference is None:
            return self._page(request, status=404, problem="invalid")
        return preference

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        preference = self._preference(request, token, change=False)
        if isinstance(preference, HttpResponse):
            return preference
        step = request.GET.get("confirm", "")
        confirming = CONFIRM_STEPS.get(step) if step in CONFIRM_STEPS else None
        if confirming is not None and confirming == preference.marketing_consent:
            confirming = None  # already so: nothing to confirm
        return self._page(request, preference=preference, confirming=confirming)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        preference = self._preference(request, token, change=True)
        if isinstance(preference, HttpResponse):
            return preference
        granted = {"1": True, "0": False}.get(request.POST.get("granted", ""))
        if granted is None:
            return self._page(request, status=400, preference=preference, problem="bad_request")
        try:
            consent_set(
                customer_id=preference.customer_id,
                purpose=ConsentPurpose.MARKETING,
                granted=granted,
                source=ConsentSource.SELF_SERVICE,
                request=request,
            )
        except ApplicationError:
            return self._page(request, status=400, preference=preference, problem="bad_request")
        updated = consent_preference_for_customer(customer_id=preference.customer_id) or preference
        return self._page(request, preference=updated, done=True)
