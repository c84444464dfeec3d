"""Reads of contacts for other apps' batch work (the chat archive): plain ids, no scoping, no PII."""

from __future__ import annotations

from channels.models import CustomerGroup, ExternalContact, FollowRelation, RelationStatus


def customer_ids_by_external_userid(external_userids: list[str]) -> dict[str, int | None]:
    """The linked customer of each known external contact (None while a lead); unknown ones are absent."""
    rows = ExternalContact.objects.filter(external_userid__in=external_userids).values_list(
        "external_userid", "customer_id"
    )
    return dict(rows)


def group_owner_ids_by_chat_id(chat_ids: list[str]) -> dict[str, int | None]:
    """The owning member of staff of each known customer group (None when the owner is not staff here)."""
    return dict(CustomerGroup.objects.filter(chat_id__in=chat_ids).values_list("chat_id", "owner_id"))


def linked_contacts_of_staff(*, staff_id: int, limit: int) -> list[tuple[str, int]]:
    """(external userid, customer id) of a member's live relations with linked customers, oldest customer first."""
    rows = (
        FollowRelation.objects.filter(staff_id=staff_id, status=RelationStatus.ACTIVE, contact__customer__isnull=False)
        .order_by("contact__customer_id")
        .values_list("contact__external_userid", "contact__customer_id")[:limit]
    )
    return [(external_userid, customer_id) for external_userid, customer_id in rows]
