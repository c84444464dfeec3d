"""Which function handles which WeCom event, by (Event, ChangeType).

The handlers are imported, not named by strings: a misspelt handler fails when the
module loads, and the table reads as the list of events the product processes. An
event with no entry is acknowledged and marked processed without a handler.

Every handler takes the parsed event (``channels.wecom.events``) and must be idempotent:
the inbox runs a row's handler at most once *successfully*, but a worker that dies after
the handler returned and before the row was marked processed makes it run again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.contacts import services as contacts
from channels.contacts.tags import corp_tag_changed
from channels.groups.services import group_changed
from channels.transfers.services import transfer_failed

Handler = Callable[[Any], object]

# Any change type of the event.
ANY = "*"

CONTACT = "change_external_contact"
CHAT = "change_external_chat"
TAG = "change_external_tag"

HANDLERS: dict[tuple[str, str], Handler] = {
    (CONTACT, "add_external_contact"): contacts.contact_added,
    (CONTACT, "add_half_external_contact"): contacts.contact_added,
    (CONTACT, "edit_external_contact"): contacts.contact_edited,
    # Also the Source=DELETE_BY_TRANSFER deletion a completed transfer causes.
    (CONTACT, "del_external_contact"): contacts.contact_deleted_by_staff,
    (CONTACT, "del_follow_user"): contacts.contact_deleted_by_customer,
    (CONTACT, "transfer_fail"): transfer_failed,
    # The contact agreed to chat archiving (会话存档).
    (CONTACT, "msg_audit_approved"): contacts.contact_archive_approved,
    (CHAT, "create"): group_changed,
    (CHAT, "update"): group_changed,
    (CHAT, "dismiss"): group_changed,
    (TAG, ANY): corp_tag_changed,
}


def handler_for(event: str, change_type: str) -> Handler | None:
    """The function that handles this event, the exact change type first; None when it is not handled."""
    return HANDLERS.get((event, change_type)) or HANDLERS.get((event, ANY))
