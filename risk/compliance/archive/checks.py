"""System checks of the chat archive: a configured Finance SDK must load (``manage.py check``, runserver, migrate)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from risk.compliance.archive.sources import finance_sdk_load


@register()
def finance_sdk_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """WECOM_FINANCE_SDK_PATH, when set, names a library that loads and has the SDK's functions."""
    if not settings.WECOM_FINANCE_SDK_PATH:
        return []
    try:
        finance_sdk_load(settings.WECOM_FINANCE_SDK_PATH)
    except ImproperlyConfigured as error:
        return [Error(str(error), id="risk.E001", hint="The chat archive cannot start without it.")]
    return []
