"""Customer groups (客户群): kept from change_external_chat events and a nightly full sync.

A group's state is always taken whole from groupchat/get, never patched from the
event's details: applying the same event twice, or events out of order, ends in the
same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels.models import CustomerGroup, ExternalContact, GroupMember, GroupStatus, MemberType
from channels.wecom.errors import WeComRequestError
from channels.wecom.events import ExternalChatEvent
from channels.wecom.gateway import wecom
from scrm.org.models import Staff

# groupchat/get's answer for a chat that no longer exists or is not the corp's.
_GONE_ERRCODES = frozenset({40050, 701008, 90500})


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def group_store(chat: dict[str, Any]) -> CustomerGroup:
    """Make the local group and its members equal to WeCom's ``group_chat`` answer."""
    owner_userid = str(chat.get("owner", ""))
    group, _ = CustomerGroup.objects.select_for_update().update_or_create(
        chat_id=chat["chat_id"],
        defaults={
            "name": str(chat.get("name", ""))[:128],
            "owner_userid": owner_userid,
            "owner": Staff.objects.filter(wecom_userid=owner_userid).first(),
            "notice": str(chat.get("notice", "")),
            "created_on_wecom": _at(chat.get("create_time")),
            "status": GroupStatus.ACTIVE,
            "member_count": len(chat.get("member_list", [])),
            "synced_at": timezone.now(),
        },
    )
    members = {str(row["userid"]): row for row in chat.get("member_list", [])}
    contacts = dict(
        ExternalContact.objects.filter(external_userid__in=list(members)).values_list("external_userid", "id")
    )
    now = timezone.now()
    # One statement for all members: insert the new, refresh the rest (and bring back leavers).
    GroupMember.objects.bulk_create(
        [
            GroupMember(
                group=group,
                member_id=member_id,
                member_type=(member_type := int(row.get("type", MemberType.EXTERNAL))),
                contact_id=contacts.get(member_id) if member_type == MemberType.EXTERNAL else None,
                join_time=_at(row.get("join_time")),
                join_scene=row.get("join_scene"),
                left_at=None,
            )
            for member_id, row in members.items()
        ],
        update_conflicts=True,
        unique_fields=["group", "member_id"],
        update_fields=["member_type", "contact", "join_time", "join_scene", "left_at"],
    )
    group.members.filter(left_at__isnull=True).exclude(member_id__in=list(members)).update(left_at=now)
    return group


def group_mark_dismissed(chat_id: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        updated = CustomerGroup.objects.filter(chat_id=chat_id).exclude(status=GroupStatus.DISMISSED)
        if updated.update(status=GroupStatus.DISMISSED, member_count=0, synced_at=now):
            GroupMember.objects.filter(group__chat_id=chat_id, left_at__isnull=True).update(left_at=now)


def group_sync(chat_id: str) -> CustomerGroup | None:
    """Fetch one group from WeCom and store it; a group WeCom no longer has is dismissed."""
    try:
        chat = wecom().group_chat(chat_id)
    except WeComRequestError as error:
        if error.errcode in _GONE_ERRCODES:
            group_mark_dismissed(chat_id)
            return None
        raise
    return group_store(chat)


def group_changed(event: ExternalChatEvent) -> None:
    """change_external_chat: create / update (members, owner, name, notice) / dismiss."""
    if event.change_type == "dismiss":
        group_mark_dismissed(event.chat_id)
    else:
        group_sync(event.chat_id)


def groups_reconcile() -> dict[str, int]:
    """Nightly: every group WeCom lists is stored; groups it no longer lists are dismissed."""
    chat_ids = wecom().group_chat_ids()
    for chat_id in chat_ids:
        group_sync(chat_id)
    gone = list(
        CustomerGroup.objects.filter(status=GroupStatus.ACTIVE)
        .exclude(chat_id__in=chat_ids)
        .values_list("chat_id", flat=True)
    )
    for chat_id in gone:
        group_mark_dismissed(chat_id)
    return {"synced": len(chat_ids), "dismissed": len(gone)}
