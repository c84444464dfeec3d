"""A moments (朋友圈) campaign: one WeCom moment for the RMs with eligible customers, published by each."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.content.services import content_item_create
from campaigns.dispatch.selectors import campaign_progress, rm_open_tasks
from campaigns.dispatch.services import (
    campaign_dispatch,
    campaign_remind,
    campaign_stop,
    occurrence_reconcile,
    occurrence_results_fetch,
)
from campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignTask,
    ContentItem,
    OccurrenceStatus,
    RecipientChannel,
)
from campaigns.services import VariantDraft, campaign_create
from channels.models import OutboundCall, OutboxStatus
from channels.outbox.services import outbox_execute
from customers.models import Customer
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Staff
from tests.campaigns.content.conftest import MP4, PNG
from tests.campaigns.factories import SegmentFactory, campaign_draft, campaign_scheduled
from tests.conftest import World
from tests.factories import ContentCategoryFactory
from tests.support.outbox import outbox_drain
from wecom_sandbox.client import SandboxControl, SandboxControlError

pytestmark = pytest.mark.django_db

TEXT = "七月理财节，欢迎到网点咨询。"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def library_item(
    world: World, kind: str = "image", title: str = "七月理财节海报", *, cover: bool = True
) -> ContentItem:
    if kind == "link":
        return content_item_create(
            actor=world.hq_admin,
            category=ContentCategoryFactory(),
            kind="link",
            title=title,
            url="https://bank.example.cn/july",
            file=SimpleUploadedFile("cover.png", PNG, content_type="image/png") if cover else None,
        )
    return content_item_create(
        actor=world.hq_admin,
        category=ContentCategoryFactory(),
        kind=kind,
        title=title,
        file=(
            SimpleUploadedFile("v.mp4", MP4, content_type="video/mp4")
            if kind == "video"
            else SimpleUploadedFile("p.png", PNG, content_type="image/png")
        ),
    )


def moment_draft(world: World, **changes: object) -> object:
    return campaign_draft(SegmentFactory(created_by=world.hq_admin), kind="moments", **changes)


def scheduled(world: World, *attachment_ids: int) -> Campaign:
    draft = moment_draft(world, variants=[VariantDraft("A", 100, TEXT, attachment_ids=attachment_ids)])
    return campaign_scheduled(draft, author=world.hq_admin, reviewer=world.compliance)


@pytest.fixture
def no_consent_in_shanghai(world: World, corp: SandboxControl) -> None:
    Customer.objects.filter(owner=world.rm_sh).update(marketing_consent=False)


@pytest.mark.usefixtures("no_consent_in_shanghai")
def test_the_rms_with_eligible_customers_post_it_and_what_it_reached_comes_back(
    world: World, corp: SandboxControl
) -> None:
    campaign = scheduled(world, library_item(world).pk)

    occurrence = campaign_dispatch(campaign.pk)
    assert occurrence is not None
    outbox_drain()
    [call] = corp.calls("externalcontact/add_moment_task")
    # Only the Beijing RMs have customers who agreed to marketing; the image went up as moment media.
    assert call["body"]["visible_range"]["sender_list"]["user_list"] == sorted(
        [world.rm_bj.wecom_userid, world.rm_bj2.wecom_userid]
    )
    assert call["body"]["attachments"][0]["msgtype"] == "image"
    assert corp.calls("media/upload_attachment")

    # WeCom is still creating the moment at the first look; the second finds it made.
    assert occurrence_reconcile(occurrence.pk).status == OccurrenceStatus.PLANNED
    occurrence = occurrence_reconcile(occurrence.pk)
    assert occurrence is not None
    assert occurrence.status == OccurrenceStatus.DISPATCHED
    assert occurrence.moment_id
    assert occurrence.exclusions["no_consent"] == len(world.customers_rm_sh)
    assert occurrence.recipient_count == len(world.customers_rm_bj) + len(world.customers_rm_bj2)
    assert set(CampaignTask.objects.filter(occurrence=occurrence).values_list("sender", flat=True)) == {
        world.rm_bj.pk,
        world.rm_bj2.pk,
    }
    assert [t.is_moment for t in rm_open_tasks(staff=world.rm_bj)] == [True]
    # Before anyone publishes, each poster shows in the progress with their task and nobody reached.
    assert [(p.sender_id, p.tasks, p.confirmed, p.recipients) for p in campaign_progress(campaign=campaign)] == sorted(
        [(world.rm_bj.pk, 1, 0, 0), (world.rm_bj2.pk, 1, 0, 0)],
        key=lambda row: (Staff.objects.get(pk=row[0]).name, row[0]),
    )
    assert not CampaignRecipient.objects.filter(occurrence=occurrence).exists()

    corp.publish_moment(moment_id=occurrence.moment_id, userid=world.rm_bj.wecom_userid)
    added = occurrence_results_fetch(occurrence.pk)
    again = occurrence_results_fetch(occurrence.pk)

    assert (added, again) == (len(world.customers_rm_bj), 0)
    reached = CampaignRecipient.objects.filter(occurrence=occurrence)
    assert set(reached.values_list("customer_id", flat=True)) == {c.pk for c in world.customers_rm_bj}
    assert set(reached.values_list("channel", "send_status", "sender")) == {
        (RecipientChannel.MOMENT, 1, world.rm_bj.pk)
    }
    assert CampaignTask.objects.get(occurrence=occurrence, sender=world.rm_bj).confirmed_at is not None
    assert CampaignTask.objects.get(occurrence=occurrence, sender=world.rm_bj2).confirmed_at is None
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_a_moment_has_one_version_no_holdout_no_rm_name_and_wecoms_media_rule(world: World) -> None:
    image, video = library_item(world), library_item(world, kind="video", title="视频")
    refused = {
        "variants": moment_draft(world, variants=[VariantDraft("A", 50, TEXT), VariantDraft("B", 50, TEXT)]),
        "holdout_percent": moment_draft(world, holdout_percent=10),
        "variants.A.text": moment_draft(world, variants=[VariantDraft("A", 100, "{客户经理}祝您好")]),
        "variants.A.attachments": moment_draft(
            world, variants=[VariantDraft("A", 100, TEXT, attachment_ids=(image.pk, video.pk))]
        ),
    }
    bare_link = library_item(world, kind="link", cover=False)
    for field, draft in refused.items():
        with pytest.raises(ApplicationError) as error:
            campaign_create(actor=world.hq_admin, draft=draft)
        assert error.value.extra["field"] == field
    with pytest.raises(ApplicationError, match="封面"):
        campaign_create(
            actor=world.hq_admin,
            draft=moment_draft(world, variants=[VariantDraft("A", 100, TEXT, attachment_ids=(bare_link.pk,))]),
        )

    nine = tuple(library_item(world, title=f"海报{i}").pk for i in range(9))
    assert campaign_create(
        actor=world.hq_admin, draft=moment_draft(world, variants=[VariantDraft("A", 100, TEXT, attachment_ids=nine)])
    )


def test_stopping_a_moment_campaign_stops_the_unpublished_tasks_once(world: World, corp: SandboxControl) -> None:
    campaign = scheduled(world)
    occurrence = campaign_dispatch(campaign.pk)
    assert occurrence is not None
    outbox_drain()
    occurrence_reconcile(occurrence.pk)
    occurrence = occurrence_reconcile(occurrence.pk)
    assert occurrence is not None
    corp.publish_moment(moment_id=occurrence.moment_id, userid=world.rm_sh.wecom_userid)
    occurrence_results_fetch(occurrence.pk)

    assert campaign_remind(actor=world.hq_admin, campaign_id=campaign.pk) == 0  # WeCom has no moment reminder
    campaign_stop(actor=world.hq_admin, campaign_id=campaign.pk, reason="活动取消")
    outbox_drain()

    assert len(corp.calls("externalcontact/cancel_moment_task")) == 1
    assert not CampaignTask.objects.filter(occurrence=occurrence, confirmed_at__isnull=True, cancelled_at=None)
    with pytest.raises(SandboxControlError):
        corp.publish_moment(moment_id=occurrence.moment_id, userid=world.rm_bj.wecom_userid)
    # What was published stays published.
    assert CampaignRecipient.objects.filter(occurrence=occurrence, sender=world.rm_sh).count() == len(
        world.customers_rm_sh
    )


def test_a_timeout_after_wecom_accepted_the_moment_is_verified_not_posted_again(
    world: World, corp: SandboxControl
) -> None:
    campaign = scheduled(world, library_item(world, kind="link").pk)
    occurrence = campaign_dispatch(campaign.pk)
    assert occurrence is not None
    [call] = OutboundCall.objects.filter(operation="add_moment_task")
    corp.add_fault("externalcontact/add_moment_task", mode="apply_then_hang", seconds=3)

    assert outbox_execute(call.pk).status == OutboxStatus.UNKNOWN
    OutboundCall.objects.filter(pk=call.pk).update(next_attempt_at=None)
    finished = outbox_execute(call.pk)
    occurrence = occurrence_reconcile(occurrence.pk)

    assert finished.status == OutboxStatus.SUCCEEDED
    assert finished.result["verified"] is True
    assert len(corp.state()["moments"]) == 1
    assert occurrence is not None
    assert occurrence.status == OccurrenceStatus.DISPATCHED
    assert occurrence.moment_id == finished.result["moment_id"]
    assert CampaignTask.objects.filter(occurrence=occurrence).count() == 3
