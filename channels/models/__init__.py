"""The WeCom side of a customer: contacts, follow relations, channel codes, groups, and the
inbox and outbox that every callback and every WeCom call pass through.

One module per concept; everything is importable from ``channels.models``."""

from channels.models.codes import AssignmentStrategy, ChannelCode, ChannelCodeQuerySet
from channels.models.contacts import (
    ContactTag,
    ContactType,
    CorpTag,
    DeletedBy,
    ExternalContact,
    ExternalContactQuerySet,
    FollowRelation,
    FollowRelationQuerySet,
    MatchMethod,
    RelationStatus,
)
from channels.models.groups import CustomerGroup, CustomerGroupQuerySet, GroupMember, GroupStatus, MemberType
from channels.models.messaging import CallbackInbox, InboxStatus, OutboundCall, OutboxStatus
from channels.models.transfers import ContactTransfer, ContactTransferStatus

__all__ = [
    "AssignmentStrategy",
    "CallbackInbox",
    "ChannelCode",
    "ChannelCodeQuerySet",
    "ContactTag",
    "ContactTransfer",
    "ContactTransferStatus",
    "ContactType",
    "CorpTag",
    "CustomerGroup",
    "CustomerGroupQuerySet",
    "DeletedBy",
    "ExternalContact",
    "ExternalContactQuerySet",
    "FollowRelation",
    "FollowRelationQuerySet",
    "GroupMember",
    "GroupStatus",
    "InboxStatus",
    "MatchMethod",
    "MemberType",
    "OutboundCall",
    "OutboxStatus",
    "RelationStatus",
]
