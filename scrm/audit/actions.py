"""Audit actions: declared by the app that performs them, registered in its ``AppConfig.ready()``.

An app lists its regulated actions as a ``TextChoices`` in its own ``audit.py`` and calls
``audit_actions_register`` once; ``audit_record`` refuses an action that nobody
registered. The database column has no choices, so a new action needs no migration of
the audit app; the table keeps its append-only trigger and hash chain.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import models

_owners: dict[str, type[models.TextChoices]] = {}

# Stored in a 64-character column.
ACTION_MAX_LENGTH = 64


def audit_actions_register(actions: type[models.TextChoices]) -> None:
    """Make ``actions`` recordable; a value another app already declared fails at start-up."""
    for action in actions:
        value = str(action.value)
        if len(value) > ACTION_MAX_LENGTH:
            raise ImproperlyConfigured(f"audit action {value!r} is longer than {ACTION_MAX_LENGTH} characters")
        owner = _owners.get(value)
        if owner is not None and owner is not actions:
            raise ImproperlyConfigured(
                f"audit action {value!r} is declared by both {owner.__name__} and {actions.__name__}"
            )
        _owners[value] = actions


def audit_action_is_registered(action: str) -> bool:
    return str(action) in _owners


def audit_action_label(action: str) -> str:
    """The action's label in the active language; the raw value for one no longer declared."""
    owner = _owners.get(str(action))
    return str(owner(str(action)).label) if owner is not None else str(action)


def audit_actions_registered() -> list[str]:
    """Every registered action value, sorted (for filters and pickers)."""
    return sorted(_owners)
