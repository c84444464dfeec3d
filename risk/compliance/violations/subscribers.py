"""What the violation workflow does when channels reports an ended WeCom relation."""

from __future__ import annotations

from datetime import datetime

from channels.contacts.events import FollowRelationDeleted
from risk.compliance.violations.services import DeletionFacts, deletion_alert_record


def deletion_alert_on_relation_deleted(event: FollowRelationDeleted) -> None:
    """删人提醒: an RM deleting a customer, or a customer deleting the RM, is recorded for their managers."""
    deletion_alert_record(
        facts=DeletionFacts(
            relation_id=event.relation_id,
            deleted_by=event.deleted_by,
            userid=event.userid,
            external_userid=event.external_userid,
            staff_id=event.staff_id,
            customer_id=event.customer_id,
            deleted_at=datetime.fromisoformat(event.deleted_at),
        )
    )
