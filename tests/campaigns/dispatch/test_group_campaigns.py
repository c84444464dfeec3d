"""A campaign to customer groups: each owner RM sends it to their own groups that hold the audience."""

from dataclasses import dataclass

import pytest
from django.test import override_settings

from campaigns.audience.selectors import audience_preview
from campaigns.dispatch.services import campaign_dispatch, occurrence_reconcile, occurrence_results_fetch
from campaigns.models import (
    Campaign,
    CampaignGroupTarget,
    CampaignRecipient,
    CampaignStatus,
    CampaignTask,
    OccurrenceStatus,
    RecipientChannel,
)
from campaigns.services import VariantDraft
from channels.groups.services import group_store
from channels.models import CustomerGroup, OutboundCall, OutboxStatus
from channels.outbox.services import outbox_execute
from channels.wecom.gateway import wecom
from customers.models import Customer
from scrm.org.models import Staff
from tests.campaigns.factories import SegmentFactory, campaign_draft, campaign_scheduled
from tests.conftest import World
from tests.support.outbox import outbox_drain
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db

EVERYONE = {"tags_any": [], "tags_all": [], "tags_none": [], "rule": {"field": "aum", "op": "gte", "value": 0}}


@dataclass
class Groups:
    bj: CustomerGroup  # rm_bj's, two of their customers
    bj2: CustomerGroup  # rm_bj2's, one of theirs and one of rm_bj's
    sh: CustomerGroup  # rm_sh's, one of theirs
    sh_opted_out: CustomerGroup  # rm_sh's, with a customer who refused marketing
    bj_strangers: CustomerGroup  # rm_bj's, nobody the bank has identified


def external_userid(customer: Customer) -> str:
    return customer.wecom_contacts.get().external_userid


def group(corp: SandboxControl, owner: Staff, name: str, customers: list[Customer]) -> CustomerGroup:
    chat_id = corp.group_create(
        owner=owner.wecom_userid, name=name, members=[external_userid(c) for c in customers], deliver=False
    )["chat_id"]
    return group_store(wecom().group_chat(chat_id))


@pytest.fixture
def groups(world: World, corp: SandboxControl) -> Groups:
    [stranger] = corp.seed_contacts([{"name": "陌生人", "follow": [{"userid": world.rm_bj.wecom_userid}]}])
    refused = world.customers_rm_sh[1]
    Customer.objects.filter(pk=refused.pk).update(marketing_consent=False)
    made = Groups(
        bj=group(corp, world.rm_bj, "海淀理财群", world.customers_rm_bj[:2]),
        bj2=group(corp, world.rm_bj2, "中关村客户群", [world.customers_rm_bj2[0], world.customers_rm_bj[2]]),
        sh=group(corp, world.rm_sh, "浦东客户群", [world.customers_rm_sh[0]]),
        sh_opted_out=group(corp, world.rm_sh, "陆家嘴客户群", [world.customers_rm_sh[2], refused]),
        bj_strangers=group(corp, world.rm_bj, "陌生人群", []),
    )
    corp.group_join(chat_id=made.bj_strangers.chat_id, external_userid=stranger, deliver=False)
    group_store(wecom().group_chat(made.bj_strangers.chat_id))
    return made


def scheduled(world: World, *, actor: Staff | None = None, **changes) -> Campaign:
    actor = actor or world.hq_admin
    segment = SegmentFactory(created_by=actor, definition=EVERYONE)
    return campaign_scheduled(
        campaign_draft(segment, kind="groups", **changes), author=actor, reviewer=world.compliance
    )


def sent_chat_ids(corp: SandboxControl) -> set[str]:
    return {
        result["chat_id"]
        for message in corp.state()["groupmsgs"].values()
        if message["chat_type"] == "group"
        for result in message["results"]
    }


def test_each_owner_sends_to_their_own_groups_that_hold_the_audience(
    world: World, corp: SandboxControl, groups: Groups
) -> None:
    campaign = scheduled(world, variants=[VariantDraft("A", 100, "{客户经理}邀您参加理财沙龙")])

    occurrence = campaign_dispatch(campaign.pk)
    assert occurrence is not None
    outbox_drain()
    occurrence_reconcile(occurrence.pk)
    occurrence.refresh_from_db()

    # Counted in groups: four hold the segment's customers; one has a customer who refused marketing.
    assert (occurrence.segment_size, occurrence.recipient_count) == (4, 3)
    assert occurrence.exclusions["no_consent"] == 1
    assert occurrence.status == OccurrenceStatus.DISPATCHED
    assert sent_chat_ids(corp) == {groups.bj.chat_id, groups.bj2.chat_id, groups.sh.chat_id}
    calls = corp.calls("externalcontact/add_msg_template")
    assert {call["body"]["sender"] for call in calls} == {
        world.rm_bj.wecom_userid,
        world.rm_bj2.wecom_userid,
        world.rm_sh.wecom_userid,
    }
    assert {call["body"]["chat_type"] for call in calls} == {"group"}
    texts = {m["text"] for m in corp.state()["groupmsgs"].values()}
    assert texts == {f"{rm.name}邀您参加理财沙龙" for rm in (world.rm_bj, world.rm_bj2, world.rm_sh)}
    # The groups' identified customers are the campaign's recipients, through their group.
    customers = CampaignRecipient.objects.filter(occurrence=occurrence)
    assert set(customers.values_list("customer_id", flat=True)) == {
        *(c.pk for c in world.customers_rm_bj),
        world.customers_rm_bj2[0].pk,
        world.customers_rm_sh[0].pk,
    }
    assert set(customers.values_list("channel", flat=True)) == {RecipientChannel.GROUP}
    assert customers.get(customer=world.customers_rm_bj[2]).sender == world.rm_bj2
    assert not customers.filter(msgid="").exists()

    for rm in (world.rm_bj, world.rm_bj2, world.rm_sh):
        for task in corp.member_tasks(rm.wecom_userid)["groupmsgs"]:
            corp.confirm_groupmsg(msgid=task["msgid"], userid=rm.wecom_userid)
    changed = occurrence_results_fetch(occurrence.pk)
    again = occurrence_results_fetch(occurrence.pk)

    assert (changed, again) == (5, 0)
    assert set(CampaignGroupTarget.objects.filter(occurrence=occurrence).values_list("send_status", flat=True)) == {1}
    assert set(customers.values_list("send_status", flat=True)) == {1}
    assert CampaignTask.objects.filter(occurrence=occurrence, confirmed_at__isnull=False).count() == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_the_builder_counts_groups_live(world: World, corp: SandboxControl, groups: Groups) -> None:
    campaign = scheduled(world)

    preview = audience_preview(campaign)

    assert preview.counts_groups
    assert (preview.segment_size, preview.recipients, preview.exclusions["no_consent"]) == (4, 3, 1)


