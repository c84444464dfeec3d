"""Which function handles which WeCom event, by (Event, ChangeType).

Handlers are named by dotted path and resolved when an event arrives, so this registry
works while the modules it names are still being written: an event whose handler module
or function does not exist yet is ignored (marked processed) and logged. A module that
exists but fails to import is an error, not "no handler", so the inbox row fails visibly.

Every handler takes the parsed event (``channels.wecom.events``) and must be idempotent:
the inbox runs a row's handler at most once *successfully*, but a worker that dies after
the handler returned and before the row was marked processed makes it run again.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable

from channels.wecom.events import WeComEvent

logger = logging.getLogger(__name__)

Handler = Callable[[WeComEvent], object]

# Any change type of the event.
ANY = "*"

CONTACT = "change_external_contact"
CHAT = "change_external_chat"
TAG = "change_external_tag"

HANDLERS: dict[tuple[str, str], str] = {
    (CONTACT, "add_external_contact"): "channels.contacts.services.contact_added",
    (CONTACT, "add_half_external_contact"): "channels.contacts.services.contact_added",
    (CONTACT, "edit_external_contact"): "channels.contacts.services.contact_edited",
    # Also the Source=DELETE_BY_TRANSFER deletion a completed transfer causes.
    (CONTACT, "del_external_contact"): "channels.contacts.services.contact_deleted_by_staff",
    (CONTACT, "del_follow_user"): "channels.contacts.services.contact_deleted_by_customer",
    (CONTACT, "transfer_fail"): "channels.transfers.services.transfer_failed",
    (CHAT, "create"): "channels.groups.services.group_changed",
    (CHAT, "update"): "channels.groups.services.group_changed",
    (CHAT, "dismiss"): "channels.groups.services.group_changed",
    (TAG, ANY): "channels.contacts.tags.corp_tag_changed",
}


def handler_path_for(event: str, change_type: str) -> str | None:
    """The dotted path registered for the event, the exact change type first; None when there is none."""
    return HANDLERS.get((event, change_type)) or HANDLERS.get((event, ANY))


def _resolve(path: str) -> Handler | None:
    module_path, _, name = path.rpartition(".")
    try:
        spec = importlib.util.find_spec(module_path)
    except ModuleNotFoundError:  # a parent package is missing
        spec = None
    if spec is None:
        return None
    # Errors raised while importing an existing module propagate on purpose.
    handler = getattr(importlib.import_module(module_path), name, None)
    return handler if callable(handler) else None


def handler_for(event: str, change_type: str) -> Handler | None:
    """The function that handles this event, or None when the event is not handled (yet)."""
    path = handler_path_for(event, change_type)
    if path is None:
        return None
    handler = _resolve(path)
    if handler is None:
        logger.info("wecom callback handler not available event=%s change_type=%s path=%s", event, change_type, path)
    return handler
