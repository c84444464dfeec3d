"""What channels' contact handling tells the apps above it (``scrm.core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from scrm.core.events import DomainEvent


@dataclass(frozen=True)
class FollowRelationDeleted(DomainEvent):
    """A WeCom relation between a member and an external contact ended.

    ``deleted_by`` is a ``channels.models.DeletedBy`` value (staff, customer, transfer,
    reconciliation); ``deleted_at`` is when WeCom says it happened, ISO 8601.
    """

    relation_id: int
    userid: str
    external_userid: str
    staff_id: int | None
    customer_id: int | None
    deleted_by: str
    deleted_at: str
