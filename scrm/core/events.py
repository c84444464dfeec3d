"""Domain events: how a lower app tells a higher one that something happened.

An app publishes a typed event inside the transaction that made the change; every
subscriber registered for that event type runs once the transaction commits, and not
at all if it rolls back. Events are frozen dataclasses of ids and plain values, never
model instances, so that a subscriber can hand them to a Celery task unchanged and the
task fetches fresh rows itself.

Subscribers are registered explicitly, by function object, in the subscribing app's
``AppConfig.ready()``::

    events.subscribe(CustomersTransferred, transfers_follow_on_wecom)

so a misspelt subscriber is an ImportError or AttributeError when Django starts, and a
subscriber whose annotated parameter is another event type is refused there too. A
subscriber must be quick (it runs in the publishing request or task): one that needs
real work enqueues a Celery task with the event's ids.

This replaces Django signals for domain wiring: a signal is invisible at the call site
and silently skipped by ``bulk_create`` and ``update``; an event is published by the
service that made the change, in plain sight. See docs/architecture.md.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import typing
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

# What an event may carry: ids and plain values (and tuples of them), so that it
# survives a Celery message and never holds a stale model instance.
_PLAIN_TYPES = (int, str, bool, float, type(None))


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Base class of every domain event; subclasses are frozen dataclasses."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            values = value if isinstance(value, tuple) else (value,)
            if not all(isinstance(item, _PLAIN_TYPES) for item in values):
                raise TypeError(
                    f"{type(self).__name__}.{field.name} must hold ids or plain values, not {type(value).__name__}"
                )


EventT = TypeVar("EventT", bound=DomainEvent)
Subscriber = Callable[[EventT], None]

_subscribers: dict[type[DomainEvent], list[Callable[[Any], None]]] = {}


def _check_signature(event_type: type[DomainEvent], subscriber: Callable[..., None]) -> None:
    """The subscriber takes exactly one argument, annotated (if at all) with this event type."""
    name = getattr(subscriber, "__qualname__", repr(subscriber))
    try:
        parameters = list(inspect.signature(subscriber).parameters.values())
    except (TypeError, ValueError) as error:
        raise TypeError(f"subscriber {name} has no inspectable signature") from error
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required_others = [
        p
        for p in parameters
        if p not in positional[:1] and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if not positional or required_others:
        raise TypeError(f"subscriber {name} must take the event as its one argument")
    hints = typing.get_type_hints(subscriber)
    annotated = hints.get(positional[0].name)
    if annotated is not None and not (isinstance(annotated, type) and issubclass(event_type, annotated)):
        raise TypeError(f"subscriber {name} takes {annotated}, not {event_type.__name__}")


def subscribe(event_type: type[EventT], subscriber: Subscriber[EventT]) -> None:
    """Register ``subscriber`` for ``event_type``; call it from ``AppConfig.ready()``.

    Registering the same function twice is a no-op, so a second ``ready()`` (tests that
    reload apps) does not double deliveries.
    """
    if not (
        isinstance(event_type, type) and issubclass(event_type, DomainEvent) and dataclasses.is_dataclass(event_type)
    ):
        raise TypeError(f"{event_type!r} is not a DomainEvent dataclass")
    if not callable(subscriber):
        raise TypeError(f"subscriber {subscriber!r} for {event_type.__name__} is not callable")
    _check_signature(event_type, subscriber)
    registered = _subscribers.setdefault(event_type, [])
    if subscriber not in registered:
        registered.append(subscriber)


def subscribers_of(event_type: type[DomainEvent]) -> list[Callable[[Any], None]]:
    """The subscribers registered for exactly this event type, in registration order."""
    return list(_subscribers.get(event_type, ()))


def publish(event: DomainEvent) -> None:
    """Deliver ``event`` to its subscribers after the current transaction commits.

    Outside a transaction (autocommit) they run at once. A subscriber that raises is
    logged and does not stop the others: the change it follows is already committed.
    """
    for subscriber in subscribers_of(type(event)):
        transaction.on_commit(partial(_deliver, subscriber, event))


def _deliver(subscriber: Callable[[Any], None], event: DomainEvent) -> None:
    try:
        subscriber(event)
    except Exception:
        # Ids only in the log: events carry no personal information by construction.
        logger.exception(
            "domain event subscriber failed event=%s subscriber=%s",
            type(event).__name__,
            getattr(subscriber, "__qualname__", subscriber),
        )
