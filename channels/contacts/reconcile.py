"""Nightly reconciliation: make the local relations equal to what WeCom has.

WeCom retries a callback at most three times and may drop some; whatever never
arrived is repaired here. Contacts are read per batch of members (batch/get_by_user,
≤100 members a call) and compared as sets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels.codes.services import channel_code_for_state
from channels.contacts.services import contact_upsert, mobiles_in, relation_upsert
from channels.identity.services import contact_match_automatically
from channels.models import DeletedBy, FollowRelation, RelationStatus
from channels.wecom.gateway import wecom


def contacts_reconcile_members(userids: list[str]) -> dict[str, int]:
    """Repair the relations of up to 100 members; returns what was added, refreshed and ended."""
    seen: set[tuple[str, str]] = set()
    added = refreshed = 0
    for row in _wecom_rows(userids):
        contact_data, follow = row.get("external_contact", {}), row.get("follow_info", {})
        userid = str(follow.get("userid", ""))
        if not contact_data.get("external_userid") or not userid:
            continue
        seen.add((contact_data["external_userid"], userid))
        state = str(follow.get("state", ""))
        with transaction.atomic():
            contact = contact_upsert(contact=contact_data)
            _, is_new = relation_upsert(
                contact=contact, userid=userid, follow=follow, channel=channel_code_for_state(state) if state else None
            )
            if contact.customer_id is None:
                mobiles = [str(m) for m in follow.get("remark_mobiles", []) if m] + mobiles_in(follow.get("remark", ""))
                contact_match_automatically(contact=contact, remark_mobiles=mobiles)
        added += is_new
        refreshed += not is_new
    ended = 0
    now = timezone.now()
    active = FollowRelation.objects.filter(userid__in=userids, status=RelationStatus.ACTIVE).values_list(
        "pk", "contact__external_userid", "userid"
    )
    gone = [pk for pk, external_userid, userid in active if (external_userid, userid) not in seen]
    if gone:
        ended = FollowRelation.objects.filter(pk__in=gone, status=RelationStatus.ACTIVE).update(
            status=RelationStatus.DELETED, deleted_by=DeletedBy.RECONCILIATION, deleted_at=now, updated_at=now
        )
    return {"added": added, "refreshed": refreshed, "ended": ended}


def _wecom_rows(userids: list[str]) -> Iterator[dict[str, Any]]:
    return wecom().contacts_by_users(userids)
