"""A campaign from schedule to per-recipient delivery, against the WeCom sandbox over HTTP."""

import datetime

import pytest
from django.utils import timezone

from campaigns.dispatch.services import (
    campaign_dispatch,
    campaigns_complete_due,
    campaigns_due_ids,
    occurrence_reconcile,
    occurrence_results_fetch,
)
from campaigns.models import (
    Campaign,
    CampaignOccurrence,
    CampaignRecipient,
    CampaignStatus,
    CampaignTask,
    OccurrenceStatus,
)
from campaigns.services import VariantDraft
from channels.models import OutboundCall, OutboxStatus
from tests.campaigns.factories import SegmentFactory, campaign_draft, campaign_scheduled
from tests.conftest import World
from tests.support.outbox import outbox_drain
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db


def scheduled(world: World, **changes) -> Campaign:
    everyone = {"tags_any": [], "tags_all": [], "tags_none": [], "rule": {"field": "aum", "op": "gte", "value": 0}}
    segment = SegmentFactory(created_by=world.hq_admin, definition=everyone)
    return campaign_scheduled(campaign_draft(segment, **changes), author=world.hq_admin, reviewer=world.compliance)


def test_a_campaign_reaches_each_customer_after_their_rm_confirms(world: World, corp: SandboxControl) -> None:
    campaign = scheduled(world, variants=[VariantDraft("A", 50, "甲文案"), VariantDraft("B", 50, "乙文案")])
    # The customer removed the RM in WeCom; the product has not heard yet, so it still plans them.
    gone = world.customers_rm_sh[0]
    corp.customer_deletes_staff(
        userid=world.rm_sh.wecom_userid, external_userid=gone.wecom_contacts.get().external_userid, deliver=False
    )

    assert campaigns_due_ids() == [campaign.pk]
    occurrence = campaign_dispatch(campaign.pk)
    assert occurrence is not None
    outbox_drain()
    occurrence_reconcile(occurrence.pk)
    occurrence.refresh_from_db()
    campaign.refresh_from_db()

    # 9 owned customers with a relation (the pool customer has none): one task per RM and variant.
    assert occurrence.recipient_count == 9
    assert occurrence.exclusions["no_relation"] == 1
    assert occurrence.status == OccurrenceStatus.DISPATCHED
    assert campaign.status == CampaignStatus.SENT
    assert occurrence.tasks_created == CampaignTask.objects.filter(occurrence=occurrence).count()
    assert occurrence.tasks_failed == 0
    assert not OutboundCall.objects.exclude(status=OutboxStatus.SUCCEEDED).exists()
    # Without a WeCom task only a customer no longer related to their RM (a chunk of them alone gets none).
    without_task = CampaignRecipient.objects.filter(occurrence=occurrence, holdout=False, msgid="")
    assert set(without_task.values_list("customer_id", "send_status")) <= {(gone.pk, 2)}

    for rm in (world.rm_bj, world.rm_bj2, world.rm_sh):
        for task in corp.member_tasks(rm.wecom_userid)["groupmsgs"]:
            corp.confirm_groupmsg(msgid=task["msgid"], userid=rm.wecom_userid)
    changed = occurrence_results_fetch(occurrence.pk)
    again = occurrence_results_fetch(occurrence.pk)

    statuses = dict(CampaignRecipient.objects.filter(occurrence=occurrence).values_list("customer_id", "send_status"))
    assert statuses.pop(gone.pk) == 2  # WeCom's fail_list: not a friend
    assert set(statuses.values()) == {1}
    assert (changed, again) == (8, 0)  # the fail_list recipient was settled when the task was created
    texts = {d["text"] for d in corp.deliveries(kind="groupmsg")}
    assert texts <= {"甲文案", "乙文案"}
    assert len(corp.deliveries(kind="groupmsg")) == 8


def test_dispatching_twice_plans_once_and_creates_each_wecom_task_once(world: World, corp: SandboxControl) -> None:
    campaign = scheduled(world)

    first = campaign_dispatch(campaign.pk)
    second = campaign_dispatch(campaign.pk)
    outbox_drain()
    outbox_drain()

    assert first is not None
    assert second is None
    assert CampaignOccurrence.objects.count() == 1
    assert len(corp.state()["groupmsgs"]) == 3  # one per RM
    assert len(corp.calls("externalcontact/add_msg_template")) == 3


def test_a_timed_campaign_waits_for_its_time(world: World, corp: SandboxControl) -> None:
    start = timezone.now() + datetime.timedelta(hours=2)
    campaign = scheduled(world, schedule_kind="at", start_at=start)

    assert campaigns_due_ids() == []
    assert campaign_dispatch(campaign.pk) is None
    assert campaign_dispatch(campaign.pk, now=start + datetime.timedelta(seconds=1)) is not None


def test_a_recurring_campaign_returns_to_scheduled_until_its_last_date(world: World, corp: SandboxControl) -> None:
    start = timezone.now() + datetime.timedelta(minutes=5)
    campaign = scheduled(
        world,
        purpose="service",
        schedule_kind="recurring",
        start_at=start,
        recurrence="daily",
        recurrence_until=timezone.localdate(start + datetime.timedelta(days=1)),
    )

    first = campaign_dispatch(campaign.pk, now=start)
    outbox_drain()
    occurrence_reconcile(first.pk)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign_dispatch(campaign.pk, now=start + datetime.timedelta(hours=1)) is None

    second = campaign_dispatch(campaign.pk, now=start + datetime.timedelta(days=1))
    outbox_drain()
    occurrence_reconcile(second.pk)
    campaign.refresh_from_db()

    assert second.sequence == 2
    assert campaign.status == CampaignStatus.SENT


