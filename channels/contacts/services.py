"""External contacts and follow relations, kept in step with WeCom's customer-contact events.

Every handler here is idempotent: the inbox hands each distinct event over once, but a
crashed run is retried, and the nightly reconciliation may replay the same facts. Local
writes of one event share one transaction; WeCom writes go through the outbox under
keys derived from the event, so a retry never sends a second welcome or tag call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels.codes.services import (
    channel_code_after_add,
    channel_code_for_state,
    channel_code_is_valid,
    customer_for_state,
    welcome_message_for,
)
from channels.contacts.events import FollowRelationDeleted
from channels.identity.services import (
    contact_channel_tags_copy,
    contact_link,
    contact_match_automatically,
    verification_link_for,
)
from channels.models import (
    ChannelCode,
    ContactTag,
    DeletedBy,
    ExternalContact,
    FollowRelation,
    MatchMethod,
    OutboxStatus,
    RelationStatus,
)
from channels.outbox.services import outbox_send_now, outbox_submit
from channels.wecom.errors import WeComRequestError
from channels.wecom.events import ExternalContactEvent
from channels.wecom.gateway import wecom
from customers.consent.services import consent_set
from customers.models import ConsentPurpose, ConsentSource, Tag, TimelineKind
from customers.timeline.services import timeline_record
from scrm.core import events
from scrm.org.models import Staff
from scrm.pii import MAINLAND_MOBILE_IN_TEXT, mask_phone

logger = logging.getLogger(__name__)

# WeCom's answers when the relation or contact no longer exists.
_GONE_ERRCODES = frozenset({40096, 84061, 61110})


def mask_mobiles_in(text: str) -> str:
    """The text with every mobile number masked: remarks are stored, phone numbers are not."""
    return MAINLAND_MOBILE_IN_TEXT.sub(lambda match: mask_phone(match.group(1)), text)


def mobiles_in(text: str) -> list[str]:
    return MAINLAND_MOBILE_IN_TEXT.findall(text)


def _from_timestamp(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError):
        return timezone.now()


@dataclass(frozen=True)
class ContactSnapshot:
    """What WeCom says about a contact and one member's relation with it."""

    contact: dict[str, Any]
    follow: dict[str, Any] | None

    @property
    def remark_mobiles(self) -> list[str]:
        if not self.follow:
            return []
        return [str(m) for m in self.follow.get("remark_mobiles", []) if m] + mobiles_in(self.follow.get("remark", ""))


def _fetch(external_userid: str, userid: str) -> ContactSnapshot | None:
    """The contact as WeCom sees it now; None if WeCom no longer knows it."""
    try:
        answer = wecom().external_contact(external_userid)
    except WeComRequestError as error:
        if error.errcode in _GONE_ERRCODES:
            return None
        raise
    follow = next((row for row in answer.get("follow_user", []) if row.get("userid") == userid), None)
    return ContactSnapshot(contact=answer.get("external_contact", {}), follow=follow)


def contact_upsert(*, contact: dict[str, Any]) -> ExternalContact:
    """Create or refresh the local copy of a WeCom external contact."""
    defaults = {
        "name": str(contact.get("name", ""))[:128],
        "contact_type": int(contact.get("type", 1) or 1),
        "avatar": str(contact.get("avatar", ""))[:500],
        "gender": int(contact.get("gender", 0) or 0),
        "corp_name": str(contact.get("corp_name", ""))[:128],
    }
    if contact.get("unionid"):
        defaults["unionid"] = str(contact["unionid"])
    row, _ = ExternalContact.objects.update_or_create(external_userid=contact["external_userid"], defaults=defaults)
    return row


def relation_upsert(
    *, contact: ExternalContact, userid: str, follow: dict[str, Any], channel: ChannelCode | None
) -> tuple[FollowRelation, bool]:
    """Create or refresh one member's relation; True when it is new or came back from deleted."""
    staff = Staff.objects.filter(wecom_userid=userid).first()
    existing = FollowRelation.objects.select_for_update().filter(contact=contact, userid=userid).first()
    values: dict[str, Any] = {
        "staff": staff,
        "remark": mask_mobiles_in(str(follow.get("remark", "")))[:200],
        "description": str(follow.get("description", ""))[:500],
        "add_way": int(follow.get("add_way", 0) or 0),
        "state": str(follow.get("state", ""))[:64],
        "status": RelationStatus.ACTIVE,
        "added_at": _from_timestamp(follow.get("createtime")),
        "deleted_at": None,
        "deleted_by": "",
    }
    if channel is not None:
        values["channel"] = channel
    if existing is None:
        return FollowRelation.objects.create(contact=contact, userid=userid, **values), True
    revived = existing.status != RelationStatus.ACTIVE
    for field, value in values.items():
        setattr(existing, field, value)
    existing.save()
    return existing, revived


