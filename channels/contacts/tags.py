"""Mirroring the bank's tags as WeCom corp tags (企业客户标签).

A tag gets a WeCom id the first time it must be put on a contact in WeCom; the id is
kept on ``Tag.wecom_tag_id``. Edits made in the WeCom admin console arrive as
change_external_tag events: a deleted corp tag is unlinked here, so the next use
creates it again instead of failing.
"""

from __future__ import annotations

import logging

from channels.models import FollowRelation, OutboxStatus, RelationStatus
from channels.outbox.services import outbox_send_now
from channels.wecom.events import ExternalTagEvent
from channels.wecom.gateway import wecom
from customers.models import Tag

logger = logging.getLogger(__name__)


def corp_tag_lookup(*, group_name: str, tag_name: str) -> str | None:
    """The WeCom id of the corp tag with this group and name, if WeCom has one."""
    for group in wecom().corp_tag_groups():
        if group.get("group_name") == group_name:
            for tag in group.get("tag", []):
                if tag.get("name") == tag_name and not tag.get("deleted"):
                    return str(tag["id"])
    return None


def corp_tag_ensure(tag: Tag) -> str | None:
    """The tag's WeCom id, creating the corp tag (through the outbox) when it has none yet.

    None when WeCom could not be reached now; the caller leaves WeCom untagged and the
    next use or the nightly reconciliation tries again.
    """
    if tag.wecom_tag_id:
        return tag.wecom_tag_id
    group_name = tag.group.name
    wecom_id = corp_tag_lookup(group_name=group_name, tag_name=tag.name)
    if wecom_id is None:
        call = outbox_send_now(
            key=f"corp_tag:add:{tag.pk}",
            operation="add_corp_tags",
            payload={"group_name": group_name, "tag_names": [tag.name]},
        )
        if call.status != OutboxStatus.SUCCEEDED:
            return None
        wecom_id = next((str(row["id"]) for row in call.result_value("tag", []) if row.get("name") == tag.name), None)
        if wecom_id is None:
            return None
    Tag.objects.filter(pk=tag.pk, wecom_tag_id__isnull=True).update(wecom_tag_id=wecom_id)
    tag.wecom_tag_id = wecom_id
    return wecom_id


def corp_tag_ids_for(tags: list[Tag]) -> list[str]:
    """WeCom ids for the tags, creating the corp tags that are missing."""
    return [wecom_id for tag in tags if (wecom_id := corp_tag_ensure(tag))]


def corp_tag_changed(event: ExternalTagEvent) -> None:
    """change_external_tag from the admin console: unlink local tags whose corp tag is gone."""
    if event.change_type != "delete":
        logger.info(
            "wecom: corp %s %s %s (names stay as the bank set them)", event.tag_type, event.tag_id, event.change_type
        )
        return
    if event.tag_type == "tag":
        Tag.objects.filter(wecom_tag_id=event.tag_id).update(wecom_tag_id=None)
        return
    live = {str(tag["id"]) for group in wecom().corp_tag_groups() for tag in group.get("tag", [])}
    Tag.objects.filter(wecom_tag_id__isnull=False).exclude(wecom_tag_id__in=live).update(wecom_tag_id=None)


def customer_wecom_tags_push(*, customer_id: int, add: list[int], remove: list[int], intent: str) -> int:
    """Mirror a change of the customer's tags onto every live WeCom relation of their contacts.

    ``add`` and ``remove`` are tag ids; ``intent`` names the one change (a request), so
    the outbox sends each relation's mark_tag once however often this runs. Returns the
    number of mark_tag calls submitted.
    """
    added = corp_tag_ids_for(list(Tag.objects.filter(pk__in=add).select_related("group")))
    removed = [
        wecom_id for wecom_id in Tag.objects.filter(pk__in=remove).values_list("wecom_tag_id", flat=True) if wecom_id
    ]
    if not added and not removed:
        return 0
    relations = FollowRelation.objects.filter(
        contact__customer_id=customer_id, status=RelationStatus.ACTIVE
    ).values_list("userid", "contact__external_userid")
    submitted = 0
    for userid, external_userid in relations:
        outbox_send_now(
            key=f"mark_tag:{intent}:{userid}:{external_userid}",
            operation="mark_tag",
            payload={"userid": userid, "external_userid": external_userid, "add": added, "remove": removed},
        )
        submitted += 1
    return submitted