def test_a_sent_campaign_completes_when_its_result_window_closes(world: World, corp: SandboxControl) -> None:
    campaign = scheduled(world, result_days=3)
    occurrence = campaign_dispatch(campaign.pk)
    outbox_drain()
    occurrence_reconcile(occurrence.pk)

    assert campaigns_complete_due() == []
    assert campaigns_complete_due(now=timezone.now() + datetime.timedelta(days=4)) == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED


def dispatched(world: World) -> tuple[Campaign, CampaignOccurrence]:
    campaign = scheduled(world)
    occurrence = campaign_dispatch(campaign.pk)
    assert occurrence is not None
    outbox_drain()
    occurrence_reconcile(occurrence.pk)
    return campaign, occurrence


def test_an_rm_sees_only_their_own_tasks_with_what_to_send(world: World, corp: SandboxControl, client_for) -> None:
    campaign, _ = dispatched(world)

    mine = client_for("rm").get("/api/campaigns/tasks/").json()["results"]
    managers = client_for("branch_manager").get("/api/campaigns/tasks/").json()["results"]

    [task] = mine
    assert task["campaign_name"] == campaign.name
    assert task["text"] == "尊敬的客户，五月理财节开始了。"
    assert task["recipient_count"] == len(world.customers_rm_bj)
    assert task["msgid"] in {t["msgid"] for t in corp.member_tasks(world.rm_bj.wecom_userid)["groupmsgs"]}
    assert managers == []
    corp.confirm_groupmsg(msgid=task["msgid"], userid=world.rm_bj.wecom_userid)
    occurrence_results_fetch(CampaignOccurrence.objects.get().pk)
    assert client_for("rm").get("/api/campaigns/tasks/").json()["results"] == []


def test_reminders_stay_within_wecom_s_three_a_day(world: World, corp: SandboxControl, client_for) -> None:
    campaign, _ = dispatched(world)
    hq = client_for("hq_admin")

    answers = [hq.post(f"/api/campaigns/{campaign.pk}/remind/").json()["reminded"] for _ in range(4)]
    outbox_drain()

    assert answers == [3, 3, 3, 0]
    reminders = [m.get("reminders", []) for m in corp.state()["groupmsgs"].values()]
    assert [len(r) for r in reminders] == [3, 3, 3]
    assert client_for("rm").post(f"/api/campaigns/{campaign.pk}/remind/").status_code == 403


def test_stopping_a_campaign_stops_the_tasks_not_yet_sent_and_keeps_what_was_sent(
    world: World, corp: SandboxControl, client_for
) -> None:
    campaign, occurrence = dispatched(world)
    [sent_task] = corp.member_tasks(world.rm_bj.wecom_userid)["groupmsgs"]
    corp.confirm_groupmsg(msgid=sent_task["msgid"], userid=world.rm_bj.wecom_userid)
    occurrence_results_fetch(occurrence.pk)

    stopped = client_for("hq_admin").post(
        f"/api/campaigns/{campaign.pk}/cancel/", {"reason": "产品下架"}, content_type="application/json"
    )
    outbox_drain()

    assert stopped.json()["status"] == "cancelled"
    assert corp.member_tasks(world.rm_bj2.wecom_userid)["groupmsgs"] == []
    assert corp.member_tasks(world.rm_sh.wecom_userid)["groupmsgs"] == []
    assert len(corp.calls("externalcontact/cancel_groupmsg_send")) == 2
    assert len(corp.deliveries(kind="groupmsg")) == len(world.customers_rm_bj)


def test_head_office_sees_each_rm_s_progress(world: World, corp: SandboxControl, client_for) -> None:
    campaign, occurrence = dispatched(world)
    [task] = corp.member_tasks(world.rm_bj2.wecom_userid)["groupmsgs"]
    corp.confirm_groupmsg(msgid=task["msgid"], userid=world.rm_bj2.wecom_userid)
    occurrence_results_fetch(occurrence.pk)

    progress = {
        row["sender_name"]: row for row in client_for("hq_admin").get(f"/api/campaigns/{campaign.pk}/progress/").json()
    }

    assert progress[world.rm_bj2.name] | {"sender_id": 0} == {
        "sender_id": 0,
        "sender_name": world.rm_bj2.name,
        "tasks": 1,
        "confirmed": 1,
        "recipients": 2,
        "sent": 2,
        "not_friend": 0,
        "over_quota": 0,
    }
    assert (progress[world.rm_bj.name]["confirmed"], progress[world.rm_bj.name]["sent"]) == (0, 0)


def test_the_greeting_names_the_sending_rm_and_their_outlet_and_nothing_of_the_customer(
    world: World, corp: SandboxControl
) -> None:
    campaign = scheduled(world, variants=[VariantDraft("A", 100, "您好，我是{网点}的{客户经理}，七月理财节开始了。")])

    campaign_dispatch(campaign.pk)
    outbox_drain()

    texts = {m["creator"]: m["text"] for m in corp.state()["groupmsgs"].values()}
    assert texts[world.rm_bj.wecom_userid] == f"您好，我是{world.bj_hd_1.name}的{world.rm_bj.name}，七月理财节开始了。"
    assert texts[world.rm_sh.wecom_userid] == f"您好，我是{world.sh_pd_1.name}的{world.rm_sh.name}，七月理财节开始了。"
