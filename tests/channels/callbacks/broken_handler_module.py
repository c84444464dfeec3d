"""A handler module that exists but cannot be imported (for the registry's tests)."""

from channels.wecom.events import NoSuchName  # noqa: F401


def handle(event: object) -> None:  # pragma: no cover
    pass