def contact_tags_apply(*, contact: ExternalContact, tags: list[Tag], actor: Staff | None = None) -> int:
    """Put tags on the contact, and on its customer when it is matched; returns customer tags added."""
    ContactTag.objects.bulk_create(
        [ContactTag(contact=contact, tag=tag) for tag in tags], ignore_conflicts=True, unique_fields=["contact", "tag"]
    )
    if contact.customer_id is None:
        return 0
    return contact_channel_tags_copy(contact=contact, customer_id=contact.customer_id, actor=actor)


def _send_welcome(*, event: ExternalContactEvent, channel: ChannelCode, contact_name: str) -> bool:
    """Send the channel's welcome message at once: the code dies 20 s after the add."""
    link = verification_link_for(ExternalContact(external_userid=event.external_user_id))
    text, attachments = welcome_message_for(
        code=channel, contact_name=contact_name, verify_link=f"{settings.PUBLIC_BASE_URL}{link}"
    )
    if not text and not attachments:
        return False
    call = outbox_send_now(
        key=f"welcome:{event.welcome_code}",
        operation="send_welcome_msg",
        payload={"welcome_code": event.welcome_code, "text": text, "attachments": attachments},
    )
    return call.status == OutboxStatus.SUCCEEDED


def _mark_channel_tags(
    *, event: ExternalContactEvent, channel: ChannelCode, relation: FollowRelation, tags: list[Tag]
) -> None:
    """The channel's tags on the new relation in WeCom, remembered as mirrored so a sync does not resend them."""
    from channels.contacts.tags import corp_tag_ids, relation_tags_mirrored

    wecom_ids = corp_tag_ids({tag.pk for tag in tags}, create=True)
    if wecom_ids:
        with transaction.atomic():
            outbox_submit(
                key=f"mark_tag:channel:{channel.pk}:{event.user_id}:{event.external_user_id}",
                operation="mark_tag",
                payload={
                    "userid": event.user_id,
                    "external_userid": event.external_user_id,
                    "add": [wecom_ids[tag.pk] for tag in tags if tag.pk in wecom_ids],
                },
            )
            relation_tags_mirrored(relation_id=relation.pk, tag_ids=list(wecom_ids))


def contact_added(event: ExternalContactEvent) -> None:
    """add_external_contact / add_half_external_contact (DESIGN §4, flow 1).

    Welcome first (the code expires 20 s after the add), then the local record in one
    transaction (contact, relation, channel tags, identity match, timeline), then the
    WeCom side of the tags and the channel's round-robin, through the outbox.
    """
    snapshot = _fetch(event.external_user_id, event.user_id)
    if snapshot is None or snapshot.follow is None:
        logger.info("wecom: %s is no longer a contact of %s", event.external_user_id, event.user_id)
        return
    channel = channel_code_for_state(event.state) if event.state else None
    welcomed = False
    if channel is not None and event.welcome_code and channel_code_is_valid(channel, timezone.now()):
        welcomed = _send_welcome(event=event, channel=channel, contact_name=str(snapshot.contact.get("name", "")))
    tags = list(channel.tags.filter(is_active=True)) if channel is not None else []
    with transaction.atomic():
        contact = contact_upsert(contact=snapshot.contact)
        relation, is_new = relation_upsert(
            contact=contact, userid=event.user_id, follow=snapshot.follow, channel=channel
        )
        if welcomed and relation.welcomed_at is None:
            relation.welcomed_at = timezone.now()
            relation.save(update_fields=["welcomed_at", "updated_at"])
        if contact.customer_id is None and event.state:
            known = customer_for_state(event.state)
            if known is not None:
                contact_link(contact=contact, customer=known, method=MatchMethod.PERSONAL_CODE)
        if contact.customer_id is None:
            contact_match_automatically(contact=contact, remark_mobiles=snapshot.remark_mobiles)
        contact.refresh_from_db(fields=["customer"])
        contact_tags_apply(contact=contact, tags=tags)
        if is_new and contact.customer is not None:
            via = f" via {channel.name}" if channel else ""
            timeline_record(
                customer=contact.customer,
                kind=TimelineKind.WECOM_ADDED,
                summary=f"Added {relation.staff.name if relation.staff else event.user_id} on WeCom{via}",
                actor=relation.staff,
                data={"userid": event.user_id, "channel": channel.pk if channel else None, "welcomed": welcomed},
            )
    if channel is not None:
        if tags:
            _mark_channel_tags(event=event, channel=channel, relation=relation, tags=tags)
        channel_code_after_add(code=channel, userid=event.user_id)
    if is_new and contact.customer_id is not None:
        # A new relation of a known customer (another RM, a transfer's takeover) gets their tags.
        from channels.contacts.tasks import tags_mirror_task

        tags_mirror_task.delay(contact.customer_id, contact.customer_id)


