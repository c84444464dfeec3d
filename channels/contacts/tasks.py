"""Nightly reconciliation tasks; each takes ids only and may run twice."""

from celery import shared_task

from channels.contacts.reconcile import contacts_reconcile_members
from channels.contacts.tags import customer_wecom_tags_push
from channels.groups.services import groups_reconcile
from scrm.org.models import Staff, StaffStatus

# batch/get_by_user takes at most 100 members a call (WECOM.md §5).
MEMBERS_PER_CALL = 100


@shared_task(name="channels.reconcile_all")
def reconcile_all() -> int:
    """Fan the members out in batches, then the groups; returns the number of tasks queued."""
    userids = list(
        Staff.objects.filter(status=StaffStatus.ACTIVE, wecom_userid__isnull=False)
        .order_by("wecom_userid")
        .values_list("wecom_userid", flat=True)
    )
    batches = [userids[i : i + MEMBERS_PER_CALL] for i in range(0, len(userids), MEMBERS_PER_CALL)]
    for batch in batches:
        reconcile_contacts.delay(batch)
    reconcile_groups.delay()
    return len(batches) + 1


@shared_task(name="channels.reconcile_contacts", autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def reconcile_contacts(userids: list[str]) -> dict[str, int]:
    return contacts_reconcile_members(userids)


@shared_task(name="channels.reconcile_groups", autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def reconcile_groups() -> dict[str, int]:
    return groups_reconcile()


@shared_task(name="channels.customer_wecom_tags_push", autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def customer_wecom_tags_push_task(customer_id: int, add: list[int], remove: list[int], intent: str) -> int:
    return customer_wecom_tags_push(customer_id=customer_id, add=add, remove=remove, intent=intent)
