"""The sidebar's content panel: the active items the member may use, and what sending one into the chat needs."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campaigns.content.services import content_item_create
from campaigns.models import ContentItem, ContentMedia
from scrm.core.redis import redis_client
from tests.conftest import World
from tests.factories import ContentCategoryFactory, ContentItemFactory
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def wecom(sandbox: SandboxControl, settings) -> SandboxControl:
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.WECOM_RETRY_BACKOFF_SECONDS = 0.01
    return sandbox


def test_the_panel_lists_the_active_items_on_the_members_line_by_category_and_search(world: World, client_for) -> None:
    products = ContentCategoryFactory(name="理财产品")
    events = ContentCategoryFactory(name="活动海报")
    ContentItemFactory(category=products, title="稳健理财")
    ContentItemFactory(category=events, title="北京春节活动", branch=world.bj)
    ContentItemFactory(category=events, title="上海春节活动", branch=world.sh)
    ContentItemFactory(category=products, title="停售产品", is_active=False)
    client = client_for("rm")

    def titles(**params: str) -> list[str]:
        response = client.get("/sidebar/content/", params)
        assert response.status_code == 200
        return [item.title for item in response.context["items"]]

    assert sorted(titles()) == ["北京春节活动", "稳健理财"]
    assert titles(category=str(events.pk)) == ["北京春节活动"]
    assert titles(q="稳健") == ["稳健理财"]
    assert "data-send-content" in client.get("/sidebar/content/").content.decode()


def test_sending_an_image_gets_a_fresh_media_id_and_the_send_is_counted_once_the_chat_took_it(
    world: World, client_for, wecom: SandboxControl
) -> None:
    item = content_item_create(
        actor=world.hq_admin,
        category=ContentCategoryFactory(),
        kind="image",
        title="春节海报",
        file=SimpleUploadedFile("p.png", PNG, content_type="image/png"),
    )
    client = client_for("rm")

    message = client.post(f"/sidebar/content/{item.pk}/message/").json()
    counted = client.post(f"/sidebar/content/{item.pk}/sent/")
    preview = client.get(f"/sidebar/content/{item.pk}/preview/")

    assert message == {"msgtype": "image", "image": {"mediaid": ContentMedia.objects.get(item=item).media_id}}
    assert counted.status_code == 204
    assert ContentItem.objects.get(pk=item.pk).usage_count == 1
    assert b"".join(preview.streaming_content) == PNG


def test_items_off_the_members_line_or_retired_cannot_be_sent(world: World, client_for) -> None:
    shanghai = ContentItemFactory(title="上海专享", branch=world.sh)
    retired = ContentItemFactory(title="停用", is_active=False)
    client = client_for("rm")

    assert client.post(f"/sidebar/content/{shanghai.pk}/message/").status_code == 404
    assert client.post(f"/sidebar/content/{retired.pk}/sent/").status_code == 404
    assert ContentItem.objects.filter(usage_count__gt=0).count() == 0


def test_compliance_reads_the_panel_but_sends_nothing(world: World, client_for) -> None:
    item = ContentItemFactory(title="全行问候")
    client = client_for("compliance")

    assert "data-send-content" not in client.get("/sidebar/content/").content.decode()
    assert client.post(f"/sidebar/content/{item.pk}/message/").status_code == 403
    assert client.post(f"/sidebar/content/{item.pk}/sent/").status_code == 403


def test_a_signed_out_sidebar_is_asked_to_sign_in_again(world: World) -> None:
    response = Client().get("/sidebar/content/")

    assert response.status_code == 401
    assert response["HX-Redirect"] == "/sidebar/"