def contact_edited(event: ExternalContactEvent) -> None:
    """edit_external_contact: the member changed the remark, description or tags in WeCom."""
    snapshot = _fetch(event.external_user_id, event.user_id)
    if snapshot is None or snapshot.follow is None:
        return
    with transaction.atomic():
        contact = contact_upsert(contact=snapshot.contact)
        relation_upsert(contact=contact, userid=event.user_id, follow=snapshot.follow, channel=None)
        if contact.customer_id is None:
            contact_match_automatically(contact=contact, remark_mobiles=snapshot.remark_mobiles)


def relation_mark_deleted(*, external_userid: str, userid: str, by: DeletedBy, at: datetime) -> bool:
    """Record that a relation ended; False when it was unknown or already ended."""
    with transaction.atomic():
        relation = (
            FollowRelation.objects.select_for_update(of=("self",))
            .select_related("contact__customer", "staff")
            .filter(contact__external_userid=external_userid, userid=userid)
            .first()
        )
        if relation is None or relation.status == RelationStatus.DELETED:
            return False
        relation.status = RelationStatus.DELETED
        relation.deleted_by = by
        relation.deleted_at = at
        relation.save(update_fields=["status", "deleted_by", "deleted_at", "updated_at"])
        customer = relation.contact.customer
        events.publish(
            FollowRelationDeleted(
                relation_id=relation.pk,
                userid=userid,
                external_userid=external_userid,
                staff_id=relation.staff_id,
                customer_id=customer.pk if customer is not None else None,
                deleted_by=str(by),
                deleted_at=at.isoformat(),
            )
        )
        if customer is not None and by != DeletedBy.TRANSFER:
            who = relation.staff.name if relation.staff else userid
            timeline_record(
                customer=customer,
                kind=TimelineKind.WECOM_DELETED,
                summary=f"WeCom relation with {who} ended ({DeletedBy(by).label})",
                actor=relation.staff,
                data={"userid": userid, "deleted_by": str(by)},
            )
    return True


def contact_deleted_by_staff(event: ExternalContactEvent) -> None:
    """del_external_contact: the member removed the customer, or a transfer moved them away."""
    by = DeletedBy.TRANSFER if event.source == "DELETE_BY_TRANSFER" else DeletedBy.STAFF
    relation_mark_deleted(
        external_userid=event.external_user_id, userid=event.user_id, by=by, at=_from_timestamp(event.create_time)
    )


def contact_deleted_by_customer(event: ExternalContactEvent) -> None:
    """del_follow_user: the customer deleted the member."""
    relation_mark_deleted(
        external_userid=event.external_user_id,
        userid=event.user_id,
        by=DeletedBy.CUSTOMER,
        at=_from_timestamp(event.create_time),
    )


def contact_archive_approved(event: ExternalContactEvent) -> None:
    """msg_audit_approved: the contact agreed to chat archiving (会话存档) with the member.

    For a contact linked to a customer, the customer's chat-archive consent is recorded
    (source WeCom, once: a repeated event changes nothing). A contact not linked yet has no
    customer to record it on; the archive asks WeCom's agree status for such contacts.
    """
    customer_id = (
        ExternalContact.objects.filter(external_userid=event.external_user_id)
        .values_list("customer_id", flat=True)
        .first()
    )
    if customer_id is None:
        logger.info("wecom: archive agreement of unlinked contact userid=%s", event.user_id)
        return
    consent_set(customer_id=customer_id, purpose=ConsentPurpose.CHAT_ARCHIVE, granted=True, source=ConsentSource.WECOM)