def test_a_branch_managers_group_campaign_stays_in_their_subtree(
    world: World, corp: SandboxControl, groups: Groups
) -> None:
    campaign = scheduled(world, actor=world.branch_manager_bj, purpose="service")

    occurrence = campaign_dispatch(campaign.pk)
    outbox_drain()

    assert occurrence is not None
    assert occurrence.exclusions["out_of_scope"] == 2  # both of rm_sh's groups
    assert sent_chat_ids(corp) == {groups.bj.chat_id, groups.bj2.chat_id}


def test_a_held_out_group_is_never_sent_and_its_customers_are_the_control(
    world: World, corp: SandboxControl, groups: Groups
) -> None:
    campaign = scheduled(world, purpose="service", holdout_percent=50)

    occurrence = campaign_dispatch(campaign.pk)
    outbox_drain()

    assert occurrence is not None
    held = CampaignGroupTarget.objects.filter(occurrence=occurrence, holdout=True)
    assert held.count() == occurrence.exclusions["holdout"]
    assert not sent_chat_ids(corp) & set(held.values_list("chat_id", flat=True))
    held_customers = CampaignRecipient.objects.filter(occurrence=occurrence, holdout=True)
    assert set(held_customers.values_list("group_target__holdout", flat=True)) <= {True}
    assert not held_customers.exclude(external_userid="").exists()


def test_wecoms_monthly_quota_per_group_is_respected(world: World, corp: SandboxControl, groups: Groups) -> None:
    with override_settings(WECOM_GROUPCHAT_MONTHLY_QUOTA=1):
        first = campaign_dispatch(scheduled(world, purpose="service", name="第一次").pk)
        outbox_drain()
        second = campaign_dispatch(scheduled(world, purpose="service", name="第二次").pk)

    assert first is not None
    assert second is not None
    assert first.recipient_count == 4
    assert (second.recipient_count, second.exclusions["quota"]) == (0, 4)


def test_a_chunk_whose_groups_are_all_gone_creates_no_task(world: World, corp: SandboxControl, groups: Groups) -> None:
    campaign = scheduled(world, purpose="service")
    occurrence = campaign_dispatch(campaign.pk)
    assert occurrence is not None
    corp.group_dismiss(chat_id=groups.sh.chat_id, deliver=False)
    corp.group_dismiss(chat_id=groups.sh_opted_out.chat_id, deliver=False)

    outbox_drain()
    occurrence_reconcile(occurrence.pk)
    occurrence.refresh_from_db()

    assert not OutboundCall.objects.exclude(status=OutboxStatus.SUCCEEDED).exists()
    assert occurrence.status == OccurrenceStatus.DISPATCHED
    assert (occurrence.tasks_created, occurrence.tasks_failed) == (2, 0)
    gone = CampaignGroupTarget.objects.filter(occurrence=occurrence, sender=world.rm_sh)
    assert set(gone.values_list("send_status", flat=True)) == {2}
    assert set(
        CampaignRecipient.objects.filter(occurrence=occurrence, sender=world.rm_sh).values_list(
            "send_status", flat=True
        )
    ) == {2}


def test_a_timeout_after_wecom_accepted_a_group_chunk_is_verified_not_posted_again(
    world: World, corp: SandboxControl, groups: Groups
) -> None:
    campaign = scheduled(world, purpose="service", branch_ids=[world.sh.pk])
    occurrence = campaign_dispatch(campaign.pk)
    [call] = OutboundCall.objects.filter(operation="add_msg_template")
    corp.add_fault("externalcontact/add_msg_template", mode="apply_then_hang", seconds=3)

    assert outbox_execute(call.pk).status == OutboxStatus.UNKNOWN
    OutboundCall.objects.filter(pk=call.pk).update(next_attempt_at=None)
    finished = outbox_execute(call.pk)
    assert occurrence is not None
    occurrence_reconcile(occurrence.pk)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert finished.result["verified"] is True
    assert len(corp.calls("externalcontact/add_msg_template")) == 1
    assert CampaignTask.objects.get(occurrence=occurrence).msgid == finished.result["msgid"]
