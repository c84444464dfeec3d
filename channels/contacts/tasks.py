"""Reconciliation and tag-sync tasks; each takes ids only and may run twice."""

from celery import shared_task

from channels.contacts.reconcile import contacts_reconcile_members
from channels.contacts.tags import relation_tags_mirror
from channels.groups.services import groups_reconcile
from scrm.org.models import Staff, StaffStatus

MAX_CUSTOMER_ID = 2**63 - 1
# batch/get_by_user takes at most 100 members a call (WECOM.md §5).
MEMBERS_PER_CALL = 100


@shared_task(name="channels.reconcile_all")
def reconcile_all_task() -> int:
    """Fan the members out in batches, then the groups; returns the number of tasks queued."""
    userids = list(
        Staff.objects.filter(status=StaffStatus.ACTIVE, wecom_userid__isnull=False)
        .order_by("wecom_userid")
        .values_list("wecom_userid", flat=True)
    )
    batches = [userids[i : i + MEMBERS_PER_CALL] for i in range(0, len(userids), MEMBERS_PER_CALL)]
    for batch in batches:
        reconcile_contacts_task.delay(batch)
    reconcile_groups_task.delay()
    return len(batches) + 1


@shared_task(name="channels.reconcile_contacts", autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def reconcile_contacts_task(userids: list[str]) -> dict[str, int]:
    return contacts_reconcile_members(userids)


@shared_task(name="channels.reconcile_groups", autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def reconcile_groups_task() -> dict[str, int]:
    return groups_reconcile()


# A sync that waits on earlier sends of some relations looks again this often, this many times;
# what is still waiting after that is left to the nightly sync.
MIRROR_RETRY_SECONDS = 60
MIRROR_RETRIES = 30


@shared_task(name="channels.tags_mirror", autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def tags_mirror_task(first_customer_id: int, last_customer_id: int, retries_left: int = MIRROR_RETRIES) -> int:
    """Mirror the tags of the customers in the id range onto their WeCom relations; relations done."""
    result = relation_tags_mirror(first_customer_id=first_customer_id, last_customer_id=last_customer_id)
    if result.deferred and retries_left > 0:
        tags_mirror_task.apply_async(
            (first_customer_id, last_customer_id, retries_left - 1), countdown=MIRROR_RETRY_SECONDS
        )
    return result.relations


@shared_task(name="channels.tags_mirror_all")
def tags_mirror_all_task() -> int:
    """Nightly: every linked customer's relations, in case a change was missed (a lost task, WeCom down)."""
    return relation_tags_mirror(first_customer_id=0, last_customer_id=MAX_CUSTOMER_ID).relations
