"""WeCom media for content: uploaded when first sent, kept three days, uploaded again when stale,
once however many callers ask at the same time; and each kind as WeCom's attachment JSON."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.content.services import (
    content_attachment,
    content_chat_message,
    content_item_create,
    content_item_update,
    content_media_id,
    content_moment_attachment,
)
from campaigns.models import ContentCategory, ContentItem, ContentMedia, MediaPurpose
from channels.models import OutboundCall
from channels.wecom.gateway import wecom as gateway
from scrm.core.exceptions import ApplicationError
from tests.campaigns.content.conftest import JPEG, MP4, PDF, PNG, upload
from tests.conftest import World
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db


def image_item(world: World, shelf: ContentCategory, data: bytes = PNG) -> ContentItem:
    return content_item_create(
        actor=world.hq_admin, category=shelf, kind="image", title="海报", file=upload("p.png", data)
    )


def test_a_file_goes_to_wecom_when_first_sent_and_its_media_id_is_reused_for_three_days(
    world: World, shelf: ContentCategory, wecom: SandboxControl
) -> None:
    item = image_item(world, shelf)
    assert wecom.calls("media/upload") == []

    first = content_media_id(item.pk, purpose=MediaPurpose.MESSAGE)
    again = content_media_id(item.pk, purpose=MediaPurpose.MESSAGE)

    media = ContentMedia.objects.get(item=item)
    assert again == first
    assert len(wecom.calls("media/upload")) == 1
    assert (media.media_id, media.media_type, media.generation) == (first, "image", 1)
    assert media.expires_at - media.uploaded_at == timedelta(days=3)
    assert OutboundCall.objects.get(operation="upload_media").idempotency_key == f"upload_media:message:{item.pk}:1"


def test_a_media_id_about_to_expire_is_replaced_before_it_is_handed_out(
    world: World, shelf: ContentCategory, wecom: SandboxControl, settings
) -> None:
    item = image_item(world, shelf)
    old = content_media_id(item.pk)
    ContentMedia.objects.filter(item=item).update(
        expires_at=timezone.now() + timedelta(seconds=settings.WECOM_MEDIA_REFRESH_MARGIN_SECONDS - 60)
    )

    new = content_media_id(item.pk)

    assert new != old
    assert len(wecom.calls("media/upload")) == 2
    assert ContentMedia.objects.get(item=item).generation == 2


def test_wecom_refuses_a_media_id_it_no_longer_keeps_and_takes_the_fresh_one(
    world: World, shelf: ContentCategory, wecom: SandboxControl
) -> None:
    item = image_item(world, shelf)
    old = content_media_id(item.pk)
    wecom.advance_clock(3 * 86400)
    ContentMedia.objects.filter(item=item).update(expires_at=timezone.now())
    template = {"chat_type": "single", "sender": "rm_li", "external_userids": [], "text": "春节好"}

    with pytest.raises(Exception, match="40007"):
        gateway().add_msg_template(**template, attachments=[{"msgtype": "image", "image": {"media_id": old}}])
    sent = gateway().add_msg_template(**template, attachments=[content_attachment(item)])

    assert sent["msgid"]


def test_a_replaced_file_is_uploaded_again(world: World, shelf: ContentCategory, wecom: SandboxControl) -> None:
    item = image_item(world, shelf)
    old = content_media_id(item.pk)

    content_item_update(item=item, actor=world.hq_admin, changes={}, file=upload("new.jpg", JPEG, "image/jpeg"))
    new = content_media_id(item.pk)

    assert new != old
    assert wecom.calls("media/upload")[-1]["body"]["media"]["filename"] == "new.jpg"


def test_moments_use_upload_attachment_and_keep_their_own_media_id(
    world: World, shelf: ContentCategory, wecom: SandboxControl
) -> None:
    item = image_item(world, shelf)
    document = content_item_create(
        actor=world.hq_admin, category=shelf, kind="file", title="合同", file=upload("a.pdf", PDF)
    )

    for_messages = content_media_id(item.pk, purpose=MediaPurpose.MESSAGE)
    attachment = content_moment_attachment(item)

    assert attachment["image"]["media_id"] != for_messages
    assert wecom.calls("media/upload_attachment")[-1]["query"] == {"media_type": "image", "attachment_type": "1"}
    assert set(ContentMedia.objects.filter(item=item).values_list("purpose", flat=True)) == {"message", "moment"}
    with pytest.raises(ApplicationError, match="images and videos only"):
        content_media_id(document.pk, purpose=MediaPurpose.MOMENT)


def test_a_refused_upload_says_why_and_the_next_attempt_uploads_afresh(
    world: World, shelf: ContentCategory, wecom: SandboxControl
) -> None:
    item = image_item(world, shelf)
    wecom.add_fault("media/upload", errcode=40005)

    with pytest.raises(ApplicationError, match="WeCom refused the file"):
        content_media_id(item.pk)
    media_id = content_media_id(item.pk)

    assert media_id
    assert list(OutboundCall.objects.order_by("id").values_list("idempotency_key", "status")) == [
        (f"upload_media:message:{item.pk}:1", "failed"),
        (f"upload_media:message:{item.pk}:2", "succeeded"),
    ]


def test_a_text_item_has_no_media(world: World, shelf: ContentCategory, wecom: SandboxControl) -> None:
    item = content_item_create(actor=world.hq_admin, category=shelf, kind="text", title="问候", description="您好")

    with pytest.raises(ApplicationError, match="no file"):
        content_media_id(item.pk)
    assert content_attachment(item) is None
    assert content_chat_message(item) == {"msgtype": "text", "text": {"content": "您好"}}


def test_every_kind_renders_as_an_attachment_wecom_accepts(
    world: World, shelf: ContentCategory, wecom: SandboxControl, settings
) -> None:
    def create(kind: str, **fields) -> ContentItem:
        return content_item_create(actor=world.hq_admin, category=shelf, kind=kind, title=f"{kind}素材", **fields)

    items = [
        create("image", file=upload("p.png", PNG)),
        create("video", file=upload("v.mp4", MP4)),
        create("file", file=upload("产品说明书.pdf", PDF)),
        create("link", url="https://bank.example/fund", description="稳健理财", file=upload("c.jpg", JPEG)),
        create("miniprogram", appid="wx0123456789abcdef", page_path="pages/index.html", file=upload("c.png", PNG)),
    ]

    attachments = [content_attachment(item) for item in items]
    sent = gateway().add_msg_template(
        chat_type="single", sender="rm_li", external_userids=[], text="", attachments=attachments
    )

    assert sent["msgid"]
    assert [a["msgtype"] for a in attachments] == ["image", "video", "file", "link", "miniprogram"]
    link = attachments[3]["link"]
    assert link["picurl"].startswith(settings.PUBLIC_BASE_URL.rstrip("/") + "/content/cover/")
    assert (link["title"], link["url"], link["desc"]) == ("link素材", "https://bank.example/fund", "稳健理财")
    assert attachments[4]["miniprogram"]["page"] == "pages/index.html"
    assert attachments[4]["miniprogram"]["pic_media_id"]
    assert {call["query"]["type"] for call in wecom.calls("media/upload")} == {"image", "video", "file"}


@pytest.mark.django_db(transaction=True)
def test_two_senders_who_find_the_media_stale_at_once_share_one_upload(
    world: World, shelf: ContentCategory, wecom: SandboxControl
) -> None:
    item = image_item(world, shelf)
    # The first upload is held a second, so the second caller arrives while it is in flight.
    wecom.add_fault("media/upload", mode="apply_then_hang", seconds=1)
    results: list[str] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            results.append(content_media_id(item.pk))
        except BaseException as error:  # reported by the assertion below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert len(wecom.calls("media/upload")) == 1
    assert ContentMedia.objects.get(item=item).generation == 1
