"""kill -9 of the worker while a campaign's chunks go to WeCom: each chunk becomes exactly one WeCom task."""

import pytest
from django.test import override_settings

from campaigns.dispatch.services import occurrence_reconcile
from campaigns.dispatch.tasks import campaign_dispatch_task
from campaigns.models import CampaignOccurrence, CampaignRecipient, CampaignStatus, OccurrenceStatus
from campaigns.services import campaign_approve, campaign_create, campaign_schedule, campaign_submit
from channels.models import OutboundCall
from channels.outbox.tasks import outbox_sweep_task
from customers.models import Customer
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.conftest import World
from tests.factories import CustomerFactory, ExternalContactFactory, FollowRelationFactory
from tests.faults.conftest import RM, Corp
from tests.faults.support import sweep_until, wait_until
from tests.support.celery_worker import queue_new, worker_kill, worker_start, worker_stop

CUSTOMERS, CHUNK = 12, 2  # six chunks of two
KILLED_AT = 3  # the third chunk takes effect at WeCom, then its answer never comes back

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_campaign_whose_worker_died_mid_dispatch_creates_each_chunk_once(world: World, corp: Corp) -> None:
    sandbox = corp.sandbox
    world.rm_bj.wecom_userid = RM
    world.rm_bj.save()
    customers = CustomerFactory.create_batch(CUSTOMERS, owner=world.rm_bj)
    Customer.objects.update(marketing_consent=True)
    for customer, external_userid in zip(customers, corp.contacts(CUSTOMERS), strict=True):
        FollowRelationFactory(
            contact=ExternalContactFactory(customer=customer, external_userid=external_userid), staff=world.rm_bj
        )
    segment = SegmentFactory(created_by=world.hq_admin)
    with override_settings(WECOM_GROUPMSG_CHUNK_SIZE=CHUNK):
        campaign = campaign_create(actor=world.hq_admin, draft=campaign_draft(segment, branch_ids=[world.bj_hd_1.pk]))
        campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)
        campaign_approve(actor=world.compliance, campaign_id=campaign.pk)
        campaign_schedule(actor=world.hq_admin, campaign_id=campaign.pk)
    sandbox.add_fault("externalcontact/add_msg_template", mode="apply_then_hang", seconds=20, after=KILLED_AT - 1)
    queue = queue_new()
    env = {**corp.worker_env, "WECOM_GROUPMSG_CHUNK_SIZE": str(CHUNK)}

    doomed = worker_start(queue, **env)
    try:
        campaign_dispatch_task.apply_async((campaign.pk,), queue=queue)
        wait_until(
            lambda: len(sandbox.calls("externalcontact/add_msg_template")) == KILLED_AT,
            timeout=60,
            what="the dispatch is waiting on WeCom's answer to its third chunk",
        )
    finally:
        worker_kill(doomed)

    survivor = worker_start(queue, **env, WECOM_OUTBOX_LEASE_SECONDS="3")
    try:
        sweep_until(
            outbox_sweep_task,
            queue,
            lambda: not OutboundCall.objects.filter(finished_at__isnull=True).exists(),
            timeout=60,
            what="every chunk has its final answer",
        )
    finally:
        worker_stop(survivor)

    [occurrence] = CampaignOccurrence.objects.all()
    occurrence_reconcile(occurrence.pk)
    occurrence.refresh_from_db()
    created = sandbox.state()["groupmsgs"].values()
    recipients = [r["external_userid"] for msg in created for r in msg["results"]]
    assert len(created) == CUSTOMERS // CHUNK
    assert sorted(recipients) == sorted(CampaignRecipient.objects.values_list("external_userid", flat=True))
    assert len(recipients) == len(set(recipients)) == CUSTOMERS
    assert occurrence.status == OccurrenceStatus.DISPATCHED
    assert occurrence.tasks_created == CUSTOMERS // CHUNK
    assert campaign.__class__.objects.get(pk=campaign.pk).status == CampaignStatus.SENT
