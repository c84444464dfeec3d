"""The signed link to a customer's consent-preference page, for messages the bank sends."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

_PREFERENCE_SALT = "customers.consent.preferences"


def consent_preference_token(customer_id: int) -> str:
    """A token naming the customer, signed and timestamped (valid ``CONSENT_LINK_MAX_AGE_DAYS``)."""
    return signing.TimestampSigner(salt=_PREFERENCE_SALT).sign(str(customer_id))


def consent_preference_link(customer_id: int) -> str:
    """The absolute URL (``PUBLIC_BASE_URL``) of the customer's preference page, always in Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("consent-preferences", args=[consent_preference_token(customer_id)])
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def customer_id_for_preference_token(token: str) -> int | None:
    """The customer a link was made for; None when it was tampered with or has expired."""
    try:
        value = signing.TimestampSigner(salt=_PREFERENCE_SALT).unsign(
            token, max_age=settings.CONSENT_LINK_MAX_AGE_DAYS * 24 * 3600
        )
    except signing.BadSignature:
        return None
    return int(value) if value.isdecimal() else None
