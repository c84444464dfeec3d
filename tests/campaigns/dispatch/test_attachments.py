"""A variant's library attachments: chosen within reach, checked by compliance, sent with live media ids."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.content.services import content_item_create
from campaigns.dispatch.services import campaign_dispatch
from campaigns.models import ContentItem
from campaigns.services import VariantDraft, campaign_approve, campaign_create, campaign_schedule, campaign_submit
from channels.models import OutboundCall
from channels.outbox.services import outbox_execute
from risk.compliance.models import ContentAction, ContentCategory
from scrm.core.exceptions import ApplicationError
from tests.campaigns.content.conftest import PNG
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World
from tests.factories import ContentCategoryFactory, ContentItemFactory
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def poster(world: World, title: str = "七月理财节海报", **fields: object) -> ContentItem:
    return content_item_create(
        actor=world.hq_admin,
        category=ContentCategoryFactory(),
        kind="image",
        title=title,
        file=SimpleUploadedFile("p.png", PNG, content_type="image/png"),
        **fields,
    )


def with_attachments(world: World, *ids: int) -> object:
    return campaign_draft(
        SegmentFactory(created_by=world.hq_admin), variants=[VariantDraft("A", 100, "七月理财节", attachment_ids=ids)]
    )


def test_attachments_must_be_active_non_text_items_within_reach(world: World) -> None:
    text_item = ContentItemFactory(kind="text")
    retired = poster(world, title="旧海报")
    ContentItem.objects.filter(pk=retired.pk).update(is_active=False)
    shanghai_only = poster(world, title="上海专属", branch=world.sh)

    for ids in ((text_item.pk,), (retired.pk,), (10**9,), (poster(world).pk,) * 2, tuple(range(1, 11))):
        with pytest.raises(ApplicationError) as refused:
            campaign_create(actor=world.hq_admin, draft=with_attachments(world, *ids))
        assert refused.value.extra["field"] == "variants.A.attachments"
    with pytest.raises(ApplicationError):
        campaign_create(actor=world.branch_manager_bj, draft=with_attachments(world, shanghai_only.pk))
    built = campaign_create(actor=world.hq_admin, draft=with_attachments(world, shanghai_only.pk))
    assert [link.item_id for link in built.variants.get().attachment_links.all()] == [shanghai_only.pk]


def test_a_blocked_word_in_an_attachment_s_title_refuses_the_submission(world: World) -> None:
    SensitiveWordFactory(word="稳赚不赔", category=ContentCategory.PROMISED_RETURN, action=ContentAction.BLOCK)
    campaign = campaign_create(
        actor=world.hq_admin, draft=with_attachments(world, poster(world, title="稳赚不赔专区").pk)
    )

    with pytest.raises(ApplicationError) as refused:
        campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)

    [hit] = refused.value.extra["hits"]
    assert (hit["attachment"], hit["matched"]) == ("稳赚不赔专区", "稳赚不赔")


def test_the_wecom_task_carries_the_attachment_with_a_media_id_the_sandbox_issued(
    world: World,
    corp: SandboxControl,
) -> None:
    item = poster(world)
    campaign = campaign_create(actor=world.hq_admin, draft=with_attachments(world, item.pk))
    campaign_submit(actor=world.hq_admin, campaign_id=campaign.pk)
    campaign_approve(actor=world.compliance, campaign_id=campaign.pk)
    campaign_schedule(actor=world.hq_admin, campaign_id=campaign.pk)

    campaign_dispatch(campaign.pk)
    for call in OutboundCall.objects.filter(operation="add_msg_template"):
        outbox_execute(call.pk)

    messages = list(corp.state()["groupmsgs"].values())
    assert messages
    media_ids = {m["attachments"][0]["image"]["media_id"] for m in messages}
    assert len(media_ids) == 1
    assert {c["errcode"] for c in corp.calls("externalcontact/add_msg_template")} == {0}
    assert len(corp.calls("media/upload")) == 1
    item.refresh_from_db()
    assert item.usage_count == 1
